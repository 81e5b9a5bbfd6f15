"""Malformed and hostile configs, templates and database URLs: a clear error, never a traceback or a hang."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from briefbot.cli import main
from briefbot.config import MAX_DEPTH, parse_config
from briefbot.errors import BriefbotError, ConfigError, StoreError
from briefbot.render import RenderError, check_templates, render, render_email
from briefbot.store import Store, safe_url
from briefbot.store.engine import check_url


def config_error(text: str) -> ConfigError:
    with pytest.raises(ConfigError) as exc:
        parse_config(text, origin="c.yaml")
    return exc.value


def cli(cfg: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["--config", str(cfg), *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def laughs(levels: int = 9, width: int = 9) -> str:
    """The "billion laughs" shape: each level a list of `width` aliases of the one before."""
    lines = ["a0: &a0 [" + ", ".join(['"lol"'] * width) + "]"]
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


# -- aliases ---------------------------------------------------------------------------------------
def test_alias_bomb_is_refused_fast_with_the_alias_and_line() -> None:
    started = time.monotonic()
    err = config_error(laughs())
    assert time.monotonic() - started < 1.0
    # a0 = 10 values, each level ×9: the alias that crosses 100,000 is the first *a4 on line 6
    assert err.message.startswith("c.yaml: line 6, column 10: the alias *a4 makes"), err.message
    assert "100,000" in err.message and err.hint and "aliases" in err.hint


def test_alias_bomb_under_env_values_is_refused_too(monkeypatch: pytest.MonkeyPatch) -> None:
    # ${ENV} in the innermost list: expansion must not run once per path.
    monkeypatch.setenv("BB_LOL", "lol")
    started = time.monotonic()
    err = config_error(laughs().replace('"lol"', '"${BB_LOL}"'))
    assert time.monotonic() - started < 1.0
    assert "the alias *a4" in err.message


def test_aliases_that_share_a_list_work(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BB_ALERT_CHANNEL", "#harbour-desk")
    watches = ["  - {name: w0, query: strike, to: &to ['slack:${BB_ALERT_CHANNEL}', 'slack:#ports']}"]
    watches += [f"  - {{name: w{i}, query: strike, to: *to}}" for i in range(1, 300)]
    cfg = parse_config("slack: {token: xoxb-fictional-0000}\nwatches:\n" + "\n".join(watches) + "\n")
    assert len(cfg.watches) == 300
    assert [str(d) for d in cfg.watches[299].to] == ["slack:#harbour-desk", "slack:#ports"]


def test_merge_keys_still_work() -> None:
    cfg = parse_config(
        """
sources:
  - &base {name: Velmar Courier, url: velmar.xml, interval: 30m}
  - {<<: *base, name: Vell Gazette, url: vell.xml}
