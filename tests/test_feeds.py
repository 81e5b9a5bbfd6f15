"""Feed parsing: every dialect briefbot meets, and errors a user can act on."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from briefbot.errors import FeedError
from briefbot.ingest.feeds import discover_feeds, looks_like_html, parse_feed
from briefbot.ingest.fetch import Fetcher
from httpserver import TestHTTPServer

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


# --------------------------------------------------------------------------- lxml fast path vs feedparser

_FIXTURES = Path(__file__).parent / "fixtures" / "feeds"
_SAMPLES = Path(__file__).parent.parent / "samples" / "feeds"

_TRICKY_ITEMS = [
    # relative link, permalink guid, entities and markup in a plain-text title
    (
        "<item><title>Fish &amp; chips &lt;b&gt;now&lt;/b&gt;</title><link> story/1?a=1&amp;b=2 </link>"
        "<guid>https://x.example/story/1</guid><pubDate>Tue, 03 Nov 2026 09:30:00 +0100</pubDate>"
        "<description>&lt;p&gt;Teaser &amp;amp; more&lt;/p&gt;&lt;script&gt;x()&lt;/script&gt;</description></item>"
    ),
    # guid is the link; no link element; dc:date only; dc:creator
    (
        "<item><title>Guid link</title><guid isPermaLink='true'>/story/2</guid>"
        "<dc:date>2026-11-03T08:30:00+01:00</dc:date><dc:creator>Ines Okafor</dc:creator></item>"
    ),
    # isPermaLink other than exactly 'true' is not a link; non-ASCII, cp1252 and mis-decoded UTF-8
    (
        "<item><title>Caf\u00e9 \u2014 caf\u00c3\u00a9 &#150; \u00e9t\u00e9</title><guid isPermaLink='TRUE'>g-3</guid>"
        "<description><![CDATA[<p>Relative <a href='/x' onclick='evil()'>link</a><img src=pic.png></p>]]></description>"
        "<content:encoded><![CDATA[<p>Body with <a href=\"rel/y\">a link</a>.</p><iframe src='//evil'></iframe>"
        "<script>alert(1)</script><p>Second &amp; last.</p>]]></content:encoded></item>"
    ),
    # unsafe links, empty elements, a comment, categories and an enclosure
    (
        "<item><title></title><link>javascript:alert(1)</link><!-- note --><category>a</category>"
        "<enclosure url='https://x.example/a.mp3' length='1' type='audio/mpeg'/>"
        "<description>  </description><content:encoded>   </content:encoded></item>"
    ),
    # content only: feedparser copies it to the summary; odd but valid dates
    (
        "<item><link>data:text/html,hi</link><content:encoded>Plain &lt;em&gt;text&lt;/em&gt; body"
        "</content:encoded><pubDate>Sun, 1 Nov 26 7:05 EST</pubDate><author>Desk</author></item>"
    ),
    # an item that carries nothing is dropped by both paths
    "<item><pubDate>Mon, 02 Nov 2026 17:00:00 GMT</pubDate></item>",
    "<item><title>Not a date</title><pubDate>yesterday</pubDate><guid isPermaLink='false'> </guid></item>",
]


def _rss(items: list[str], channel: str = "<title>T &amp; Co</title><link>/home</link>") -> bytes:
    return (
        "<?xml version='1.0' encoding='utf-8'?>\n<rss version='2.0' "
        "xmlns:content='http://purl.org/rss/1.0/modules/content/' xmlns:dc='http://purl.org/dc/elements/1.1/' "
        f"xmlns:atom='http://www.w3.org/2005/Atom'><channel>{channel}"
        "<atom:link rel='self' href='https://x.example/feed'/>" + "".join(items) + "</channel></rss>"
    ).encode()


def _both_paths(body: bytes, url: str, content_type: str | None) -> tuple[object, object]:
    from briefbot.ingest import feeds as feeds_module

    fast = feeds_module._fast_rss20(body, url, content_type)
    try:
        slow: object = feeds_module._parse_xml_feed(body, url, content_type)
    except FeedError as e:
        slow = e
    return fast, slow


@pytest.mark.parametrize(
    "path",
    sorted(p for p in [*_FIXTURES.iterdir(), *_SAMPLES.glob("*.xml")] if p.suffix in (".xml", ".rdf")),
    ids=lambda p: p.name,
)
@pytest.mark.parametrize("url", ["https://x.example/feeds/f.xml", "file:///srv/feeds/f.xml"])
def test_fast_path_matches_feedparser_on_fixtures(path: Path, url: str) -> None:
    """Whatever the fast path accepts, it must parse exactly as feedparser does."""
    fast, slow = _both_paths(path.read_bytes(), url, "application/rss+xml")
    if fast is not None:
        assert fast == slow
    # and parse_feed itself never differs from the feedparser path
    try:
        assert parse_feed(path.read_bytes(), url, "application/rss+xml") == slow
    except FeedError as e:
        assert isinstance(slow, FeedError) and e.message == slow.message


@pytest.mark.parametrize("item", _TRICKY_ITEMS)
@pytest.mark.parametrize("url", ["https://x.example/news/feed.xml", "file:///srv/feed.xml"])
def test_fast_path_matches_feedparser_on_tricky_items(item: str, url: str) -> None:
    body = _rss([item, _TRICKY_ITEMS[0]])
    fast, slow = _both_paths(body, url, "application/rss+xml; charset=utf-8")
    assert fast is not None, "this feed should take the fast path"
    assert fast == slow


def test_fast_path_matches_feedparser_on_the_bench_feed() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "bench_ingest", _SAMPLES.parent.parent / "bench" / "ingest.py"
    )
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    fast, slow = _both_paths(
        bench.make_feed(7, 20), "http://127.0.0.1:8080/feed/7.xml", "application/rss+xml"
    )
    assert fast is not None and fast == slow


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (_rss(_TRICKY_ITEMS[:1]).replace(b"utf-8", b"iso-8859-1"), None),  # declared other encoding
        (_rss(_TRICKY_ITEMS[:1]), "text/xml"),  # RFC 3023 defaults text/* to us-ascii
        (_rss(_TRICKY_ITEMS[:1]), "application/rss+xml; charset=windows-1252"),
        (_rss(_TRICKY_ITEMS[:1]).replace(b"<channel>", b"<channel xml:base='https://b.example/'>"), None),
        (_rss(["<item><title>a</title><source url='https://s.example/'>S</source></item>"]), None),
        (
            _rss(
                [
                    (
                        "<item><title>a</title><media:title xmlns:media='http://search.yahoo.com/mrss/'>m</media:title>"
                        "</item>"
                    )
                ]
            ),
            None,
        ),
        (_rss(["<item><title>a <b>bold</b></title></item>"]), None),  # unescaped markup inside
        (_rss(["<item><content:encoded>c</content:encoded><description>d</description></item>"]), None),
        (_rss(["<item><title>a</title><author>desk@x.example (The Desk)</author></item>"]), None),
        (_rss(["<item><title>a</title></item>"], "<title>T</title><dc:title>U</dc:title>"), None),
        (_rss(["<item><title>a</title></item>"], "<atom:link href='/alt'/>"), None),
        (
            (
                b"<?xml version='1.0'?><!DOCTYPE rss [<!ENTITY e 'x'>]><rss version='2.0'><channel>"
                b"<item><title>&e;</title></item></channel></rss>"
            ),
            None,
        ),
        (_rss(["<item><title>a</title></item>"]).replace(b"version='2.0'", b"version='0.92'"), None),
    ],
)
def test_fast_path_leaves_what_it_does_not_know_to_feedparser(body: bytes, content_type: str | None) -> None:
    fast, slow = _both_paths(body, "https://x.example/feed", content_type)
    assert fast is None
    assert not isinstance(slow, FeedError)


def test_fast_path_resolves_no_external_entities(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET")
    body = (
        f"<?xml version='1.0'?><!DOCTYPE rss [<!ENTITY x SYSTEM '{secret.as_uri()}'>]>"
        "<rss version='2.0'><channel><item><title>&x;</title><link>https://x.example/a</link></item>"
        "</channel></rss>"
    ).encode()
    from briefbot.ingest import feeds as feeds_module

    assert feeds_module._fast_rss20(body, "https://x.example/feed", None) is None
    # a DOCTYPE-free document cannot declare entities; an undeclared one is an error, not a lookup
    assert (
        feeds_module._fast_rss20(
            b"<rss version='2.0'><channel><item><title>&x;</title></item></channel></rss>",
            "https://x.example/f",
            None,
        )
        is None
    )
    for entry in parse_feed(body, "https://x.example/feed").entries:
        assert "TOP SECRET" not in (entry.title or "")


@pytest.mark.parametrize(
    "path",
    sorted(
        p
        for p in [*_FIXTURES.iterdir(), *_SAMPLES.glob("*.xml"), *_FIXTURES.glob("*.json")]
        if p.suffix in (".xml", ".rdf", ".json")
    ),
    ids=lambda p: p.name,
)
def test_content_text_is_the_text_of_content_html(path: Path) -> None:
    """What poll keeps of an entry's content is html_to_text(content_html), on every path."""
    from briefbot.ingest.extract import html_to_text

    try:
        feed = parse_feed(path.read_bytes(), "https://x.example/feeds/f.xml", None)
    except FeedError:
        return
    for entry in feed.entries:
        if entry.content_html is None:
            assert entry.content_text is None
        else:
            assert entry.content_text == html_to_text(entry.content_html)
            assert "<script" not in entry.content_html.lower()


