"""Ingest defects real feeds show, each with its own fixture: plain text that contains "<", an
empty feed served without a Content-Type, undefined entities, and one bad file in a folder."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from briefbot.config import Config, parse_config
from briefbot.errors import FeedError
from briefbot.ingest import feeds as feeds_module
from briefbot.ingest.feeds import parse_feed
from briefbot.ingest.fetch import fetcher_from_config
from briefbot.ingest.poll import Poller, PollReport, SourceReport
from briefbot.store import Store
from httpserver import TestHTTPServer

Fixture = Callable[[str], bytes]
URL = "https://x.example/feeds/f.xml"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 29, 7, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(f"sqlite:///{tmp_path / 'bb.db'}")
    yield s
    s.close()


def poll(cfg: Config, store: Store) -> PollReport:
    with Poller(cfg, store, fetcher=fetcher_from_config(cfg.network), clock=Clock()) as p:
        return p.poll()


def one(report: PollReport) -> SourceReport:
    (r,) = report.sources
    return r


def remote_cfg(url: str) -> Config:
    return Config.model_validate(
        {
            "network": {"allow_hosts": ["127.0.0.1"], "timeout": "3s"},
            "sources": [{"name": "Feed", "url": url, "interval": "15m"}],
        }
    )


# --------------------------------------------------------------------------- plain text stays text


def test_text_typed_atom_values_keep_angle_brackets(feed_fixture: Fixture) -> None:
    feed = parse_feed(feed_fixture("atom_text_types.xml"), URL)
    assert feed.title == "Notes on <Generic> Code"
    vec, maps, borrow, option = feed.entries
    assert vec.title == "Using Vec<T> in Rust"
    assert vec.summary == "Why x < y && y > z holds for every Vec<u8> you push to."
    # no type attribute: Atom's default is text
    assert maps.title == "Generic <K, V> maps, without a type attribute"
    assert maps.summary == "A map from <K> to <V> is text here too."
    # html and xhtml are markup: their text, entities decoded once
    assert borrow.title == "Borrowing <T> in practice"
    assert borrow.summary == "Lending a reference costs nothing."
    assert option.title == "Option<u8> explained"


def test_rss_titles_are_text_unless_they_clearly_are_markup(feed_fixture: Fixture) -> None:
    body = feed_fixture("rss_plain_titles.xml")
    vec, compare, chips, ferry = parse_feed(body, URL, "application/rss+xml").entries
    assert vec.title == "Using Vec<T> in Rust"
    assert vec.summary == "A Vec<T> grows as you push; a [T; 4] does not."
    assert compare.title == "Why x < y matters in a loop"
    assert compare.summary == "When x < y the loop runs once more."
    # entity-encoded markup in a title (a closing tag, an entity): read as HTML, as feedparser does
    assert chips.title == "Fish & chips on the quay"
    assert ferry.title == "Ferry — the winter timetable"
    # descriptions are HTML by custom: markup goes, an <img> alone included
    assert chips.summary == "The harbour kiosk reopens on Friday."
    assert ferry.summary == "Boats leave on the hour."


def test_both_xml_paths_read_plain_titles_alike(feed_fixture: Fixture) -> None:
    body = feed_fixture("rss_plain_titles.xml")
    fast = feeds_module._fast_rss20(body, URL, "application/rss+xml")
    slow = feeds_module._parse_xml_feed(body, URL, "application/rss+xml")
    assert fast is not None and fast == slow
    # and a dialect only feedparser reads (RSS 0.91) keeps the same text
    old = feeds_module._parse_xml_feed(body.replace(b'version="2.0"', b'version="0.91"'), URL, None)
    assert [e.title for e in old.entries] == [e.title for e in fast.entries]


@pytest.mark.parametrize(
    ("description", "expected"),
    [
        ("if x&lt;y then the ferry waits", "if x<y then the ferry waits"),
        (
            "&lt;p&gt;Use a Vec&lt;T&gt; here.&lt;/p&gt;&lt;p&gt;Then push.&lt;/p&gt;",
            "Use a Vec<T> here.\n\nThen push.",
        ),
        ("&lt;amp-img src='x.png'&gt;&lt;/amp-img&gt;Pier at dawn", "Pier at dawn"),
        ("&lt;P&gt;Shouted&lt;/P&gt; markup", "Shouted\n\nmarkup"),
    ],
)
def test_description_markup_keeps_text_that_only_looks_like_tags(description: str, expected: str) -> None:
    body = (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>T</title>"
        "<link>https://x.example/</link><description>d</description><item><title>Item</title>"
        f"<link>https://x.example/1</link><description>{description}</description></item></channel></rss>"
    ).encode()
    fast = feeds_module._fast_rss20(body, URL, "application/rss+xml")
    slow = feeds_module._parse_xml_feed(body, URL, "application/rss+xml")
    assert fast is not None and fast == slow
    assert fast.entries[0].summary == expected


def test_json_feed_title_is_plain_text() -> None:
    body = (
        b'{"version": "https://jsonfeed.org/version/1.1", "title": "Code &amp; Quay", "items": ['
        b'{"id": "1", "url": "https://j.example/1", "title": "Using Vec<T> in Rust", "summary": "x < y"},'
        b'{"id": "2", "url": "https://j.example/2", "title": "Fish &amp; chips"}]}'
    )
    feed = parse_feed(body, "https://j.example/feed.json")
    assert feed.title == "Code & Quay"
    assert [(e.title, e.summary) for e in feed.entries] == [
        ("Using Vec<T> in Rust", "x < y"),
        ("Fish & chips", None),
    ]


def test_plain_title_is_stored_whole(
    http_server: TestHTTPServer, sqlite_store: Store, feed_fixture: Fixture
) -> None:
    http_server.route(
        "/atom.xml", body=feed_fixture("atom_text_types.xml"), content_type="application/atom+xml"
    )
    poll(remote_cfg(http_server.url("/atom.xml")), sqlite_store)
    titles = {a.title for a in sqlite_store.articles()}
    assert "Using Vec<T> in Rust" in titles and "Option<u8> explained" in titles


# --------------------------------------------------------------------------- an empty feed is an empty feed


@pytest.mark.parametrize("content_type", [None, "application/atom+xml", "text/plain"])
def test_empty_feed_is_not_malformed(feed_fixture: Fixture, content_type: str | None) -> None:
    feed = parse_feed(feed_fixture("atom_empty.xml"), URL, content_type)
    assert (feed.kind, feed.title, feed.entries) == ("atom", "Quiet Valley Bulletin", [])


@pytest.mark.parametrize(
    "body",
    [
        b"<?xml version='1.0'?><rss version='0.91'><channel><title>T</title>"
        b"<link>https://x.example/</link><description>d</description></channel></rss>",
        b"<?xml version='1.0'?><rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#' "
        b"xmlns='http://purl.org/rss/1.0/'><channel rdf:about='x'><title>T</title>"
        b"<link>https://x.example/</link><description>d</description></channel></rdf:RDF>",
    ],
    ids=["rss091", "rss10"],
)
def test_empty_feeds_of_other_dialects_without_content_type(body: bytes) -> None:
    assert parse_feed(body, URL, None).entries == []


def test_truncated_feed_is_still_malformed() -> None:
    with pytest.raises(FeedError, match="malformed feed XML"):
        parse_feed(b"<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'><title>T", URL, None)


def test_empty_feed_without_content_type_polls_ok(
    http_server: TestHTTPServer, sqlite_store: Store, feed_fixture: Fixture
) -> None:
    http_server.route("/empty", body=feed_fixture("atom_empty.xml"), etag='"e1"')  # no Content-Type at all
    cfg = remote_cfg(http_server.url("/empty"))
    r = one(poll(cfg, sqlite_store))
    assert (r.status, r.error, r.new) == ("ok", None, 0)
    state = sqlite_store.source("Feed")
    assert state.last_error is None and state.consecutive_failures == 0 and state.etag == '"e1"'
    assert one(poll(cfg, sqlite_store)).status == "not_modified"


# --------------------------------------------------------------------------- undefined entities


def test_undefined_entities_are_read_as_feedparser_reads_them(
    feed_fixture: Fixture, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="briefbot.ingest.feeds"):
        feed = parse_feed(feed_fixture("atom_undefined_entity.xml"), URL, "application/atom+xml")
    assert feed.title == "Café Society Weekly"
    pier, second = feed.entries
    assert pier.title == "Café on the pier reopens…"
    assert pier.summary == "Good — and overdue & welcome."
    assert pier.content_text == "The owners said the terrace opens «next spring»."
    assert second.title == "Second entry without entities"
    assert any("entities XML does not define" in w and "eacute" in w for w in feed.warnings)
    assert "entities XML does not define" in caplog.text


def test_feed_whose_only_problem_is_an_entity_and_no_items_yet() -> None:
    body = (
        b"<?xml version='1.0'?><rss version='2.0'><channel><title>Quay&nbsp;News</title>"
        b"<link>https://x.example/</link><description>Soon&hellip;</description></channel></rss>"
    )
    feed = parse_feed(body, URL, "application/rss+xml")
    assert feed.title == "Quay News" and feed.entries == [] and feed.warnings


def test_entity_and_broken_markup_is_still_malformed() -> None:
    body = b"<?xml version='1.0'?><rss version='2.0'><channel><title>Quay&nbsp;News</title><link>"
    with pytest.raises(FeedError, match="malformed feed XML"):
        parse_feed(body, URL, "application/rss+xml")


def test_entities_inside_cdata_are_left_alone() -> None:
    body = (
        b"<?xml version='1.0'?><rss version='2.0'><channel><title>Q&eacute;</title><link>https://x.example/</link>"
        b"<description>d</description><item><title>T</title><link>https://x.example/1</link>"
        b"<description><![CDATA[AT&T &amp;c]]></description></item></channel></rss>"
    )
    (entry,) = parse_feed(body, URL, "application/rss+xml").entries
    assert entry.summary == "AT&T &c"


def test_entity_feed_polls_ok(
    http_server: TestHTTPServer, sqlite_store: Store, feed_fixture: Fixture
) -> None:
    http_server.route(
        "/cafe.xml", body=feed_fixture("atom_undefined_entity.xml"), content_type="application/atom+xml"
    )
    r = one(poll(remote_cfg(http_server.url("/cafe.xml")), sqlite_store))
    assert (r.status, r.new) == ("ok", 2)
    assert {a.title for a in sqlite_store.articles()} == {
        "Café on the pier reopens…",
        "Second entry without entities",
    }


# --------------------------------------------------------------------------- one bad file in a folder

GOOD_FEED = (
    "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>Folder Wire</title>"
    "<link>https://folder.example/</link><description>d</description><item><title>Ferry fares frozen</title>"
    "<link>https://folder.example/fares</link><description>The ferry board froze fares for winter.</description>"
    "</item></channel></rss>"
)


def test_one_bad_file_does_not_keep_the_good_ones_out(
    tmp_path: Path, sqlite_store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "a-good.xml").write_text(GOOD_FEED, encoding="utf-8")
    (folder / "b-too-big.txt").write_text("Harbour notes\n\n" + "The quay was busy. " * 200, encoding="utf-8")
    (folder / "c-broken.xml").write_bytes(b"<rss version='2.0'><channel><item><title>unclosed")
    (folder / "d-note.txt").write_text(
        "Council backs ferry subsidy\n\nThe council backed it.\n", encoding="utf-8"
    )
    cfg = parse_config(
        "network: {max_bytes: 2KB}\nsources:\n - {name: Inbox, url: inbox}\n", base_dir=tmp_path
    )
    with caplog.at_level(logging.WARNING):
        r = one(poll(cfg, sqlite_store))
    assert (r.status, r.new, r.skipped) == ("ok", 2, 2)
    assert {a.title for a in sqlite_store.articles()} == {"Ferry fares frozen", "Council backs ferry subsidy"}
    last_error = sqlite_store.source("Inbox").last_error or ""
    assert "b-too-big.txt" in last_error and "c-broken.xml" in last_error
    assert "b-too-big.txt" in caplog.text and "c-broken.xml" in caplog.text
    assert sqlite_store.source("Inbox").consecutive_failures == 0


def test_unreadable_file_is_named(tmp_path: Path, sqlite_store: Store) -> None:
    import os

    if os.geteuid() == 0:
        pytest.skip("root reads files whatever their mode")
    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "good.txt").write_text("Quay reopens\n\nThe quay reopened.\n", encoding="utf-8")
    locked = folder / "locked.txt"
    locked.write_text("Secret\n\nNot for us.\n", encoding="utf-8")
    locked.chmod(0)
    try:
        cfg = parse_config("sources:\n - {name: Inbox, url: inbox}\n", base_dir=tmp_path)
        r = one(poll(cfg, sqlite_store))
    finally:
        locked.chmod(0o644)
    assert (r.status, r.new, r.skipped) == ("ok", 1, 1)
    assert "locked.txt" in (sqlite_store.source("Inbox").last_error or "")


def test_a_single_bad_file_source_still_fails(tmp_path: Path, sqlite_store: Store) -> None:
    (tmp_path / "broken.xml").write_bytes(b"<rss version='2.0'><channel><item><title>unclosed")
    cfg = parse_config("sources:\n - {name: One, url: broken.xml}\n", base_dir=tmp_path)
    r = one(poll(cfg, sqlite_store))
    assert r.status == "failed" and "malformed" in (r.error or "")
