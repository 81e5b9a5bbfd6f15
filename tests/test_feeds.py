"""Feed parsing: every dialect briefbot meets, and errors a user can act on."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from httpserver import TestHTTPServer
from hypothesis import given, settings
from hypothesis import strategies as st

from briefbot.errors import FeedError
from briefbot.ingest.feeds import discover_feeds, looks_like_html, parse_feed
from briefbot.ingest.fetch import Fetcher

Fixture = Callable[[str], bytes]


def test_rss_091(feed_fixture: Fixture) -> None:
    feed = parse_feed(feed_fixture("rss091.xml"), "https://gazette.example/rss")
    assert (feed.kind, feed.version, feed.title) == ("rss", "rss091u", "Norhaven Gazette")
    first = feed.entries[0]
    assert first.link == "https://gazette.example/2026/bridge-reopens"
    assert (
        first.summary
        == "The bridge reopened on Monday & traffic returned to normal. Café owners welcomed it."
    )
    assert first.published is None and first.content_html is None
    assert len(feed.entries) == 2


def test_rss_10_rdf(feed_fixture: Fixture) -> None:
    feed = parse_feed(feed_fixture("rss10.rdf"), "https://wire.example/rss")
    assert (feed.kind, feed.version) == ("rss", "rss10")
    (entry,) = feed.entries
    assert entry.title == "Ferry operators agree on winter timetable"
    assert entry.author == "Mara Lindqvist"
    assert entry.published == datetime(2026, 10, 30, 7, 15, tzinfo=UTC)  # dc:date, +01:00 -> UTC


def test_rss_20_with_content_encoded_and_relative_links(feed_fixture: Fixture) -> None:
    feed = parse_feed(feed_fixture("rss20.xml"), "https://ledger.example/feed/", "application/rss+xml")
    assert feed.link == "https://ledger.example/"
    tram, bakery = feed.entries
    assert tram.guid == "ledger-4711"
    assert tram.link == "https://ledger.example/politics/tram-line-approved?utm_source=rss"
    assert tram.summary == "The council voted 23 to 9 for the line."
    assert tram.content_html is not None and "Mayor Elin Sandberg" in tram.content_html
    assert "trackReader" not in tram.content_html  # feedparser sanitises scripts away
    assert tram.published == datetime(2026, 11, 3, 8, 30, tzinfo=UTC)
    assert tram.author == "Jonas Berger"
    assert bakery.guid == bakery.link == "https://ledger.example/business/bakery-expands"
    assert bakery.published is not None and bakery.published.tzinfo is not None


def test_atom(feed_fixture: Fixture) -> None:
    feed = parse_feed(feed_fixture("atom.xml"), "https://review.example/atom.xml")
    assert (feed.kind, feed.title, feed.link) == ("atom", "Coastline Review", "https://review.example/")
    quotas, lighthouse = feed.entries
    assert quotas.link == "https://review.example/articles/quotas-explained"  # relative href resolved
    assert quotas.title == "Fishing quotas: what changes"  # type="html" title is plain text here
    assert quotas.summary == "A short guide to the new quotas."
    assert quotas.content_html is not None and "<li>Herring</li>" in quotas.content_html
    assert quotas.published == datetime(2026, 11, 4, 7, 0, tzinfo=UTC)
    assert quotas.updated == datetime(2026, 11, 4, 10, 0, tzinfo=UTC)
    assert quotas.author == "Ines Okafor"
    assert lighthouse.published is None  # Atom: updated is not a publication date
    assert lighthouse.content_html is not None and "Tours need guides." in lighthouse.content_html


def test_json_feed_11(feed_fixture: Fixture) -> None:
    feed = parse_feed(
        feed_fixture("jsonfeed11.json"), "https://dispatch.example/feed.json", "application/feed+json"
    )
    assert (feed.kind, feed.version, feed.title) == ("json", "json11", "Uplands Dispatch")
    hearing, note = feed.entries
    assert hearing.link == "https://dispatch.example/2026/wind-farm-hearing"
    assert hearing.published == datetime(2026, 11, 3, 0, 45, tzinfo=UTC)
    assert hearing.author == "Rosa Almeida"
    assert hearing.summary == "Hundreds attended the first hearing."
    assert note.link is None and note.guid == "d-2026-119"
    assert note.author == "Dispatch Desk"  # the feed's author when the item has none
    assert (
        note.content_html
        == "<p>We are changing our newsletter schedule.</p><p>It will arrive on Fridays.</p>"
    )


def test_json_feed_10(feed_fixture: Fixture) -> None:
    feed = parse_feed(feed_fixture("jsonfeed10.json"), "https://notes.example/feed.json")
    (entry,) = feed.entries
    assert feed.version == "json1"
    assert entry.guid == "42"  # numeric ids, seen in the wild, become strings
    assert entry.author == "Theo Brandt"
    assert entry.published == datetime(2026, 10, 28, 10, 0, tzinfo=UTC)


def test_malformed_xml(feed_fixture: Fixture) -> None:
    with pytest.raises(FeedError) as info:
        parse_feed(feed_fixture("malformed.xml"), "https://broken.example/rss")
    assert info.value.message.startswith("malformed feed XML at line 6:")


def test_truncated_xml() -> None:
    with pytest.raises(FeedError, match="malformed feed XML at line"):
        parse_feed(
            b'<?xml version="1.0"?>\n<rss version="2.0">\n<channel>\n<title>Cut</titl', "https://x.example/"
        )


def test_html_page_names_its_feed(feed_fixture: Fixture) -> None:
    with pytest.raises(FeedError) as info:
        parse_feed(
            feed_fixture("page_with_feed.html"), "https://ledger.example/news/", "text/html; charset=utf-8"
        )
    err = info.value
    assert err.message == "expected a feed at https://ledger.example/news/, got an HTML page"
    assert err.hint == (
        "its feed seems to be at https://ledger.example/feeds/all.rss;"
        " or set kind: page to treat the page as one article"
    )


def test_html_page_without_feed_link() -> None:
    with pytest.raises(FeedError) as info:
        parse_feed(b"<html><body><p>Hello</p></body></html>", "https://x.example/")
    assert "HTML page" in info.value.message and info.value.hint and "kind: page" in info.value.hint


@pytest.mark.parametrize("body", [b"", b"   \n"])
def test_empty_body(body: bytes) -> None:
    with pytest.raises(FeedError, match="empty body"):
        parse_feed(body, "https://x.example/feed")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"version": "https://jsonfeed.org/version/1.1", "items": [', "invalid JSON feed"),
        (b'{"hello": "world"}', "not a JSON Feed"),
        (b'{"version": "https://jsonfeed.org/version/1.1", "items": 3}', "'items' must be a list"),
    ],
)
def test_invalid_json_feed(body: bytes, message: str) -> None:
    with pytest.raises(FeedError, match=message):
        parse_feed(body, "https://x.example/feed.json", "application/json")


def test_xml_that_is_not_a_feed() -> None:
    with pytest.raises(FeedError, match="not a feed"):
        parse_feed(b'<?xml version="1.0"?><catalog><book id="1"/></catalog>', "https://x.example/data.xml")


def test_bytes_are_never_taken_for_a_file_name(tmp_path: object) -> None:
    """feedparser opens a bytes argument as a path when such a file exists; we pass a stream."""
    with pytest.raises(FeedError):
        parse_feed(b"/etc/hostname", "https://x.example/feed")


def test_looks_like_html() -> None:
    assert looks_like_html(b"<!DOCTYPE html><html></html>")
    assert looks_like_html(b"\xef\xbb\xbf  <!-- hi --><html lang='en'>")
    assert not looks_like_html(b'<?xml version="1.0"?><rss version="2.0"/>', "text/html")  # mislabelled feed
    assert not looks_like_html(b"<rss version='2.0'></rss>", "text/html")
    assert looks_like_html(b"<div>hello</div>", "text/html")
    assert not looks_like_html(b'{"version": "x"}', "text/html")


def test_discover_feeds_respects_base() -> None:
    page = (
        b'<html><head><base href="https://cdn.example/site/">'
        b'<link rel="alternate feed" type="application/feed+json" href="feed.json"></head></html>'
    )
    assert discover_feeds(page, "https://x.example/") == ["https://cdn.example/site/feed.json"]


def test_fetch_then_parse_end_to_end(http_server: TestHTTPServer, feed_fixture: Fixture) -> None:
    """What the poller does: fetch a feed over HTTP, parse it against the final URL."""
    http_server.route("/feeds/ledger.xml", feed_fixture("rss20.xml"), content_type="application/rss+xml")
    http_server.redirect("/rss", "/feeds/ledger.xml", status=301)
    with Fetcher(allow_hosts=["127.0.0.1"]) as f:
        result = f.fetch(http_server.url("/rss"))
    feed = parse_feed(result.body, result.url, result.content_type)
    assert feed.entries[0].link == http_server.url("/politics/tram-line-approved?utm_source=rss")


_XML_BITS = st.sampled_from(
    [
        b"<?xml version='1.0'?>",
        b"<rss version='2.0'>",
        b"<channel>",
        b"<item>",
        b"</item>",
        b"<title>",
        b"</title>",
        b"<link>/a</link>",
        b"<feed xmlns='http://www.w3.org/2005/Atom'>",
        b"<entry>",
        b"&amp;",
        b"<![CDATA[<p>x</p>]]>",
        b"{",
        b'"items": [',
        b"<html>",
        b"\xff\xfe",
        b"\x00",
    ]
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_XML_BITS | st.binary(max_size=20), max_size=25).map(b"".join))
def test_garbage_gives_a_feed_or_a_feed_error(body: bytes) -> None:
    """Whatever a server sends, the poller sees a ParsedFeed or a FeedError, nothing else."""
    try:
        feed = parse_feed(body, "https://x.example/feed")
    except FeedError:
        return
    for entry in feed.entries:
        assert entry.link is None or entry.link.startswith("https://")


def test_unsafe_links_are_dropped() -> None:
    body = (
        b'<rss version="2.0"><channel><title>T</title>'
        b"<item><title>a</title><link>javascript:alert(1)</link></item>"
        b"<item><title>b</title><link>data:text/html,hi</link></item>"
        b"<item><title>c</title><link>story/3</link></item></channel></rss>"
    )
    links = [e.link for e in parse_feed(body, "https://x.example/news/feed").entries]
    assert links == [None, None, "https://x.example/news/story/3"]
    local = parse_feed(body, "file:///srv/feeds/feed.xml").entries
    assert local[2].link == "file:///srv/feeds/story/3"