def test_fast_path_keeps_the_text_feedparser_sanitising_would_have_kept() -> None:
    """Neither path sanitises any more; both keep the same text, and never script or style text."""

    item = (
        "<item><title>T</title><link>https://x.example/a</link><description><![CDATA[<p onclick='x()'>Lead"
        "<script>steal()</script></p>]]></description><content:encoded><![CDATA[<p>Body <b>bold</b></p>"
        "<style>p{}</style><p>Two <a href='/rel'>link</a></p>]]></content:encoded></item>"
    )
    body = _rss([item])
    fast, slow = _both_paths(body, "https://x.example/feed", "application/rss+xml")
    assert fast is not None and fast == slow
    (entry,) = fast.entries  # type: ignore[attr-defined]
    assert entry.summary == "Lead"
    assert entry.content_text == "Body bold\n\nTwo link"
    assert "steal" not in (entry.content_html or "") and "<style" not in (entry.content_html or "")


# --------------------------------------------------------------------------- hostile JSON Feeds


def _json_feed(items: str) -> bytes:
    return (
        '{"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": [' + items + "]}"
    ).encode()


def test_json_item_nested_too_deep_costs_only_itself() -> None:
    deep = "[" * 100_000 + "]" * 100_000
    body = _json_feed(
        '{"id": "a", "url": "https://j.example/a", "title": "A"},'
        f'{{"id": "b", "url": "https://j.example/b", "title": "B", "tags": {deep}}},'
        '{"id": "c", "url": "https://j.example/c", "title": "C, with \\"quotes\\" and [brackets]"}'
    )
    feed = parse_feed(body, "https://j.example/feed.json")
    assert [e.guid for e in feed.entries] == ["a", "c"]
    assert feed.entries[1].title == 'C, with "quotes" and [brackets]'
    assert len(feed.warnings) == 1 and "item 2" in feed.warnings[0]


