"""Bounded work on hostile input: caps per poll (nothing dropped, in order), a deadline per source,
and one bad item never costing its neighbours -- all served by the real HTTP server."""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime, timedelta

import pytest

from briefbot.config import Config
from briefbot.ingest.fetch import fetcher_from_config
from briefbot.ingest.poll import ITEMS_PER_POLL, PAGES_PER_POLL, Poller, PollReport, SourceReport
from briefbot.store import Store
from httpserver import Handler, TestHTTPServer

BODY = " ".join(["The ferry board met on Monday to settle the winter timetable for the island routes."] * 5)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 29, 7, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def make_cfg(*sources: tuple[str, str], **network: object) -> Config:
    return Config.model_validate(
        {
            "network": {"allow_hosts": ["127.0.0.1"], "timeout": "3s", **network},
            "sources": [{"name": n, "url": u, "interval": "15m"} for n, u in sources],
        }
    )


def poll_all(cfg: Config, store: Store, clock: Clock) -> dict[str, SourceReport]:
    with Poller(cfg, store, fetcher=fetcher_from_config(cfg.network), clock=clock) as p:
        report: PollReport = p.poll()
    return {r.name: r for r in report.sources}


def rss(items: list[str]) -> bytes:
    return (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0' "
        "xmlns:content='http://purl.org/rss/1.0/modules/content/'><channel><title>Isles</title>"
        "<link>https://isles.example/</link><description>d</description>"
        + "".join(items)
        + "</channel></rss>"
    ).encode()


def full_item(i: int) -> str:
    return (
        f"<item><title>Timetable note {i}</title><link>https://isles.example/note/{i}</link>"
        f"<guid isPermaLink='false'>n{i}</guid><description>Note {i}.</description>"
        f"<content:encoded><![CDATA[<p>Note {i}. {BODY}</p>]]></content:encoded></item>"
    )


def summary_item(server: TestHTTPServer, i: int) -> str:
    return (
        f"<item><title>Route change {i}</title><link>{server.url(f'/route/{i}')}</link>"
        f"<guid isPermaLink='false'>c{i}</guid><description>Teaser {i}.</description></item>"
    )


def page(i: int) -> bytes:
    return (
        f"<html><head><title>Route change {i}</title></head><body><article><h1>Route change {i}</h1>"
        f"<p>Change {i}. {BODY}</p><p>{BODY}</p></article></body></html>"
    ).encode()


# --------------------------------------------------------------------------- the caps


def test_feed_larger_than_the_cap_is_stored_over_several_polls(
    http_server: TestHTTPServer, store: Store
) -> None:
    n = ITEMS_PER_POLL * 2 + 200
    http_server.route(
        "/big.xml",
        body=rss([full_item(i) for i in range(n)]),
        content_type="application/rss+xml",
        etag='"big"',
    )
    cfg = make_cfg(("Big", http_server.url("/big.xml")))
    clock = Clock()
    r = poll_all(cfg, store, clock)["Big"]
    assert (r.status, r.new, r.waiting) == ("ok", ITEMS_PER_POLL, n - ITEMS_PER_POLL)
    # in feed order: the first ITEMS_PER_POLL items of the feed, none of the rest
    assert {a.key for a in store.articles()} == {
        f"https://isles.example/note/{i}" for i in range(ITEMS_PER_POLL)
    }
    state = store.source("Big")
    assert state.etag is None  # not validated while items wait
    assert state.next_due_at == clock.now  # due again at once
    clock.now += timedelta(minutes=1)
    r = poll_all(cfg, store, clock)["Big"]
    assert (r.new, r.unchanged, r.waiting) == (ITEMS_PER_POLL, ITEMS_PER_POLL, n - 2 * ITEMS_PER_POLL)
    assert "if-none-match" not in http_server.requests_for("/big.xml")[-1].headers  # read whole, not 304
    clock.now += timedelta(minutes=1)
    r = poll_all(cfg, store, clock)["Big"]
    assert (r.new, r.waiting) == (n - 2 * ITEMS_PER_POLL, 0)
    assert store.count_articles() == n and store.source("Big").etag == '"big"'
    clock.now += timedelta(minutes=20)
    assert poll_all(cfg, store, clock)["Big"].status == "not_modified"


