"""A whole poll against a real HTTP server on 127.0.0.1: what users meet when they run `briefbot fetch`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from briefbot.config import Config, parse_config
from briefbot.ingest.fetch import fetcher_from_config
from briefbot.ingest.poll import Poller, backoff
from briefbot.store import Store

LONG = " ".join(["The harbour board met on Tuesday to weigh the dredging plan for the northern basin."] * 6)


def rss(*items: tuple[str, str, str], title: str = "Test Wire") -> bytes:
    """items: (guid, link, text)"""
    body = "".join(
        f"<item><title>Item {guid}</title><guid isPermaLink='false'>{guid}</guid><link>{link}</link>"
        f"<pubDate>Sat, 28 Nov 2026 09:00:00 GMT</pubDate><description>Short teaser {guid}.</description>"
        f"<content:encoded><![CDATA[<p>{text}</p>]]></content:encoded></item>"
        for guid, link, text in items
    )
    return (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0' "
        "xmlns:content='http://purl.org/rss/1.0/modules/content/'><channel>"
        f"<title>{title}</title><link>https://wire.example/</link><description>d</description>{body}"
        "</channel></rss>"
    ).encode()


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 29, 7, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(f"sqlite:///{tmp_path / 'bb.db'}")
    yield s
    s.close()


def make_cfg(sources: list[tuple[str, str]], **network: object) -> Config:
    net = {"allow_private": False, "allow_hosts": ["127.0.0.1"], "timeout": "2s", **network}
    return Config.model_validate(
        {"network": net, "sources": [{"name": n, "url": u, "interval": "15m"} for n, u in sources]}
    )


def poll(cfg: Config, store: Store, clock: Clock, **kw: object):  # type: ignore[no-untyped-def]
    with Poller(cfg, store, fetcher=fetcher_from_config(cfg.network), clock=clock) as p:
        return p.poll(**kw)  # type: ignore[arg-type]


def by_name(report) -> dict:  # type: ignore[no-untyped-def]
    return {r.name: r for r in report.sources}


def test_second_poll_is_a_304(http_server, store: Store, clock: Clock) -> None:  # type: ignore[no-untyped-def]
    http_server.route(
        "/feed.xml",
        body=rss(("1", "https://wire.example/a?utm_source=rss", LONG)),
        content_type="application/rss+xml",
        etag='"v1"',
    )
    cfg = make_cfg([("Wire", http_server.url("/feed.xml"))])
    first = by_name(poll(cfg, store, clock))["Wire"]
    assert (first.status, first.new) == ("ok", 1)
    second = by_name(poll(cfg, store, clock))["Wire"]
    assert second.status == "not_modified" and second.new == 0
    reqs = http_server.requests_for("/feed.xml")
    assert reqs[1].headers.get("if-none-match") == '"v1"'
    assert reqs[0].headers["user-agent"].startswith("briefbot/")
    [art] = store.articles()
    assert art.key == "https://wire.example/a" and art.text_full


def test_same_article_in_two_feeds_is_stored_once(http_server, store: Store, clock: Clock) -> None:  # type: ignore[no-untyped-def]
    shared = ("wire-77", "https://wire.example/story-77?utm_medium=feed", LONG)
    http_server.route("/a.xml", body=rss(shared, ("a-2", "https://a.example/own", LONG + " A.")))
    http_server.route("/b.xml", body=rss(("b-9", "https://wire.example/story-77#top", LONG)))
    cfg = make_cfg([("A", http_server.url("/a.xml")), ("B", http_server.url("/b.xml"))])
    report = poll(cfg, store, clock)
    assert sum(r.new for r in report.sources) == 2
    arts = {a.key: a for a in store.articles()}
    assert sorted(arts["https://wire.example/story-77"].sources) == ["A", "B"]


def test_edited_item_is_an_update(http_server, store: Store, clock: Clock) -> None:  # type: ignore[no-untyped-def]
    http_server.route("/f.xml", body=rss(("1", "https://wire.example/x", LONG)))
    cfg = make_cfg([("W", http_server.url("/f.xml"))])
    assert by_name(poll(cfg, store, clock))["W"].new == 1
    http_server.route(
        "/f.xml", body=rss(("1", "https://wire.example/x", LONG + " Correction: Tuesday, not Monday."))
    )
    r = by_name(poll(cfg, store, clock))["W"]
    assert (r.new, r.updated) == (0, 1)
    [art] = store.articles()
    assert art.version == 2 and "Correction" in art.text
    r = by_name(poll(cfg, store, clock))["W"]
    assert (r.new, r.updated, r.unchanged) == (0, 0, 1)


def test_one_bad_source_never_stops_the_others(http_server, store: Store, clock: Clock) -> None:  # type: ignore[no-untyped-def]
    http_server.route("/good.xml", body=rss(("1", "https://wire.example/good", LONG)))
    http_server.route(
        "/broken.xml", body=b"<rss><channel><item><title>unclosed", content_type="application/rss+xml"
    )
    http_server.route(
        "/html",
        body=b"<html><head><title>Home</title></head><body><p>Hi</p></body></html>",
        content_type="text/html",
    )
    http_server.route("/500", status=500, body=b"oops")
    http_server.route("/big.xml", body=b"<rss>" + b" " * 3_000_000 + b"</rss>")
    cfg = make_cfg(
        [
            ("Good", http_server.url("/good.xml")),
            ("Broken", http_server.url("/broken.xml")),
            ("Html", http_server.url("/html")),
            ("Err", http_server.url("/500")),
            ("Big", http_server.url("/big.xml")),
            ("Gone", "http://127.0.0.1:9/feed"),
        ],
        max_bytes="1MB",
    )
    report = by_name(poll(cfg, store, clock))
    assert report["Good"].status == "ok" and report["Good"].new == 1
    for name in ("Broken", "Html", "Err", "Big", "Gone"):
        assert report[name].status == "failed", name
    states = {s.name: s for s in store.sources()}
    assert "malformed" in (states["Broken"].last_error or "").lower()
    assert "html" in (states["Html"].last_error or "").lower()
    assert "500" in (states["Err"].last_error or "")
    assert states["Big"].consecutive_failures == 1
    assert states["Good"].consecutive_failures == 0 and states["Good"].last_error is None


def test_retry_after_is_honoured(http_server, store: Store, clock: Clock) -> None:  # type: ignore[no-untyped-def]
    http_server.route("/busy.xml", status=429, body=b"slow down", headers={"Retry-After": "3600"})
    cfg = make_cfg([("Busy", http_server.url("/busy.xml"))])
    r = by_name(poll(cfg, store, clock))["Busy"]
    assert r.status == "failed" and r.wait_until == clock.now + timedelta(seconds=3600)
    clock.now += timedelta(minutes=30)  # interval has passed, Retry-After has not
    r = by_name(poll(cfg, store, clock))["Busy"]
    assert r.status == "waiting"
    assert len(http_server.requests_for("/busy.xml")) == 1
    clock.now += timedelta(minutes=31)
    http_server.route("/busy.xml", body=rss(("1", "https://wire.example/z", LONG)))
    assert by_name(poll(cfg, store, clock))["Busy"].status == "ok"


def test_failing_source_backs_off_and_due_respects_interval(http_server, store: Store, clock: Clock) -> None:  # type: ignore[no-untyped-def]
    http_server.route("/down", status=503, body=b"")
    http_server.route("/ok.xml", body=rss(("1", "https://wire.example/ok", LONG)))
    cfg = make_cfg([("Down", http_server.url("/down")), ("Ok", http_server.url("/ok.xml"))])
    poll(cfg, store, clock)
    clock.now += timedelta(seconds=30)
    report = by_name(poll(cfg, store, clock, due_only=True))
    assert report["Down"].status == "waiting" and report["Ok"].status == "not_due"
    report = by_name(poll(cfg, store, clock))  # not --due: Ok polled, Down still backing off
    assert report["Ok"].status == "ok" and report["Down"].status == "waiting"
    assert by_name(poll(cfg, store, clock, force=True))["Down"].status == "failed"
    assert store.source("Down").consecutive_failures == 2


def test_timeout_is_a_source_error(http_server, store: Store, clock: Clock) -> None:  # type: ignore[no-untyped-def]
    def slow(h):  # type: ignore[no-untyped-def]
        http_server.sleep(3)
        h.respond(200, rss(("1", "https://wire.example/slow", LONG)))

    http_server.route("/slow.xml", handler=slow)
    cfg = make_cfg([("Slow", http_server.url("/slow.xml"))], timeout="0.5s")
    r = by_name(poll(cfg, store, clock))["Slow"]
    assert r.status == "failed" and "tim" in (r.error or "").lower()


def test_redirect_to_private_address_refused(http_server, store: Store, clock: Clock) -> None:  # type: ignore[no-untyped-def]
    http_server.route("/feed.xml", body=rss(("1", "https://wire.example/p", LONG)))
    http_server.redirect("/moved", http_server.url("/feed.xml", host="127.0.0.2"))
    cfg = make_cfg([("Moved", http_server.url("/moved"))])
    r = by_name(poll(cfg, store, clock))["Moved"]
    assert r.status == "failed" and "127.0.0.2" in (r.error or "") and "private" in (r.error or "")
    assert http_server.requests_for("/feed.xml") == []


def test_private_source_refused_without_a_request(http_server, store: Store, clock: Clock) -> None:  # type: ignore[no-untyped-def]
    http_server.route("/feed.xml", body=rss(("1", "https://wire.example/q", LONG)))
    cfg = make_cfg([("Local", http_server.url("/feed.xml"))], allow_hosts=[])
    r = by_name(poll(cfg, store, clock))["Local"]
    assert r.status == "failed" and "allow_private" in (r.error or "")
    assert http_server.requests == []


def test_summary_only_entry_fetches_the_page(http_server, store: Store, clock: Clock) -> None:  # type: ignore[no-untyped-def]
    page = (
        "<html><head><title>Dredging plan approved</title></head><body><nav>Home | World | Sport</nav>"
        f"<article><h1>Dredging plan approved</h1><p>{LONG}</p><p>{LONG}</p></article>"
        "<footer>Copyright Test Wire</footer></body></html>"
    ).encode()
    http_server.route("/story", body=page, content_type="text/html; charset=utf-8")
    http_server.route("/missing-story", status=404, body=b"")
    feed = (
        "<?xml version='1.0'?><rss version='2.0'><channel><title>T</title><link>http://x</link><description>d</description>"
        f"<item><title>Dredging plan approved</title><link>{http_server.url('/story')}</link><description>Teaser.</description></item>"
        f"<item><title>Gone</title><link>{http_server.url('/missing-story')}</link><description>Other teaser.</description></item>"
        "</channel></rss>"
    ).encode()
    http_server.route("/summary.xml", body=feed)
    cfg = make_cfg([("Sum", http_server.url("/summary.xml"))])
    r = by_name(poll(cfg, store, clock))["Sum"]
    assert (r.status, r.new, r.partial) == ("ok", 2, 1)
    arts = {a.title: a for a in store.articles()}
    assert (
        arts["Dredging plan approved"].text_full and "northern basin" in arts["Dredging plan approved"].text
    )
    assert "Home | World" not in arts["Dredging plan approved"].text
    assert not arts["Gone"].text_full and arts["Gone"].text == "Other teaser."


def test_backoff_grows_and_is_capped() -> None:
    interval = timedelta(minutes=15)
    delays = [backoff(n, interval) for n in range(1, 8)]
    assert delays == sorted(delays) and delays[0] == timedelta(minutes=1)
    assert delays[-1] == timedelta(hours=6)


def test_local_folder_and_files(tmp_path: Path, store: Store, clock: Clock) -> None:
    (tmp_path / "feed.xml").write_bytes(rss(("1", "https://wire.example/l1", LONG)))
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "one.txt").write_text(
        f"date 2026-11-27\nCouncil backs ferry subsidy\n\n{LONG}\n", encoding="utf-8"
    )
    cfg = parse_config("sources:\n - {name: F, url: feed.xml}\n - {name: P, url: pages}\n", base_dir=tmp_path)
    report = by_name(poll(cfg, store, clock))
    assert report["F"].new == 1 and report["P"].new == 1
    titles = {a.title for a in store.articles()}
    assert "Council backs ferry subsidy" in titles


def test_entry_hash_follows_the_kept_text_not_the_markup() -> None:
    from briefbot.ingest.feeds import Entry
    from briefbot.ingest.poll import entry_hash

    def entry(html: str) -> Entry:
        return Entry(
            guid="g",
            link="https://x.example/a",
            title="T",
            summary="S",
            content_html=html,
            published=None,
            updated=None,
            author=None,
        )

    assert entry_hash(entry("<p>Same text</p>")) == entry_hash(
        entry("<p class='x'><span>Same</span> text</p>")
    )
    assert entry_hash(entry("<p>Same text</p>")) != entry_hash(entry("<p>Other text</p>"))


def test_stored_link_is_the_clean_one(http_server, store: Store, clock: Clock) -> None:  # type: ignore[no-untyped-def]
    http_server.route(
        "/f.xml", body=rss(("1", "https://wire.example/a/b?utm_source=rss&id=7#comments", LONG))
    )
    poll(make_cfg([("W", http_server.url("/f.xml"))]), store, clock)
    [art] = store.articles()
    assert art.url == "https://wire.example/a/b?id=7"