def test_json_feed_nested_too_deep_outside_its_items_is_a_feed_error() -> None:
    deep = "[" * 100_000 + "]" * 100_000
    body = ('{"version": "https://jsonfeed.org/version/1.1", "extra": ' + deep + ', "items": []}').encode()
    with pytest.raises(FeedError, match="invalid JSON feed"):
        parse_feed(body, "https://j.example/feed.json")


def test_json_ids_of_thousands_of_digits_and_dates_past_the_calendar() -> None:
    body = _json_feed(
        '{"id": ' + "7" * 5000 + ', "url": "https://j.example/long", "title": "Long"},'
        '{"id": 42, "url": "https://j.example/n", "title": "Number id",'
        ' "date_published": "9999-12-31T23:59:59-23:59", "date_modified": "0001-01-01T00:00:00+01:00"}'
    )
    long_id, number = parse_feed(body, "https://j.example/feed.json").entries
    assert (
        long_id.guid == "7" * 5000
    )  # read; the poll leaves it out as no identity (tests/test_ingest_bounds.py)
    assert number.guid == "42" and number.published is None and number.updated is None


def test_json_item_with_a_non_scalar_id_is_skipped() -> None:
    body = _json_feed(
        '{"id": {"nested": [1]}, "url": "https://j.example/x"}, {"id": "ok", "url": "https://j.example/ok"}'
    )
    feed = parse_feed(body, "https://j.example/feed.json")
    assert [e.guid for e in feed.entries] == ["ok"] and "id is a dict" in feed.warnings[0]