"""
    )
    assert [s.name for s in cfg.sources] == ["Velmar Courier", "Vell Gazette"]
    assert cfg.sources[1].interval == cfg.sources[0].interval


def test_an_alias_inside_what_it_names_is_refused() -> None:
    err = config_error("sources: &s [{name: a, url: x}, *s]\n")
    assert "line 1, column 33: the alias *s is inside the list or mapping it names" in err.message


# -- nesting ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "sources: " + "[" * 20_000 + "]" * 20_000 + "\n",
        "network: " + "{a: " * 20_000 + "1" + "}" * 20_000 + "\n",
        "".join(" " * i + "k:\n" for i in range(2000)) + " " * 2000 + "k: 1\n",  # block style
    ],
    ids=["flow-lists", "flow-maps", "block-maps"],
)
def test_deep_nesting_is_a_config_error_with_its_line(text: str) -> None:
    err = config_error(text)
    assert "nested too deeply" in err.message and f"more than {MAX_DEPTH} levels" in err.message
    assert err.message.startswith("c.yaml: line "), err.message


def test_deep_nesting_exits_2_from_check_and_other_commands(tmp_path: Path) -> None:
    cfg = tmp_path / "config.yaml"
    cfg.write_text("sources:\n" + "  x: " + "[" * 20_000 + "]" * 20_000 + "\n", encoding="utf-8")
    code, _, err = cli(cfg, "check")
    assert code == 2 and "nested too deeply" in err and "Traceback" not in err, err
    for args in (["sources"], ["fetch"], ["brief"], ["watch", "list"]):
        code, _, err = cli(cfg, *args)
        assert code == 2 and "error:" in err and "nested too deeply" in err, (args, err)


def test_deep_nesting_in_a_fresh_process(tmp_path: Path) -> None:
    cfg = tmp_path / "config.yaml"
    cfg.write_text("network: " + "[" * 20_000 + "]" * 20_000 + "\n", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "briefbot", "--config", str(cfg), "check"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2 and "nested too deeply" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr


# -- other malformed values --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sources: [{name: a, url: x, interval: .inf}]", "sources[0].interval: duration is too long"),
        ("sources: [{name: a, url: x, interval: 99999999999999d}]", "sources[0].interval: duration is too"),
        ("sources: [{name: a, url: x, interval: '" + "9" * 400 + "d'}]", "sources[0].interval: duration is"),
        ("network: {max_bytes: '" + "9" * 400 + "GB'}", "network.max_bytes: size is too large"),
        ("network: {max_bytes: -5}", "network.max_bytes: Input should be greater than 0"),
        ("digests: [{name: d, schedule: daily 07:00, watches: [[a]]}]", "digests[0].watches[0]"),
        ("a: \x00", "line 1, column 4: control character U+0000"),
        ("a: 1\nb: x\x1b[2Jy", "line 2, column 5: control character U+001B"),
    ],
)
def test_malformed_values_are_config_errors(text: str, expected: str) -> None:
    err = config_error(text)
    assert expected in "\n".join([err.message, *err.problems]), (err.message, err.problems)


def test_config_that_is_not_utf8(tmp_path: Path) -> None:
    cfg = tmp_path / "config.yaml"
    cfg.write_bytes(b"sources: []\nname: Vell\xe9 Gazette\n")
    code, _, err = cli(cfg, "check")
    assert code == 2 and "is not UTF-8 text (line 2)" in err, err


# -- database URLs -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://bot:pw-Sekrit-77@localhost:abc/briefbot", "the port (after host:) must be a number"),
        ("postgresql://bot:pw-Sekrit-77/briefbot", "the port (after host:) must be a number"),  # no @
        ("postgresql://bot:pw-Sekrit-77@localhost:99999/briefbot", "the port must be from 1 to 65535"),
        ("postgresql+psycopg://bot:pw-Sekrit-77@[::1/briefbot", "invalid database URL"),
        ("pw-Sekrit-77", "not a URL briefbot can read"),
        ("carrierpigeon://bot:pw-Sekrit-77@loft/briefbot", "unknown kind of database 'carrierpigeon'"),
        ("sqlite://pw-Sekrit-77.db", "Invalid SQLite URL"),
    ],
)
def test_malformed_database_url_is_named_without_its_password(url: str, expected: str) -> None:
    with pytest.raises(StoreError) as exc:
        check_url(url)
    assert expected in exc.value.message
    assert "pw-Sekrit-77" not in str(exc.value) or url.startswith("sqlite"), str(exc.value)
    assert exc.value.hint


def test_check_reports_a_bad_database_url_without_connecting(tmp_path: Path) -> None:
    cfg = tmp_path / "config.yaml"
    cfg.write_text("database: postgresql://bot:pw-Sekrit-77@localhost:abc/briefbot\n", encoding="utf-8")
    code, out, err = cli(cfg, "check")
    assert code == 2, out + err
    assert "database: invalid database URL (postgresql://…): the port (after host:) must be a number" in err
    assert "pw-Sekrit-77" not in out + err
    # every other command that opens the store says the same, as an error rather than a traceback
    code, _, err = cli(cfg, "sources")
    assert code == 2 and "error: invalid database URL" in err and "hint:" in err, err
    assert "pw-Sekrit-77" not in err


def test_check_accepts_good_database_urls(tmp_path: Path) -> None:
    cfg = tmp_path / "config.yaml"
    for url in ("sqlite:///bb.db", "postgresql+psycopg://bot:pw-Sekrit-77@db.velmar.example:5432/briefbot"):
        cfg.write_text(f"database: {url}\n", encoding="utf-8")
        code, out, err = cli(cfg, "check")
        assert code == 0 and "is valid" in out, err
        assert "pw-Sekrit-77" not in out
    assert not (tmp_path / "bb.db").exists()  # nothing was opened


def test_store_open_with_a_bad_url_is_a_store_error() -> None:
    with pytest.raises(StoreError):
        Store.open("postgresql://bot:pw@localhost:abc/briefbot")


def test_safe_url_hides_query_passwords() -> None:
    assert safe_url("postgresql://db.velmar.example/bb?password=s3cret-q") == (
        "postgresql://db.velmar.example/bb?password=***"
    )
    shown = safe_url("postgresql+psycopg://bot:p4ss-word@db/bb?sslmode=require&sslpassword=kk-key-pass")
    assert "p4ss-word" not in shown and "kk-key-pass" not in shown and "sslmode=require" in shown


# -- templates -------------------------------------------------------------------------------------
def templates(tmp_path: Path, files: dict[str, str]) -> Path:
    tdir = tmp_path / "tpl"
    tdir.mkdir(exist_ok=True)
    for name, text in files.items():
        (tdir / name).parent.mkdir(parents=True, exist_ok=True)
        (tdir / name).write_text(text, encoding="utf-8")
    return tdir


def test_missing_include_is_a_render_error_naming_both(tmp_path: Path) -> None:
    tdir = templates(tmp_path, {"alert.md.j2": 'Alert\n{% include "harbour-footer.j2" %}\n'})
    with pytest.raises(RenderError) as exc:
        render("alert.md.j2", {}, str(tdir))
    assert exc.value.message.startswith(
        "template alert.md.j2 line 2: includes harbour-footer.j2, which is not"
    )
    assert str(tdir) in exc.value.message


def test_syntax_error_in_an_included_template_names_file_line_and_includer(tmp_path: Path) -> None:
    tdir = templates(
        tmp_path,
        {"brief.md.j2": "# Brief\n{% include 'parts/head.j2' %}\n", "parts/head.j2": "ok\n\n{% if %}\n"},
    )
    with pytest.raises(RenderError) as exc:
        render("brief.md.j2", {}, str(tdir))
    msg = exc.value.message
    assert msg.startswith("template parts/head.j2 line 3 (included from brief.md.j2 line 2): syntax error"), (
        msg
    )


def test_a_failing_expression_is_a_render_error(tmp_path: Path) -> None:
    tdir = templates(tmp_path, {"brief.md.j2": "# Brief\n{{ 1 + 'x' }}\n"})
    with pytest.raises(RenderError) as exc:
        render("brief.md.j2", {}, str(tdir))
    assert exc.value.message.startswith("template brief.md.j2 line 2: TypeError"), exc.value.message


def test_email_subject_template_errors_are_render_errors(tmp_path: Path) -> None:
    tdir = templates(
        tmp_path, {"brief.txt.j2": "{% macro subject() %}{% include 'gone.j2' %}{% endmacro %}\n"}
    )
    with pytest.raises(RenderError) as exc:
        render_email("brief", {"query": "", "stories": []}, tdir)
    assert "includes gone.j2" in exc.value.message


def test_check_templates_lists_syntax_errors_and_missing_includes(tmp_path: Path) -> None:
    tdir = templates(
        tmp_path,
        {
            "alert.md.j2": "Alert\n\n{% include 'missing-footer.j2' %}\n",
            "digest.md.j2": "{% for s in stories %}\n{{ s.title }\n{% endfor %}\n",
            "parts/ok.j2": "{% extends 'brief.md.j2' %}\n",  # a default template: found
            "brief.md.j2": "{% include 'parts/ok.j2' if false else 'parts/none.j2' %}\n",  # dynamic: skipped
        },
    )
    (tdir / "notes.txt").write_text("{% not a template, not checked", encoding="utf-8")
    problems = check_templates(tdir)
    assert (
        problems[0]
        == "alert.md.j2 line 3: includes missing-footer.j2, which is in neither the folder nor the defaults"
    )
    assert problems[1].startswith("digest.md.j2 line 2: syntax error: unexpected '}'"), problems
    assert len(problems) == 2, problems


def test_check_command_reports_template_problems(tmp_path: Path) -> None:
    templates(tmp_path, {"alert.slack.json.j2": '{"text": "x", "blocks": [{% include "blocks.j2" %}]}\n'})
    cfg = tmp_path / "config.yaml"
    cfg.write_text("templates_dir: tpl\n", encoding="utf-8")
    code, _, err = cli(cfg, "check")
    assert code == 2
    assert "templates_dir: alert.slack.json.j2 line 1: includes blocks.j2, which is in neither" in err, err


def test_render_error_is_a_briefbot_error() -> None:
    assert issubclass(RenderError, BriefbotError)


def test_a_template_that_includes_itself_is_a_render_error(tmp_path: Path) -> None:
    tdir = templates(tmp_path, {"brief.md.j2": "# Brief\n{% include 'brief.md.j2' %}\n"})
    with pytest.raises(RenderError) as exc:
        render("brief.md.j2", {}, str(tdir))
    assert exc.value.message == "template brief.md.j2 line 2: its includes lead back to it without end"
