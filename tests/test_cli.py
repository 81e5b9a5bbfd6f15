"""The commands as a user runs them, on a copy of the bundled samples."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from briefbot.cli import main

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    """The repository's demo config and samples, in a scratch folder with its own database."""
    shutil.copytree(ROOT / "samples", tmp_path / "samples")
    shutil.copy(ROOT / "config.yaml", tmp_path / "config.yaml")
    return tmp_path / "config.yaml"


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_demo_fetch_then_brief(demo: Path) -> None:
    code, out, _ = run("--config", str(demo), "fetch")
    assert code == 0, out
    assert "12 new, 0 updated" in out and "0 of 4 sources failed" in out
    code, out, _ = run("--config", str(demo), "fetch")
    assert code == 0 and "0 new, 0 updated, 13 unchanged" in out
    code, out, _ = run("--config", str(demo), "brief", "--format", "json")
    data = json.loads(out)
    assert set(data) == {"query", "since", "until", "stories"}
    # 12 articles about 7 events (samples/README.md): one story per event
    assert len(data["stories"]) == 7
    assert sum(len(s["articles"]) for s in data["stories"]) == 12
    story = data["stories"][0]
    assert set(story) >= {
        "title",
        "url",
        "published",
        "sources",
        "articles",
        "key_points",
        "actors",
        "quotes",
        "positions",
    }
    assert set(story["articles"][0]) >= {"title", "url", "source", "published"}
    grid = [s for s in data["stories"] if "grid talks" in s["title"]]
    assert len(grid) == 1 and sorted(grid[0]["sources"]) == [
        "Harbourline Courier",
        "Lodestar Wire",
        "Northgate Clarion",
    ]
    assert len(grid[0]["articles"]) == 2  # the wire story carried by two feeds is one article
    assert any(a["name"] for a in story["actors"]) and story["key_points"]


def test_brief_query_and_markdown(demo: Path) -> None:
    run("--config", str(demo), "fetch")
    code, out, _ = run("--config", str(demo), "brief", "heater*", "--format", "json")
    titles = [s["title"] for s in json.loads(out)["stories"]]
    assert titles and all("heater" in t.lower() for t in titles)
    code, out, _ = run("--config", str(demo), "brief", "gdansk")  # accent-insensitive: "Gdańsk"
    assert code == 0 and out.startswith("# Brief: gdansk") and "Gdańsk yard wins" in out
    code, out, _ = run("--config", str(demo), "brief", "nothing-matches-this", "--since", "2h")
    assert code == 0 and "Nothing new in this window." in out
    code, _, err = run("--config", str(demo), "brief", "--since", "soonish")
    assert code == 2 and "expected a duration" in err


def test_edited_item_is_reported_as_updated(demo: Path) -> None:
    run("--config", str(demo), "fetch")
    text = demo.read_text().replace(
        "samples/feeds/northgate-clarion.atom.xml", "samples/updates/northgate-clarion.atom.xml"
    )
    demo.write_text(text)
    code, out, _ = run("--config", str(demo), "fetch", "--source", "Northgate Clarion")
    assert code == 0 and "0 new, 1 updated" in out


def test_check_reports_problems_with_paths(tmp_path: Path) -> None:
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("sources:\n  - name: a\n    url: missing.xml\n    interval: fast\n")
    code, _, err = run("--config", str(cfg), "check")
    assert code == 2 and "sources[0].interval: expected a duration" in err
    cfg.write_text("sources:\n  - name: a\n    url: missing.xml\n")
    code, _, err = run("--config", str(cfg), "check")
    assert code == 2 and "sources[0].url:" in err and "does not exist" in err


def test_check_ok_and_env_config(demo: Path) -> None:
    code, out, _ = run("check", env={"BRIEFBOT_CONFIG": str(demo)})
    assert code == 0 and "is valid: 4 sources" in out


