"""`briefbot check` validates watch queries: each bad one named by its key path and column."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from briefbot.cli import main


def check(tmp_path: Path, text: str) -> tuple[int, str]:
    cfg = tmp_path / "config.yaml"
    cfg.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["--config", str(cfg), "check"], catch_exceptions=False)
    return result.exit_code, result.output


def test_unbalanced_query_names_key_path_and_column(tmp_path: Path) -> None:
    code, out = check(tmp_path, "watches: [{name: x, query: '(strike OR'}]\n")
    assert code == 2, out
    assert "watches[0].query: column 11: " in out, out


def test_every_bad_query_and_other_problems_at_once(tmp_path: Path) -> None:
    code, out = check(
        tmp_path,
        """
sources: [{name: a, url: feed.xml, interval: 1s}]
watches:
  - {name: ok, query: '(strike OR walkout) -"pay deal"'}
  - {name: typo, query: 'autor:"Ilse Marquardt"'}
  - {name: quote, query: 'title:"grain exports'}
""",
    )
    assert code == 2, out
    assert "3 problem(s)" in out, out
    assert "sources[0].interval: must be at least 30s" in out
    assert 'watches[1].query: column 1: unknown field "autor:"; did you mean "actor:"?' in out
    assert "watches[2].query: column 7: unclosed quote" in out
    assert "watches[0]" not in out


def test_valid_queries_pass(tmp_path: Path) -> None:
    code, out = check(
        tmp_path,
        """
watches:
  - {name: a, query: 'sanction* (russia OR iran) -"oil price cap"'}
  - {name: b, query: 'actor:"Ilse Marquardt" OR speaker:marquardt'}
  - {name: c, query: 'title:(strike OR walkout) source:"Velmar Courier"'}
""",
    )
    assert code == 0, out
    assert "is valid" in out and "3 watches" in out, out


def test_installed_command_reports_it(tmp_path: Path) -> None:
    # The real entry point in a fresh process, as a user or cron would run it.
    cfg = tmp_path / "config.yaml"
    cfg.write_text("watches: [{name: x, query: '(strike OR'}]\n", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "briefbot", "--config", str(cfg), "check"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "watches[0].query: column 11: " in proc.stderr, proc.stderr