def test_page_fetches_are_capped_and_the_rest_follow(http_server: TestHTTPServer, store: Store) -> None:
    n = PAGES_PER_POLL + 30
    for i in range(n):
        http_server.route(f"/route/{i}", body=page(i), content_type="text/html; charset=utf-8")
    http_server.route("/routes.xml", body=rss([summary_item(http_server, i) for i in range(n)]), etag='"r1"')
    cfg = make_cfg(("Routes", http_server.url("/routes.xml")))
    clock = Clock()
    r = poll_all(cfg, store, clock)["Routes"]
    assert (r.new, r.partial) == (n, 30)
    page_requests = [q for q in http_server.requests if q.path.startswith("/route/")]
    assert len(page_requests) == PAGES_PER_POLL
    arts = store.articles()
    assert len(arts) == n and sum(a.text_full for a in arts) == PAGES_PER_POLL  # every item stored
    clock.now += timedelta(minutes=20)
    r = poll_all(cfg, store, clock)["Routes"]
    assert (r.status, r.updated) == ("not_modified", 30)  # the feed is unchanged; the pages follow
    assert all(a.text_full for a in store.articles())


def test_a_slow_source_is_cut_off_at_its_deadline(
    http_server: TestHTTPServer, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:

    def slow(h: Handler) -> None:
        http_server.sleep(0.4)
        h.respond(200, page(0), {"Content-Type": "text/html"})

    n = 20
    for i in range(n):
        http_server.route(f"/route/{i}", handler=slow)
    http_server.route("/slow.xml", body=rss([summary_item(http_server, i) for i in range(n)]))
    http_server.route("/fast.xml", body=rss([full_item(1)]))
    cfg = make_cfg(
        ("Slow", http_server.url("/slow.xml")), ("Fast", http_server.url("/fast.xml")), source_deadline="1.5s"
    )
    started = time.monotonic()
    reports = poll_all(cfg, store, Clock())
    took = time.monotonic() - started
    assert took < 1.5 + 3 + 1  # the deadline, one page fetch's own timeout, and slack
    assert reports["Fast"].new == 1 and reports["Fast"].seconds < 1.0  # never waited for Slow
    slow_r = reports["Slow"]
    assert slow_r.new == n and 0 < slow_r.partial < n  # every item stored, some without their page
    fetched = [q for q in http_server.requests if q.path.startswith("/route/")]
    assert len(fetched) < n
    pending = store.pages_to_retry([store.source("Slow").id], Clock().now - timedelta(days=1), 100)
    assert len(pending[store.source("Slow").id]) == slow_r.partial  # and later polls fetch them


# --------------------------------------------------------------------------- hostile items


def test_bad_json_feed_items_cost_only_themselves(
    http_server: TestHTTPServer, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    good = [
        {"id": f"g{i}", "url": f"https://j.example/{i}", "title": f"Good {i}", "content_text": BODY}
        for i in range(3)
    ]
    items = [
        good[0],
        {
            "id": "edge",
            "url": "https://j.example/edge",
            "title": "Calendar edge",
            "date_published": "9999-12-31T23:59:59-23:59",
            "content_text": BODY,
        },
        {"id": "LONG_ID", "url": "https://j.example/long", "title": "Long id"},
        good[1],
        {"id": "deep", "url": "https://j.example/deep", "title": "Deep", "tags": "DEEP"},
        {"id": [["nested"]], "url": "https://j.example/list-id", "title": "List id"},
        good[2],
    ]
    doc = json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": items})
    doc = doc.replace('"LONG_ID"', "7" * 5000).replace('"DEEP"', "[" * 100_000 + "]" * 100_000)
    http_server.route("/feed.json", body=doc.encode(), content_type="application/feed+json")
    cfg = make_cfg(("Json", http_server.url("/feed.json")))
    with caplog.at_level(logging.WARNING):
        r = poll_all(cfg, store, Clock())["Json"]
    assert r.status == "ok" and r.skipped == 3
    arts = {a.title: a for a in store.articles()}
    assert set(arts) == {"Good 0", "Good 1", "Good 2", "Calendar edge"}
    assert arts["Calendar edge"].published is None  # a date past the calendar is no date
    assert "skipped item" in caplog.text and "5,000 characters" in caplog.text
    assert "left out" in (store.source("Json").last_error or "")


def test_rss_item_with_an_endless_guid_is_skipped(http_server: TestHTTPServer, store: Store) -> None:
    items = [
        full_item(1),
        full_item(2).replace(
            "<guid isPermaLink='false'>n2</guid>", f"<guid isPermaLink='false'>{'9' * 5000}</guid>"
        ),
        full_item(3),
    ]
    http_server.route("/f.xml", body=rss(items), content_type="application/rss+xml")
    r = poll_all(make_cfg(("F", http_server.url("/f.xml"))), store, Clock())["F"]
    assert (r.status, r.new, r.skipped) == ("ok", 2, 1)


def test_malformed_location_is_a_clear_error(http_server: TestHTTPServer, store: Store) -> None:
    def broken(location: str):  # type: ignore[no-untyped-def]
        def handler(h: Handler) -> None:
            h.wfile.write(
                b"HTTP/1.1 302 Found\r\nLocation: " + location.encode() + b"\r\nContent-Length: 0\r\n\r\n"
            )

        return handler

    http_server.route("/moved", handler=broken("http://[::1"))
    http_server.route("/idna", handler=broken("http://xn--/feed"))
    http_server.route("/nohost", handler=broken("http:///feed"))
    http_server.route("/page-moved", handler=broken("http://[zz"))
    http_server.route("/sum.xml", body=rss([summary_item(http_server, 0).replace("/route/0", "/page-moved")]))
    cfg = make_cfg(
        ("Moved", http_server.url("/moved")),
        ("Idna", http_server.url("/idna")),
        ("NoHost", http_server.url("/nohost")),
        ("Sum", http_server.url("/sum.xml")),
    )
    reports = poll_all(cfg, store, Clock())
    for name in ("Moved", "Idna", "NoHost"):
        r = reports[name]
        assert r.status == "failed", name
        assert "redirected to" in (r.error or "") and "hint: the site sends a broken redirect" in (
            r.error or ""
        )
    # an article page behind a broken redirect: the item keeps its summary, the poll goes on
    assert (reports["Sum"].status, reports["Sum"].new, reports["Sum"].partial) == ("ok", 1, 1)


DEEP = 200_000


def test_content_nested_200000_divs_deep_keeps_its_text(http_server: TestHTTPServer, store: Store) -> None:
    deep = "<div>" * DEEP + "<p>The pier reopens in March.</p>" + "</div>" * DEEP
    item = (
        "<item><title>Deep</title><link>https://isles.example/deep</link>"
        f"<content:encoded><![CDATA[<p>Lead paragraph. {BODY}</p>{deep}<p>Closing line.</p>]]></content:encoded></item>"
    )
    http_server.route("/deep.xml", body=rss([item]), content_type="application/rss+xml")
    r = poll_all(make_cfg(("Deep", http_server.url("/deep.xml")), max_bytes="5MB"), store, Clock())["Deep"]
    assert (r.status, r.new) == ("ok", 1)
    [art] = store.articles()
    assert "The pier reopens in March." in art.text and art.text.endswith("Closing line.")


def test_page_nested_200000_divs_deep_keeps_its_text(http_server: TestHTTPServer, store: Store) -> None:
    deep = "<div>" * DEEP + f"<p>Buried. {BODY}</p>" + "</div>" * DEEP
    html = (
        f"<html><head><title>Buried pier notice</title></head><body><article>{deep}</article></body></html>"
    )
    http_server.route("/deep.html", body=html.encode(), content_type="text/html")
    http_server.route("/route/0", body=html.encode(), content_type="text/html")
    http_server.route("/sum.xml", body=rss([summary_item(http_server, 0)]))
    cfg = Config.model_validate(
        {
            "network": {"allow_hosts": ["127.0.0.1"], "timeout": "10s", "max_bytes": "5MB"},
            "sources": [
                {"name": "Page", "url": http_server.url("/deep.html"), "kind": "page"},
                {"name": "Sum", "url": http_server.url("/sum.xml")},
            ],
        }
    )
    reports = poll_all(cfg, store, Clock())
    assert reports["Page"].status == "ok" and reports["Sum"].status == "ok"
    arts = store.articles()
    assert len(arts) == 2
    for art in arts:
        assert "Buried." in art.text and art.text_full