def test_missing_env_var_is_named_not_leaked(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("slack: {token: ${BB_CLI_UNSET_TOKEN}}\n")
    code, _, err = run("--config", str(cfg), "fetch", env={"BB_CLI_UNSET_TOKEN": ""})
    assert code == 2 and "BB_CLI_UNSET_TOKEN is not set" in err


def test_failed_source_is_shown_and_exit_status_says_so(demo: Path, tmp_path: Path) -> None:
    (tmp_path / "broken.xml").write_text("<rss><channel><item>never closed")
    demo.write_text(
        demo.read_text().replace("sources:\n", "sources:\n  - name: Broken\n    url: broken.xml\n", 1)
    )
    code, out, _ = run("--config", str(demo), "fetch")
    assert code == 1 and "12 new" in out and "1 of 5 sources failed" in out
    code, out, _ = run("--config", str(demo), "sources", "--format", "json")
    rows = {r["name"]: r for r in json.loads(out)}
    assert rows["Broken"]["consecutive_failures"] == 1 and rows["Broken"]["last_error"]
    assert rows["Lodestar Wire"]["last_error"] is None


def test_unknown_source_name(demo: Path) -> None:
    code, _, err = run("--config", str(demo), "fetch", "--source", "Nope")
    assert code == 2 and "no source named 'Nope'" in err


def test_help_is_light() -> None:
    """`briefbot --help` must not pay for spaCy, SQLAlchemy or trafilatura."""
    code = (
        "import sys; from click.testing import CliRunner; from briefbot.cli import main; "
        "r = CliRunner().invoke(main, ['--help']); assert r.exit_code == 0, r.output; "
        "heavy = [m for m in ('spacy', 'sqlalchemy', 'trafilatura', 'feedparser', 'httpx') if m in sys.modules]; "
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_every_command_has_help() -> None:
    for cmd in ("fetch", "sources", "brief", "check", "analyze"):
        code, out, _ = run(cmd, "--help")
        assert code == 0 and "Usage:" in out


def test_default_templates_are_found() -> None:
    from briefbot.render import default_templates_dir

    assert (default_templates_dir() / "brief.md.j2").is_file()


def test_secrets_are_redacted_from_logs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import logging

    from briefbot import cli

    monkeypatch.setenv("BB_LOG_TOKEN", "xoxb-123-very-secret")
    cfg = tmp_path / "c.yaml"
    cfg.write_text("slack: {token: ${BB_LOG_TOKEN}}\ndatabase: postgresql+psycopg://bot:pg-pass-9@db/x\n")
    cli.Ctx(str(cfg)).cfg  # loading the config registers its secrets
    buf = io.StringIO()
    handler = logging.StreamHandler(buf)
    handler.addFilter(cli._redact)
    logger = logging.getLogger("briefbot.test-redaction")
    logger.addHandler(handler)
    try:
        logger.warning("posting with %s failed; db %s", "xoxb-123-very-secret", "pg-pass-9")
    finally:
        logger.removeHandler(handler)
    assert "very-secret" not in buf.getvalue() and "pg-pass-9" not in buf.getvalue()
    assert buf.getvalue().count("***") == 2


def test_story_merges_actors_quotes_and_positions_of_its_reports() -> None:
    from datetime import UTC, datetime

    from briefbot.analyse.results import Analysis
    from briefbot.model import Story, StoryArticle

    a = {
        "actors": [
            {"name": "Ines Haldor", "kind": "person", "role": None, "aliases": ["Haldor"], "mentions": 3}
        ],
        "quotes": [{"text": "We will not sign this.", "speaker": "Ines Haldor", "partial": False}],
        "positions": [{"holder": "Ines Haldor", "statement": "the deal must include ferries"}],
    }
    b = {
        "actors": [
            {"name": "Haldor", "kind": "person", "role": "transport minister", "aliases": [], "mentions": 2},
            {"name": "Port of Vell", "kind": "organization", "role": None, "aliases": [], "mentions": 1},
        ],
        "quotes": [
            {"text": "We will NOT sign this", "speaker": "Ines Haldor", "partial": False},
            {"text": "Talks resume Monday.", "speaker": "Port of Vell", "partial": False},
        ],
        "positions": [{"holder": "Ines Haldor", "statement": "the deal must include ferries"}],
    }
    t0 = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
    reports = [
        StoryArticle(i + 1, f"k{i}", None, "t", "", False, t0, t0, analysis=Analysis.from_dict(x))
        for i, x in enumerate((a, b))
    ]
    m = Story.of(reports, 1).to_dict()
    haldor = m["actors"][0]
    assert (haldor["name"], haldor["mentions"], haldor["role"]) == ("Ines Haldor", 5, "transport minister")
    assert [x["name"] for x in m["actors"]] == ["Ines Haldor", "Port of Vell"]
    assert len(m["quotes"]) == 2 and len(m["positions"]) == 1


def test_analyze_a_url_through_the_guarded_fetcher(http_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page = (
        "<html><head><title>Harbour pilots end strike</title></head><body><nav>Home | Sport</nav><article>"
        "<h1>Harbour pilots end strike</h1>"
        "<p>Harbour pilots in Vellmark returned to work on Monday after a four-day strike over night shifts.</p>"
        "<p>\u201cWe have a deal that keeps crews safe,\u201d said Jonas Aberg, the chairman of the pilots\u2019 union.</p>"
        "<p>The port authority said traffic would be back to normal by Wednesday, and that the agreement "
        "would be reviewed in a year.</p></article><footer>Contact us</footer></body></html>"
    ).encode()
    http_server.route("/pilots", body=page, content_type="text/html; charset=utf-8")
    cfg = tmp_path / "c.yaml"
    cfg.write_text("network: {allow_hosts: ['127.0.0.1']}\n")
    code, out, err = run("--config", str(cfg), "analyze", http_server.url("/pilots"))
    assert code == 0, err
    data = json.loads(out)
    assert data["title"] == "Harbour pilots end strike"
    assert any(q["speaker"] == "Jonas Aberg" for q in data["quotes"])
    cfg.write_text("network: {allow_private: false}\n")
    r = CliRunner().invoke(main, ["--config", str(cfg), "analyze", http_server.url("/pilots")])
    assert r.exit_code == 2 and "private" in r.stderr


# -- terminal safety: external text never reaches the terminal with control characters ----------
ESCAPES = "\x1b]0;owned\x07\x1b[2J\x1b[31m\x9b5m\x1bc\r\x00\x7f"


def test_plain_strips_escape_sequences_and_controls() -> None:
    from briefbot.cli import _escape, _plain

    assert _plain(f"Dock {ESCAPES}strike\tends\nin Vell") == "Dock strike\tends\nin Vell"
    assert _plain("a\x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\b") == "alinkb"  # OSC 8 hyperlink
    assert _plain("title\x1b]0;never ends\nnext line") == "title\nnext line"  # unterminated OSC
    assert _plain("Zürich – “quoted” ✓") == "Zürich – “quoted” ✓"  # printable Unicode stays
    assert _escape("[bold]x\x1b[1m[/]") == "\\[bold]x\\[/]"


def test_watch_test_and_sources_print_no_escape_sequences(tmp_path: Path) -> None:
    item = {
        "id": "vell-1",
        "url": "https://velmar.example/dock-strike",
        "title": f"Dock strike {ESCAPES}ends at Vell",
        "content_text": "Dock workers in Vell ended their strike on Monday. "
        "\u201cWe won,\u201d said Mara Tolvik, the union leader.",
        "date_published": "2026-11-30T07:00:00Z",
    }
    feed = {"version": "https://jsonfeed.org/version/1.1", "title": "Velmar Courier", "items": [item]}
    (tmp_path / "velmar.json").write_text(json.dumps(feed), encoding="utf-8")
    cfg = tmp_path / "config.yaml"
    cfg.write_text(
        "sources:\n"
        "  - {name: Velmar Courier, url: velmar.json}\n"
        '  - {name: "Vell \\e[5mGazette", url: "gone\\e]0;owned\\a.json"}\n',
        encoding="utf-8",
    )
    code, out, err = run("--config", str(cfg), "fetch", "--no-deliver")
    assert code == 1 and "1 new" in out, out + err
    code, out, _ = run("--config", str(cfg), "watch", "test", "strike", "--since", "3650d")
    assert code == 0 and "Dock strike ends at Vell" in " ".join(out.split()), out
    code, out2, _ = run("--config", str(cfg), "sources")
    assert code == 0 and "Vell Gazette" in out2
    for text in (out, out2, err):
        assert not any(c in text for c in "\x1b\x07\x9b\x00\x7f\r"), repr(text)
    with sqlite3.connect(tmp_path / "briefbot.db") as db:  # stored as received; only the display is cleaned
        assert (
            "\x1b]0;owned"
            in db.execute("select last_error from sources where last_error is not null").fetchone()[0]
        )
    code, out, _ = run("--config", str(cfg), "brief", "--since", "3650d", "--format", "json")
    assert "\\u001b" in out  # JSON output keeps the text, escaped as JSON does


def test_every_config_problem_is_listed_by_any_command(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("sources: [{name: a, url: x, interval: 1s}]\nnetwork: {timeout: soon}\n")
    code, _, err = run("--config", str(cfg), "sources")
    assert code == 2 and "2 problems" in err, err
    assert (
        "sources[0].interval: must be at least 30s" in err and "network.timeout: expected a duration" in err
    )


def test_fetch_table_says_what_waits_for_the_next_poll(
    http_server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """A feed over the per-poll cap is stored over several polls, and the table says so."""
    items = "".join(
        f"<item><title>Notice {i}</title><link>https://wire.example/{i}</link><guid>n-{i}</guid>"
        f"<description>Harbour notice number {i} for the week.</description></item>"
        for i in range(5)
    )
    http_server.route(
        "/feed.xml",
        f'<rss version="2.0"><channel><title>W</title>{items}</channel></rss>',
        content_type="application/rss+xml",
        etag='"w1"',
    )
    cfg = tmp_path / "c.yaml"
    cfg.write_text(
        f"database: sqlite:///bb.db\nnetwork: {{allow_hosts: ['127.0.0.1'], max_items_per_poll: 2}}\n"
        f"sources: [{{name: W, url: '{http_server.url('/feed.xml')}', full_text: false}}]\n"
    )
    code, out, _ = run("--config", str(cfg), "fetch", "--no-analyse")
    assert code == 0 and "2 new" in out and "3 more next poll" in out
    code, out, _ = run("--config", str(cfg), "fetch", "--no-analyse")
    assert code == 0 and "2 new" in out and "1 more next poll" in out
    code, out, _ = run("--config", str(cfg), "fetch", "--no-analyse")
    assert code == 0 and "1 new" in out and "more next poll" not in out


def test_sources_and_fetch_show_who_is_polling_a_source(demo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another instance polling a source now: `sources` names it, `fetch` leaves the source to it."""
    from datetime import timedelta

    from briefbot.config import load_config
    from briefbot.store import Store, utcnow

    monkeypatch.chdir(demo.parent)
    cfg = load_config(demo)
    store = Store.open(cfg.database_url())
    store.sync_sources((s.name, s.url) for s in cfg.sources)
    name = cfg.sources[0].name
    now = utcnow()
    assert store.claim_source(
        store.source(name).id, "elsewhere:42:7", now=now, lease_until=now + timedelta(minutes=5)
    )
    store.close()
    code, out, _ = run("--config", str(demo), "sources", "--format", "json")
    rows = {r["name"]: r for r in json.loads(out)}
    assert rows[name]["claimed_by"] == "elsewhere:42:7" and rows[name]["lease_until"]
    assert all(r["claimed_by"] is None for n, r in rows.items() if n != name)
    code, out, _ = run("--config", str(demo), "sources")
    assert "elsewhere:42:7" in out
    code, out, _ = run("--config", str(demo), "fetch", "--no-deliver")
    assert code == 0 and "being polled" in out and "elsewhere:42:" in out  # the table may wrap it
    assert "9 new" in out  # the other three sources were polled
