"""A feed's validators come after its items: nothing is lost at any crash point of a poll, and an
article page that failed is fetched by a later poll (real server, real databases, real SIGKILL)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from briefbot.config import Config
from briefbot.ingest.fetch import fetcher_from_config
from briefbot.ingest.poll import Poller, PollReport, SourceReport
from briefbot.store import Store
from httpserver import Handler, TestHTTPServer

ROOT = Path(__file__).resolve().parent.parent
BODY = " ".join(
    ["The harbour board met on Tuesday to weigh the dredging plan for the northern basin and its costs."] * 5
)

# Runs one poll in a child process, which BRIEFBOT_FAILPOINT may kill (SIGKILL) part-way.
WORKER = """
import json, sys
from briefbot.config import Config
from briefbot.ingest.fetch import fetcher_from_config
from briefbot.ingest.poll import Poller
from briefbot.store import Store
cfg = Config.model_validate(json.loads(sys.argv[2]))
store = Store.open(sys.argv[1])
with Poller(cfg, store, fetcher=fetcher_from_config(cfg.network)) as poller:
    poller.poll()
store.close()
"""


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 29, 7, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def page(n: int) -> bytes:
    return (
        f"<html><head><title>Dredging report {n}</title></head><body><nav>Home | Port</nav>"
        f"<article><h1>Dredging report {n}</h1><p>Report {n}. {BODY}</p><p>{BODY}</p></article>"
        "<footer>Test Wire</footer></body></html>"
    ).encode()


def summary_feed(server: TestHTTPServer, n: int, full_content: bool = False) -> bytes:
    items = []
    for i in range(n):
        extra = (
            f"<content:encoded><![CDATA[<p>Item {i}. {BODY}</p>]]></content:encoded>" if full_content else ""
        )
        items.append(
            f"<item><title>Dredging report {i}</title><link>{server.url(f'/story/{i}')}</link>"
            f"<guid isPermaLink='false'>r{i}</guid><description>Teaser {i}.</description>{extra}</item>"
        )
    return (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0' "
        "xmlns:content='http://purl.org/rss/1.0/modules/content/'><channel><title>Wire</title>"
        "<link>https://wire.example/</link><description>d</description>" + "".join(items) + "</channel></rss>"
    ).encode()


def cfg_dict(url: str) -> dict[str, object]:
    return {
        "network": {"allow_hosts": ["127.0.0.1"], "timeout": "5s"},
        "sources": [{"name": "Wire", "url": url, "interval": "15m"}],
    }


def make_cfg(url: str) -> Config:
    return Config.model_validate(cfg_dict(url))


def poll(cfg: Config, store: Store, clock: Callable[[], datetime] | None = None) -> SourceReport:
    kwargs = {"clock": clock} if clock else {}
    with Poller(cfg, store, fetcher=fetcher_from_config(cfg.network), **kwargs) as p:
        report: PollReport = p.poll()
    (r,) = report.sources
    return r


def run_killed(db_url: str, url: str, failpoint: str) -> int:
    """Poll in a child process killed at ``failpoint``; returns its exit status."""
    env = {**os.environ, "BRIEFBOT_FAILPOINT": failpoint, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", WORKER, db_url, json.dumps(cfg_dict(url))],
        env=env,
        capture_output=True,
        timeout=120,
    )
    return done.returncode


def serve_pages(server: TestHTTPServer, n: int) -> None:
    for i in range(n):
        server.route(f"/story/{i}", body=page(i), content_type="text/html; charset=utf-8")


# --------------------------------------------------------------------------- crash points


@pytest.mark.parametrize(
    "failpoint",
    [
        "poll:feed-parsed",
        "poll:page-fetched",
        "poll:page-fetched:2",
        "poll:page-fetched:3",
        "poll:source-done",
    ],
)
def test_a_poll_killed_anywhere_loses_nothing(
    http_server: TestHTTPServer, db_url: str, failpoint: str
) -> None:
    serve_pages(http_server, 3)
    http_server.route("/feed.xml", body=summary_feed(http_server, 3), etag='"v1"')
    cfg = make_cfg(http_server.url("/feed.xml"))
    assert run_killed(db_url, cfg.sources[0].url, failpoint) == -signal.SIGKILL
    store = Store.open(db_url)
    try:
        stored = store.articles()
        state = store.source("Wire")
        # the invariant at the moment of the crash: validators only with every item of the response
        if state.etag is not None:
            assert len(stored) == 3 and failpoint == "poll:source-done"
        r = poll(cfg, store)
        arts = store.articles()
        assert len(arts) == 3 and all(a.text_full for a in arts), [(a.title, a.text_full) for a in arts]
        assert all("northern basin" in a.text for a in arts)
        feed_requests = http_server.requests_for("/feed.xml")
        if failpoint == "poll:source-done":
            assert r.status == "not_modified"
            assert feed_requests[-1].headers.get("if-none-match") == '"v1"'
        else:
            assert r.status == "ok"
            assert "if-none-match" not in feed_requests[-1].headers  # read whole again
        assert store.source("Wire").etag == '"v1"'
    finally:
        store.close()


@pytest.mark.parametrize("failpoint", ["poll:feed-parsed", "poll:source-done"])
def test_full_content_feed_killed_loses_nothing(
    http_server: TestHTTPServer, db_url: str, failpoint: str
) -> None:
    http_server.route("/feed.xml", body=summary_feed(http_server, 4, full_content=True), etag='"v1"')
    cfg = make_cfg(http_server.url("/feed.xml"))
    assert run_killed(db_url, cfg.sources[0].url, failpoint) == -signal.SIGKILL
    store = Store.open(db_url)
    try:
        poll(cfg, store)
        assert store.count_articles() == 4
        assert http_server.requests_for("/story/0") == []  # full content: no page fetched
    finally:
        store.close()


def test_validators_wait_for_the_pages(http_server: TestHTTPServer, store: Store) -> None:
    """Until the last page is stored the source keeps no validators (and no success)."""
    serve_pages(http_server, 2)
    seen: list[tuple[str | None, int]] = []

    def slow_page(h: Handler) -> None:
        state = store.source("Wire")
        seen.append((state.etag, store.count_articles()))
        h.respond(200, page(1), {"Content-Type": "text/html"})

    http_server.route("/story/1", handler=slow_page)
    http_server.route("/feed.xml", body=summary_feed(http_server, 2), etag='"v1"')
    r = poll(make_cfg(http_server.url("/feed.xml")), store)
    assert (r.status, r.new, r.partial) == ("ok", 2, 0)
    assert seen and seen[0][0] is None  # while the page was being fetched: no validators
    assert store.source("Wire").etag == '"v1"'


# --------------------------------------------------------------------------- failed pages are retried


def test_failed_page_is_fetched_by_the_next_poll(http_server: TestHTTPServer, store: Store) -> None:
    calls = {"n": 0}

    def flaky(h: Handler) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            h.respond(503, b"busy", {"Content-Type": "text/plain"})
        else:
            h.respond(200, page(0), {"Content-Type": "text/html"})

    http_server.route("/story/0", handler=flaky)
    http_server.route("/feed.xml", body=summary_feed(http_server, 1), etag='"v1"')
    cfg = make_cfg(http_server.url("/feed.xml"))
    clock = Clock()
    r = poll(cfg, store, clock)
    assert (r.status, r.new, r.partial) == ("ok", 1, 1)
    [art] = store.articles()
    assert not art.text_full and art.text == "Teaser 0."  # kept with its summary, never dropped
    assert store.source("Wire").etag == '"v1"'  # the item is stored: the feed may be validated
    clock.now += timedelta(minutes=20)
    r = poll(cfg, store, clock)
    assert (r.status, r.updated) == ("not_modified", 1)  # 304 for the feed, the page fetched again
    [art] = store.articles()
    assert art.text_full and "northern basin" in art.text
    clock.now += timedelta(minutes=20)
    poll(cfg, store, clock)
    assert calls["n"] == 2  # done: not fetched again


def test_failed_page_is_retried_when_the_feed_is_read_again(
    http_server: TestHTTPServer, store: Store
) -> None:
    """Without validators (the server sends none) the feed is read whole and the item retried from it."""
    calls = {"n": 0}

    def flaky(h: Handler) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            h.close_connection = True
            h.respond(500, b"", {"Content-Type": "text/plain"})
        else:
            h.respond(200, page(0), {"Content-Type": "text/html"})

    http_server.route("/story/0", handler=flaky)
    http_server.route("/feed.xml", body=summary_feed(http_server, 1))
    cfg = make_cfg(http_server.url("/feed.xml"))
    clock = Clock()
    assert poll(cfg, store, clock).partial == 1
    clock.now += timedelta(minutes=20)
    r = poll(cfg, store, clock)
    assert (r.status, r.updated, r.partial) == ("ok", 1, 0)
    [art] = store.articles()
    assert art.text_full and art.version == 2


def test_page_that_is_gone_is_not_retried(http_server: TestHTTPServer, store: Store) -> None:
    http_server.route("/feed.xml", body=summary_feed(http_server, 1), etag='"v1"')  # /story/0 is a 404
    cfg = make_cfg(http_server.url("/feed.xml"))
    clock = Clock()
    for _ in range(3):
        poll(cfg, store, clock)
        clock.now += timedelta(minutes=20)
    assert len(http_server.requests_for("/story/0")) == 1
    [art] = store.articles()
    assert not art.text_full and art.text == "Teaser 0."


def test_retries_stop_after_the_window(http_server: TestHTTPServer, store: Store) -> None:
    http_server.route("/story/0", status=503, body=b"down")
    http_server.route("/feed.xml", body=summary_feed(http_server, 1), etag='"v1"')
    cfg = make_cfg(http_server.url("/feed.xml"))
    clock = Clock()
    poll(cfg, store, clock)
    clock.now += timedelta(hours=2)
    poll(cfg, store, clock)
    assert len(http_server.requests_for("/story/0")) == 2
    clock.now += timedelta(days=1)
    poll(cfg, store, clock)
    assert len(http_server.requests_for("/story/0")) == 2  # past PAGE_RETRY_WINDOW: it keeps its summary
    [art] = store.articles()
    assert not art.text_full and art.text == "Teaser 0."
