"""`briefbot run`: catch-up of a digest missed while down, and a clean stop on SIGTERM."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from briefbot.app import App
from briefbot.config import load_config
from briefbot.runner import Runner
from briefbot.store import DigestRun, Store
from slackserver import SlackServer

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "xoxb-test-token-0123456789"


def write_config(tmp_path: Path, slack_url: str, tick: str = "30s") -> Path:
    shutil.copytree(ROOT / "samples", tmp_path / "samples")
    cfg = tmp_path / "config.yaml"
    cfg.write_text(f"""
database: sqlite:///bb.db
scheduler: {{tick: {tick}, catch_up_grace: 2h}}
sources:
  - {{name: Lodestar Wire, url: samples/feeds/lodestar-wire.json}}
digests:
  - {{name: morning, schedule: 'mon-fri 07:30', timezone: UTC, to: ['slack:#briefings']}}
  - {{name: fresh, schedule: 'daily 06:00', timezone: UTC, to: ['slack:#fresh']}}
slack: {{token: {TOKEN}, base_url: '{slack_url}'}}
""")
    return cfg


def test_missed_digest_is_sent_once_on_start(tmp_path: Path, slack: SlackServer) -> None:
    cfg = load_config(write_config(tmp_path, slack.base_url))
    store = Store.open(cfg.database_url())
    friday = datetime(2026, 11, 27, 7, 30, 4, tzinfo=UTC)
    store.record_digest_run(DigestRun("morning", friday, friday - timedelta(days=1), friday, 2))
    t = [datetime(2026, 11, 30, 8, 10, tzinfo=UTC)]  # Monday: the 07:30 run was missed

    def clock() -> datetime:  # time moves on a second at each look
        t[0] += timedelta(seconds=1)
        return t[0]

    runner = Runner(App(cfg, store=store, clock=clock))
    runner.tick()  # fetch the sample feed so the digest has stories
    assert runner.catch_up() == ["morning"]  # "fresh" never ran: no catch-up for it
    posts = [p for p in slack.posts if p.channel in ("#briefings", slack.channel_id("#briefings"))]
    assert posts
    last = store.last_digest_run("morning")
    assert last is not None and last.scheduled_for == datetime(2026, 11, 30, 7, 30, tzinfo=UTC)
    assert runner.catch_up() == []  # once
    assert store.last_digest_run("fresh") is None
    runner.app.poller.close()
    store.close()


def test_catch_up_respects_grace(tmp_path: Path, slack: SlackServer) -> None:
    cfg = load_config(write_config(tmp_path, slack.base_url))
    store = Store.open(cfg.database_url())
    friday = datetime(2026, 11, 27, 7, 30, 4, tzinfo=UTC)
    store.record_digest_run(DigestRun("morning", friday, friday - timedelta(days=1), friday, 2))
    late = datetime(2026, 11, 30, 11, 0, tzinfo=UTC)  # 3.5 h after 07:30, grace is 2 h
    runner = Runner(App(cfg, store=store, clock=lambda: late))
    assert runner.catch_up() == []
    assert slack.posts == []
    runner.app.poller.close()
    store.close()


def test_run_polls_then_stops_cleanly_on_sigterm(tmp_path: Path, slack: SlackServer) -> None:
    cfg = write_config(tmp_path, slack.base_url, tick="1s")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "briefbot", "--config", str(cfg), "run"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    try:
        store = Store.open(load_config(cfg).database_url())
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and store.count_articles() < 4:
            time.sleep(0.3)
        assert store.count_articles() == 4, "the first tick should have fetched the feed"
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "SIGTERM received" in err and "briefbot stopped" in err
    store.close()


def test_health_reads_the_heartbeat(
    tmp_path: Path, slack: SlackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from briefbot.cli import main

    beat = tmp_path / "heartbeat"
    monkeypatch.setenv("BRIEFBOT_HEARTBEAT", str(beat))
    r = CliRunner().invoke(main, ["health"])
    assert r.exit_code == 2 and "no heartbeat" in r.stderr
    cfg = load_config(write_config(tmp_path, slack.base_url))
    store = Store.open(cfg.database_url())
    runner = Runner(App(cfg, store=store))
    runner.tick()
    r = CliRunner().invoke(main, ["health"])
    assert r.exit_code == 0 and "alive" in r.stdout
    beat.write_text((datetime.now(UTC) - timedelta(minutes=10)).isoformat())
    r = CliRunner().invoke(main, ["health", "--max-age", "5m"])
    assert r.exit_code == 2
    runner.app.poller.close()
    store.close()
