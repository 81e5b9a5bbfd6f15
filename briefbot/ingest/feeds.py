"""Bytes -> feed entries: RSS 0.9x/1.0/2.0 and Atom via feedparser, JSON Feed 1.0/1.1 by hand.

The input is the body the fetcher downloaded (never a URL: feedparser would fetch a URL
itself, and it even opens a *bytes* value as a local file name if one exists, so the body
is always handed over as a stream). Errors say what the content actually was, because
"no entries" is useless to a user who pasted a homepage instead of its feed.

Feeds are hostile input: one broken item (a date past the calendar, an id no column holds, a
JSON value nested too deep to parse) is skipped with a warning and never costs its neighbours,
and plain-text fields stay plain text ("Vec<T>" is not a tag).
"""

from __future__ import annotations

import calendar
import html.entities
import io
import json
import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin

import feedparser
from feedparser.mixin import _FeedParserMixin

from briefbot.errors import FeedError
from briefbot.ingest.extract import clean_html_and_text, html_to_text

__all__ = ["Entry", "ParsedFeed", "discover_feeds", "looks_like_html", "parse_feed"]

log = logging.getLogger(__name__)

_FEED_TYPES = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/feed+json",
        "application/rdf+xml",
        "application/json",
    }
)


@dataclass(frozen=True)
class Entry:
    """One item of a feed. Text fields are plain text except ``content_html``.

    ``content_html`` is the feed's content markup *for deriving text only*: briefbot never
    outputs feed HTML (it stores ``content_text`` and plain-text summaries, and escapes all of
    it per medium when rendering), so it is not sanitised for display -- scripts, styles,
    frames and objects are removed, attributes and links are left as the feed had them.
    ``content_text`` is ``html_to_text(content_html)``, computed once by the parser.
    """

    guid: str | None
    link: str | None
    title: str | None
    summary: str | None
    content_html: str | None
    published: datetime | None
    updated: datetime | None
    author: str | None
    content_text: str | None = None


def _content(html: str | None) -> tuple[str | None, str | None]:
    """(content_html, content_text) of a feed's raw content markup."""
    if html is None or not html.strip():
        return None, None
    cleaned, text = clean_html_and_text(html)
    return (cleaned, text) if cleaned is not None else (None, None)


@dataclass(frozen=True)
class ParsedFeed:
    """``kind`` is "rss", "atom" or "json"; ``version`` the exact dialect (e.g. "rss091u")."""

    kind: str
    title: str | None
    link: str | None
    entries: list[Entry] = field(default_factory=list)
    version: str | None = None
    # What was wrong but did not stop the feed: items skipped (one line each), undefined entities.
    # Not part of equality: the two XML paths must agree on what they keep, not on how they got it.
    warnings: list[str] = field(default_factory=list, compare=False)


# --------------------------------------------------------------------------- sniffing

_XML_FEED_ROOT = re.compile(rb"<(?:[a-z0-9_-]+:)?(?:rss|feed|rdf)\b", re.IGNORECASE)
_HTML_START = re.compile(
    rb"^(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b", re.IGNORECASE | re.DOTALL
)


def _head(body: bytes, size: int = 4096) -> bytes:
    return body[:size].lstrip(b"\xef\xbb\xbf\x00 \t\r\n")


def looks_like_html(body: bytes, content_type: str | None = None) -> bool:
    """True when ``body`` is an HTML page rather than a feed.

    The body decides first (servers label feeds text/html and pages text/xml often
    enough); the Content-Type only breaks a tie.
    """
    head = _head(body)
    if _HTML_START.match(head):
        return True
    if head.startswith(b"<?xml") or _XML_FEED_ROOT.search(head[:1024]):
        return False
    if head.startswith((b"{", b"[")):
        return False
    mime = (content_type or "").split(";", 1)[0].strip().lower()
    return mime in ("text/html", "application/xhtml+xml")


def _is_json(body: bytes, content_type: str | None) -> bool:
    mime = (content_type or "").split(";", 1)[0].strip().lower()
    head = _head(body, 64)
    return head.startswith(b"{") or (mime.endswith("json") and not head.startswith(b"<"))


class _LinkFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.base: str | None = None
        self.feeds: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): (v or "") for k, v in attrs}
        if tag == "base" and a.get("href") and self.base is None:
            self.base = a["href"].strip()
        elif tag in ("link", "a"):
            rels = a.get("rel", "").lower().split()
            kind = a.get("type", "").split(";", 1)[0].strip().lower()
            if "alternate" in rels and kind in _FEED_TYPES and a.get("href", "").strip():
                self.feeds.append(a["href"].strip())

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)


def _decode(body: bytes, content_type: str | None) -> str:
    charset = None
    if content_type and "charset=" in content_type.lower():
        charset = content_type.lower().split("charset=", 1)[1].split(";", 1)[0].strip().strip("\"'")
    try:
        return body.decode(charset or "utf-8", errors="replace")
    except LookupError:
        return body.decode("utf-8", errors="replace")


def discover_feeds(html: bytes | str, url: str, content_type: str | None = None) -> list[str]:
    """Absolute URLs of the feeds a page advertises with ``<link rel="alternate" type=...>``."""
    text = _decode(html, content_type) if isinstance(html, bytes) else html
    finder = _LinkFinder()
    finder.feed(text)
    finder.close()
    base = urljoin(url, finder.base) if finder.base else url
    found: list[str] = []
    for href in finder.feeds:
        absolute = urljoin(base, href)
        if absolute not in found:
            found.append(absolute)
    return found


# --------------------------------------------------------------------------- helpers


# Every element name HTML has had. Any other "tag" in a title or summary -- Vec<T>, Option<u8>,
# x<y -- is text that mentions code or maths, and is kept as such (see _protect).
_HTML_ELEMENTS = frozenset(
    """a abbr acronym address applet area article aside audio b base basefont bdi bdo bgsound big blink
    blockquote body br button canvas caption center cite code col colgroup data datalist dd del details
    dfn dialog dir div dl dt em embed fieldset figcaption figure font footer form frame frameset h1 h2 h3
    h4 h5 h6 head header hgroup hr html i iframe img input ins isindex kbd keygen label legend li link
    listing main map mark marquee math menu menuitem meta meter nav nobr noembed noframes noscript object
    ol optgroup option output p param picture plaintext pre progress q rb rp rt rtc ruby s samp script
    search section select slot small source spacer span strike strong style sub summary sup svg table
    tbody td template textarea tfoot th thead time title tr track tt u ul var video wbr xmp""".split()
)
_TAG_START = re.compile(r"<(?=/?([A-Za-z][\w:.-]*))")


def _protect(markup: str) -> str:
    """``markup`` with every "<" that opens no HTML element written as "&lt;", so an HTML parser
    keeps "Vec<T>" and "x<y then" as text instead of swallowing them as unknown tags. Namespaced
    (o:p) and custom (amp-img) elements count as markup."""

    def lt(m: re.Match[str]) -> str:
        name = m.group(1)
        return "<" if ":" in name or "-" in name or name.lower() in _HTML_ELEMENTS else "&lt;"

    return _TAG_START.sub(lt, markup) if "<" in markup else markup


def _field(value: Any, kind: str = "title") -> str | None:
    """A plain-text field of a feed, read as its ``kind`` says; whitespace collapsed, empty -> None.

    "text": plain text whatever it holds (Atom type="text", the spec's word); "html": markup, so its
    text (Atom type="html"/"xhtml"); "summary": markup too (RSS descriptions are HTML by custom);
    "title": text by spec (RSS and JSON Feed titles) that feeds still fill with entities or tags --
    markup only when feedparser's conservative ``looks_like_html`` says so (a closing tag or an
    entity, every tag a known one). In markup, a "<" that opens no HTML element stays text
    (``_protect``). So "Using Vec&lt;T&gt; in Rust" keeps its <T> everywhere, and
    "Fish &amp;amp; chips" still reads "Fish & chips".
    """
    if not isinstance(value, str):
        return None
    if kind == "title":
        kind = "html" if _FeedParserMixin.looks_like_html(value) else "text"
    if kind in ("html", "summary") and ("<" in value or "&" in value):
        cleaned = html_to_text(_protect(value))
    else:
        cleaned = " ".join(value.split())
    return cleaned or None


def _text(value: Any) -> str | None:
    """A field that is plain text by spec (titles, names): see ``_field``."""
    return _field(value, "title")


def _declared(detail: Any, default: str) -> str:
    """The kind an Atom ``*_detail`` declares ("html" for html and xhtml, else "text"); ``default``
    when the feed declares none (RSS: feedparser's own type there is a guess)."""
    kind = detail.get("type") if hasattr(detail, "get") else None
    if not isinstance(kind, str) or not kind:
        return default
    return "html" if "html" in kind else "text"


def _link(value: Any, base: str) -> str | None:
    """Absolute http(s) link, or None: a ``javascript:`` or ``data:`` link must never reach a digest.

    ``file:`` links are kept only for feeds that are themselves local files.
    """
    if not isinstance(value, str) or not value.strip():
        return None
    absolute = urljoin(base, value.strip())
    scheme = absolute.split(":", 1)[0].lower() if ":" in absolute else ""
    if scheme in ("http", "https") or (scheme == "file" and base.lower().startswith("file:")):
        return absolute
    return None


def _from_struct(value: Any) -> datetime | None:
    """feedparser's *_parsed values are UTC struct_time."""
    if not value:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _from_string(value: Any) -> datetime | None:
    """RFC 3339 (JSON Feed) or RFC 822 dates -> aware UTC; naive values are taken as UTC."""
    if not isinstance(value, str) or not value.strip():
        return None
    raw = value.strip()
    if len(raw) > 100:
        return None  # no date is this long; the parsers need not see it
    parsed: datetime | None
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        try:
            parsed = parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:59:59-23:59 is past the last day a datetime holds, in UTC
        return None


# --------------------------------------------------------------------------- JSON Feed


def _json_author(item: dict[str, Any]) -> str | None:
    authors = item.get("authors")
    if isinstance(authors, list):
        names = [a["name"].strip() for a in authors if isinstance(a, dict) and isinstance(a.get("name"), str)]
        if any(names):
            return ", ".join(n for n in names if n)
    author = item.get("author")
    if isinstance(author, dict) and isinstance(author.get("name"), str):
        return author["name"].strip() or None
    return None


# JSON values the scanner below must see: strings (whole), brackets, commas and colons.
_JSON_TOKEN = re.compile(r'[\[\]{},:"]')
_JSON_STRING_REST = re.compile(r'(?:[^"\\]|\\.)*"', re.DOTALL)


def _json_items_apart(text: str) -> tuple[str, list[str]] | None:
    """(the document with an empty ``items`` array, the text of each item), without recursion.

    json.loads recurses per nesting level and gives up on the whole document (RecursionError) at
    about a thousand; one item of deeply nested arrays must not cost the feed its other items. This
    finds the top-level ``items`` array in one linear pass, so each item can be parsed (and fail) on
    its own. None when the document is not shaped so (then it is invalid as a whole).
    """
    depth = 0
    pos = 0
    last_string: str | None = None
    key: str | None = None
    items_at = -1  # index of the items array's "["
    start = -1  # start of the current item's text
    spans: list[tuple[int, int]] = []
    while True:
        m = _JSON_TOKEN.search(text, pos)
        if m is None:
            return None
        ch, at = m.group(), m.start()
        pos = m.end()
        if ch == '"':
            rest = _JSON_STRING_REST.match(text, pos)
            if rest is None:
                return None
            if depth == 1:
                last_string = text[at : rest.end()]
            pos = rest.end()
        elif ch == ":":
            if depth == 1 and last_string is not None:
                try:
                    key = json.loads(last_string)
                except ValueError:
                    key = None
        elif ch in "[{":
            depth += 1
            if depth == 2 and ch == "[" and key == "items" and items_at < 0:
                items_at, start = at, pos
        elif ch in "]}":
            if items_at >= 0 and depth == 2 and start >= 0:
                if text[start:at].strip():
                    spans.append((start, at))
                return text[:items_at] + "[]" + text[pos:], [text[a:b] for a, b in spans]
            depth -= 1
            if depth < 0:
                return None
        elif ch == ",":
            if depth == 1:
                key = last_string = None
            elif depth == 2 and items_at >= 0 and start >= 0:
                spans.append((start, at))
                start = pos


def _load_json_feed(body: bytes, url: str, warnings: list[str]) -> tuple[Any, Any]:
    """The document and its items; an item too deeply nested to parse becomes None (skipped)."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FeedError(
            f"invalid JSON feed at {url}: {exc}", "the site serves broken JSON; tell its owner"
        ) from None
    # parse_int=str: an id of thousands of digits is beyond int() (Python limits it to 4,300) and
    # would fail the whole document; ids are kept as strings anyway, and no other number is read.
    try:
        data = json.loads(text, parse_int=str)
    except json.JSONDecodeError as exc:
        raise FeedError(
            f"invalid JSON feed at {url}: {exc}", "the site serves broken JSON; tell its owner"
        ) from None
    except RecursionError:
        apart = _json_items_apart(text)
        try:
            if apart is None:
                raise ValueError("nested too deeply to read")
            data = json.loads(apart[0], parse_int=str)
        except (ValueError, RecursionError) as exc:
            raise FeedError(
                f"invalid JSON feed at {url}: {exc or 'nested too deeply to read'}",
                "the site serves broken JSON; tell its owner",
            ) from None
        items: list[Any] = []
        for n, raw in enumerate(apart[1]):
            try:
                items.append(json.loads(raw, parse_int=str))
            except (ValueError, RecursionError) as exc:
                _skip(warnings, url, n, f"not readable JSON ({exc or 'nested too deeply'})")
                items.append(None)
        if isinstance(data, dict):
            data["items"] = items
    return data, (data.get("items") if isinstance(data, dict) else None)


def _skip(warnings: list[str], url: str, n: int, why: str) -> None:
    """Note (and log) that item ``n`` (from 0) of the feed at ``url`` was skipped."""
    message = f"skipped item {n + 1} of the feed at {url}: {why}"
    warnings.append(message)
    log.warning("%s", message)


def _json_id(value: Any) -> str | None:
    """A JSON Feed id: a string (or, in version 1.0, a number); anything else is a broken item."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f"its id is a {type(value).__name__}, not a string")
    text = str(value).strip()
    return text or None


def _parse_json_feed(body: bytes, url: str) -> ParsedFeed:
    warnings: list[str] = []
    data, items = _load_json_feed(body, url, warnings)
    version = data.get("version") if isinstance(data, dict) else None
    if not isinstance(version, str) or not version.startswith("https://jsonfeed.org/version/"):
        raise FeedError(
            f"{url} is JSON but not a JSON Feed (no https://jsonfeed.org/version/ in 'version')",
            "check the URL points at the site's feed",
        )
    if not isinstance(items, list):
        raise FeedError(f"invalid JSON feed at {url}: 'items' must be a list")
    home = _link(data.get("home_page_url"), url)
    feed_author = _json_author(data)
    entries: list[Entry] = []
    for n, item in enumerate(items):
        if not isinstance(item, dict):
            continue  # not an item at all (or one skipped above)
        try:
            entries.append(_json_entry(item, url, feed_author))
        except (ValueError, TypeError, OverflowError, RecursionError) as exc:
            _skip(warnings, url, n, str(exc) or type(exc).__name__)
    return ParsedFeed(
        kind="json",
        title=_text(data.get("title")),
        link=home,
        entries=entries,
        version="json" + version.rsplit("/", 1)[-1].replace(".", ""),
        warnings=warnings,
    )


def _json_entry(item: dict[str, Any], url: str, feed_author: str | None) -> Entry:
    guid = _json_id(item.get("id"))
    content_html = item.get("content_html") if isinstance(item.get("content_html"), str) else None
    content_text = item.get("content_text") if isinstance(item.get("content_text"), str) else None
    summary = _text(item.get("summary"))  # plain text by the spec; entities decoded only when clearly HTML
    if summary is None and content_text is not None and content_html is None:
        summary = "\n\n".join(" ".join(p.split()) for p in content_text.split("\n\n") if p.strip()) or None
    if content_html is None and content_text is not None:
        # Keep the text author's paragraphs: the downstream takes full text from content_html.
        paragraphs = [p.strip() for p in content_text.split("\n\n") if p.strip()]
        content_html = "".join(f"<p>{_escape(p)}</p>" for p in paragraphs) or None
    content_html, content_text = _content(content_html)
    return Entry(
        guid=guid,
        link=_link(item.get("url"), url) or _link(item.get("external_url"), url),
        title=_text(item.get("title")),
        summary=summary,
        content_html=content_html,
        content_text=content_text,
        published=_from_string(item.get("date_published")),
        updated=_from_string(item.get("date_modified")),
        author=_json_author(item) or feed_author,
    )


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# --------------------------------------------------------------------------- XML feeds


def _bozo_message(exc: BaseException | None) -> str:
    if exc is None:
        return "unknown error"
    line = getattr(exc, "getLineNumber", None)
    message = getattr(exc, "getMessage", None)
    text = message() if callable(message) else str(exc)
    if callable(line):
        return f"line {line()}: {text}"
    return text


def _content_html(entry: Any) -> str | None:
    contents = entry.get("content") or []
    htmlish = [c for c in contents if "html" in (c.get("type") or "")]
    chosen = (htmlish or contents or [None])[0]
    if chosen is None:
        return None
    value = chosen.get("value")
    if not isinstance(value, str) or not value.strip():
        return None
    if "html" not in (chosen.get("type") or ""):
        return "".join(f"<p>{_escape(p.strip())}</p>" for p in value.split("\n\n") if p.strip())
    return value


def _author(entry: Any) -> str | None:
    detail = entry.get("author_detail") or {}
    name = detail.get("name") if hasattr(detail, "get") else None
    return _text(name) or _text(entry.get("author"))


def _get(entry: Any, key: str) -> Any:
    """Plain dict lookup: FeedParserDict.get maps missing keys to others (updated -> published)."""
    return dict.get(entry, key)


_ENTRY_KEYS = ("id", "link", "title", "summary", "content")


# bozo reasons that say nothing about the document itself: a feed served without (or with the
# wrong) Content-Type parses all the same, and an empty one is just an empty feed.
_BENIGN_BOZO = (feedparser.NonXMLContentType, feedparser.CharacterEncodingOverride)
_XML_ENTITIES = frozenset({b"amp", b"lt", b"gt", b"quot", b"apos"})
# An entity reference outside CDATA sections and comments (inside them "&nbsp;" is just text).
_ENTITY_REF = re.compile(rb"<!\[CDATA\[.*?\]\]>|<!--.*?-->|&([A-Za-z][A-Za-z0-9._-]*);", re.DOTALL)


def _undefined_entity(exc: BaseException | None) -> bool:
    return exc is not None and "undefined entity" in str(exc).lower()


def _define_entities(body: bytes) -> tuple[bytes, list[str]] | None:
    """``body`` with HTML entity references (&nbsp;, &eacute;, ...) written as character
    references, and the names replaced, when that is all that kept it from being well-formed XML.

    Feeds are full of HTML entities XML does not define; feedparser then falls back to its lenient
    parser, which reads them as HTML would. Writing them as character references gives the same
    characters through the strict parsers, and proves the entities were the only problem. None
    when the document declares entities of its own or is broken in other ways too.
    """
    if _etree is None or b"<!ENTITY" in body or b"<!entity" in body:
        return None
    names: list[str] = []

    def sub(m: re.Match[bytes]) -> bytes:
        name = m.group(1)
        if name is None or name in _XML_ENTITIES:
            return m.group(0)
        text = name.decode("ascii")
        chars = html.entities.html5.get(text + ";")
        if text not in names:
            names.append(text)
        if chars is None:
            return b"&amp;" + name + b";"  # no such entity anywhere: keep it as the text it is
        return b"".join(b"&#%d;" % ord(c) for c in chars)

    fixed = _ENTITY_REF.sub(sub, body)
    if not names:
        return None
    try:
        _etree.fromstring(fixed, _xml_parser())
    except (_etree.XMLSyntaxError, ValueError):
        return None
    return fixed, names


def _parse_xml_feed(
    body: bytes, url: str, content_type: str | None, *, entities_defined: bool = False
) -> ParsedFeed:
    # feedparser resolves relative links (also inside content) against content-location,
    # but mangles file:// bases ("file://srv/..."), so those are resolved by _link alone.
    headers = {"content-location": url} if url.lower().startswith(("http:", "https:")) else {}
    if content_type:
        headers["content-type"] = content_type
    # No sanitising or URI rewriting inside markup: only text derived from it is kept (see Entry),
    # and feedparser's pure-Python sanitiser is most of its cost on content-rich feeds.
    parsed = feedparser.parse(
        io.BytesIO(body), response_headers=headers, sanitize_html=False, resolve_relative_uris=False
    )
    version = parsed.get("version") or ""
    exc = parsed.get("bozo_exception") if parsed.get("bozo") else None
    if not entities_defined and _undefined_entity(exc):
        fixed = _define_entities(body)
        if fixed is not None:
            warning = (
                f"the feed at {url} uses entities XML does not define ({', '.join(fixed[1][:5])}); "
                "read as HTML entities, as feedparser does"
            )
            log.warning("%s", warning)
            feed = _fast_rss20(fixed[0], url, content_type) or _parse_xml_feed(
                fixed[0], url, content_type, entities_defined=True
            )
            feed.warnings.insert(0, warning)
            return feed
    # The lenient fallback parser turns broken markup into empty entries; they carry nothing.
    raw_entries = [e for e in parsed.get("entries") or [] if any(_get(e, k) for k in _ENTRY_KEYS)]
    if exc is not None and not raw_entries and not (version and isinstance(exc, _BENIGN_BOZO)):
        if version or _XML_FEED_ROOT.search(_head(body, 2048)):
            raise FeedError(
                f"malformed feed XML at {_bozo_message(exc)}",
                f"the feed at {url} is broken on the site's side; it may recover, or tell the site's owner",
            )
        raise FeedError(
            f"{url} is not a feed: could not parse it as RSS or Atom ({_bozo_message(exc)})",
            "check the URL points at the site's RSS or Atom feed",
        )
    if not version and not raw_entries:
        raise FeedError(
            f"{url} is not a feed: no RSS, Atom or JSON Feed document found",
            "check the URL points at the site's feed",
        )
    meta = parsed.get("feed") or {}
    is_rss = version.startswith("rss") or not version
    is_atom = version.startswith("atom")
    feed_link = _link(meta.get("link"), url)
    warnings: list[str] = []
    entries: list[Entry] = []
    for n, e in enumerate(raw_entries):
        try:
            entries.append(_xml_entry(e, url, is_rss=is_rss, is_atom=is_atom))
        except (ValueError, TypeError, OverflowError, RecursionError) as err:
            _skip(warnings, url, n, str(err) or type(err).__name__)
    kind = "atom" if is_atom else "rss" if version.startswith("rss") else (version or "rss")
    title_kind = _declared(meta.get("title_detail"), "text") if is_atom else "title"
    return ParsedFeed(
        kind=kind,
        title=_field(meta.get("title"), title_kind),
        link=feed_link,
        entries=entries,
        version=version or None,
        warnings=warnings,
    )


def _xml_entry(e: Any, url: str, *, is_rss: bool, is_atom: bool) -> Entry:
    """One feedparser entry. Atom declares each text's type; RSS titles are text by spec and
    descriptions HTML by custom (``_field`` reads both the same way the fast path does)."""
    content_html, content_text = _content(_content_html(e))
    return Entry(
        guid=(e.get("id") or None),
        link=_link(e.get("link"), url),
        title=_field(e.get("title"), _declared(e.get("title_detail"), "text") if is_atom else "title"),
        summary=_field(
            e.get("summary"), _declared(e.get("summary_detail"), "text") if is_atom else "summary"
        ),
        content_html=content_html,
        content_text=content_text,
        # RSS 1.0 dates items with dc:date, which feedparser files under "updated".
        published=_from_struct(
            _get(e, "published_parsed") or (_get(e, "updated_parsed") if is_rss else None)
        ),
        updated=_from_struct(_get(e, "updated_parsed")),
        author=_author(e),
    )


# --------------------------------------------------------------------------- fast path
#
# feedparser is pure Python and costs ~3-6 ms per 20-item feed; on a poll of hundreds of feeds it
# is most of the CPU. Plain RSS 2.0 -- by far the most common dialect -- is parsed here with
# lxml (C) instead, reproducing feedparser's per-field rules (feedparser 6.0, mixin.pop): the same
# link resolution, guid-as-link rule, mis-decoded UTF-8 repair and date parser. Neither path
# sanitises markup or rewrites URIs inside it (feedparser is called with sanitize_html=False,
# resolve_relative_uris=False): briefbot keeps only plain text derived from feed HTML -- titles
# and summaries through html_to_text, content as ``content_text`` -- and escapes everything per
# medium when rendering, so a sanitiser's work (~70% of this path) bought nothing. Content markup
# goes through the same clean_html_and_text on both paths, so both give identical entries.
# Anything this path does not know (another dialect, a DOCTYPE, xml:base, an unknown item
# element, duplicate fields, an unusual encoding) returns None and feedparser decides;
# tests/test_feeds.py runs both paths over every fixture and asserts they agree on what is kept.

from feedparser.datetimes import _parse_date as _fp_parse_date
from feedparser.mixin import _cp1252 as _FP_CP1252
from feedparser.urls import _urljoin as _fp_urljoin

try:  # lxml comes with trafilatura; without it every feed simply takes the feedparser path
    from lxml import etree as _etree
except ImportError:  # pragma: no cover
    _etree = None

_CONTENT_NS = "{http://purl.org/rss/1.0/modules/content/}"
_DC_NS = "{http://purl.org/dc/elements/1.1/}"
_ATOM_LINK = "{http://www.w3.org/2005/Atom}link"
# item children the fast path understands; anything else (media:*, source, atom:link, ...) may
# feed a field through feedparser rules not reproduced here, so it falls back.
_TEXT_CHILDREN = frozenset(
    {
        "title",
        "link",
        "description",
        "guid",
        "pubDate",
        "author",
        _CONTENT_NS + "encoded",
        _DC_NS + "creator",
        _DC_NS + "date",
    }
)
_IGNORED_CHILDREN = frozenset({"category", "comments", "enclosure"})
_XML_DECL_ENCODING = re.compile(rb"^\s*<\?xml[^>]*\bencoding\s*=\s*[\"']([^\"']+)", re.IGNORECASE)
_LINK_ENTITY = re.compile("&([A-Za-z0-9_]+);")


class _Fallback(Exception):
    """This document needs feedparser."""


def _xml_parser() -> Any:
    # No entity resolution (XXE), no network, no huge trees (billion laughs); one per thread.
    return _etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_comments=False)


_PARSERS = __import__("threading").local()


def _fp_finish(raw: str, *, uri: str | None = None) -> str:
    """feedparser's pop() without sanitising: strip, resolve a URI element, fix mis-decoded UTF-8."""
    output = raw.strip()
    if uri is not None and output:
        output = _fp_urljoin(uri, output)
    if not output.isascii():
        try:
            output = output.encode("iso-8859-1").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
        output = output.translate(_FP_CP1252)
    return output


def _simple_text(el: Any) -> str:
    """Text of a leaf element; markup or comments inside it need feedparser's handling."""
    if len(el) or el.attrib and el.tag != "guid":
        raise _Fallback
    return el.text or ""


def _fast_rss20(body: bytes, url: str, content_type: str | None) -> ParsedFeed | None:
    """RSS 2.0 with lxml, or None when feedparser must decide (see the section comment)."""
    if _etree is None:
        return None
    mime = (content_type or "").split(";", 1)[0].strip().lower()
    charset = ""
    if content_type and "charset=" in content_type.lower():
        charset = content_type.lower().split("charset=", 1)[1].split(";", 1)[0].strip().strip("\"'")
    if charset not in ("", "utf-8", "utf8") or (mime.startswith("text/") and not charset):
        return None
    head = body[:1024]
    if not head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return None  # UTF-16/32 and friends
    declared = _XML_DECL_ENCODING.match(head.lstrip(b"\xef\xbb\xbf"))
    if declared and declared.group(1).lower() not in (b"utf-8", b"utf8"):
        return None
    if b"<!DOCTYPE" in body or b"<!doctype" in body or b"xml:base" in body or b"<!ENTITY" in body:
        return None
    if not re.search(rb"<rss\b[^>]*\bversion\s*=\s*[\"']\s*2\.0\s*[\"']", head):
        return None
    try:
        parser = getattr(_PARSERS, "parser", None)
        if parser is None:
            parser = _PARSERS.parser = _xml_parser()
        root = _etree.fromstring(body, parser)
    except (_etree.XMLSyntaxError, ValueError):
        return None
    try:
        return _rss20_tree(root, url)
    except _Fallback:
        return None


def _rss20_tree(root: Any, url: str) -> ParsedFeed:
    if root.tag != "rss" or (root.get("version") or "").strip() != "2.0" or len(root) != 1:
        raise _Fallback
    channel = root[0]
    if channel.tag != "channel":
        raise _Fallback
    base = url if url.lower().startswith(("http:", "https:")) else ""
    feed_title = feed_link = None
    seen: set[str] = set()
    items = []
    for child in channel:
        tag = child.tag
        if tag == "item":
            items.append(child)
        elif tag in ("title", "link"):
            if tag in seen:
                raise _Fallback
            seen.add(tag)
            if tag == "title":
                feed_title = _fp_finish(_simple_text(child))
            else:
                feed_link = _LINK_ENTITY.sub(r"&\g<1>", _fp_finish(_simple_text(child), uri=base))
        elif tag == _ATOM_LINK:
            if (child.get("rel") or "alternate").lower() == "alternate":
                raise _Fallback  # feedparser takes it as the feed's link
        elif not isinstance(tag, str):
            if tag is not _etree.Comment:
                raise _Fallback  # processing instructions, entities
        elif tag.startswith("{") and tag.rsplit("}", 1)[1].lower() in ("title", "link", "item", "entry"):
            raise _Fallback  # dc:title, atom:entry, ...: feedparser maps these by local name
    if sum(1 for _ in root.iter("item", "{*}item", "{*}entry", "entry")) != len(items):
        raise _Fallback  # items nested elsewhere are entries to feedparser too
    entries = []
    warnings: list[str] = []
    for n, item in enumerate(items):
        try:
            entry = _rss20_item(item, base, url)
        except (ValueError, TypeError, OverflowError, RecursionError) as err:
            _skip(warnings, url, n, str(err) or type(err).__name__)
            continue
        if entry is not None:
            entries.append(entry)
    return ParsedFeed(
        kind="rss",
        title=_text(feed_title),
        link=_link(feed_link, url),
        entries=entries,
        version="rss20",
        warnings=warnings,
    )


def _rss20_item(item: Any, base: str, url: str) -> Entry | None:
    if item.attrib:
        raise _Fallback
    fields: dict[str, Any] = {}
    for child in item:
        tag = child.tag
        if tag in _TEXT_CHILDREN:
            if tag in fields:
                raise _Fallback
            fields[tag] = child
        elif tag in _IGNORED_CHILDREN or tag is _etree.Comment:
            continue
        else:
            raise _Fallback
    content_key = _CONTENT_NS + "encoded"
    if content_key in fields and "description" in fields:
        order = list(item)
        if order.index(fields[content_key]) < order.index(fields["description"]):
            raise _Fallback  # feedparser then files the description as content
    if "author" in fields and _DC_NS + "creator" in fields:
        raise _Fallback
    guid = link = title = summary = content = None
    guid_is_link = False
    if "guid" in fields:
        el = fields["guid"]
        attrs = {k.lower(): v for k, v in el.attrib.items()}
        if set(attrs) - {"ispermalink"} or len(el):
            raise _Fallback
        guid_is_link = attrs.get("ispermalink", "true") == "true"
        guid = _fp_finish(el.text or "", uri=base if guid_is_link else None)
    if "link" in fields:
        raw = _fp_finish(_simple_text(fields["link"]), uri=base).replace("&amp;", "&")
        link = _LINK_ENTITY.sub(r"&\g<1>", raw)
    elif guid_is_link:
        link = guid
    if "title" in fields:
        title = _fp_finish(_simple_text(fields["title"]))
    if "description" in fields:
        summary = _fp_finish(_simple_text(fields["description"]))
    if content_key in fields:
        content = _fp_finish(_simple_text(fields[content_key]))
        if summary is None:
            summary = content  # feedparser copies content:encoded to an absent summary
    author_el = fields.get("author")
    if author_el is None:
        author_el = fields.get(_DC_NS + "creator")
    author = None
    if author_el is not None:
        author = _fp_finish(_simple_text(author_el))
        if "@" in author:
            raise _Fallback  # "mail@host (Name)" forms: feedparser's own splitting rules
    published = updated = None
    if "pubDate" in fields:
        published = _fp_parse_date(_fp_finish(_simple_text(fields["pubDate"])))
    if _DC_NS + "date" in fields:
        updated = _fp_parse_date(_fp_finish(_simple_text(fields[_DC_NS + "date"])))
    if not (guid or link or title or summary or content_key in fields):
        return None  # what _parse_xml_feed drops too: an entry that carries nothing
    content_html, content_text = _content(content)
    return Entry(
        guid=guid or None,
        link=_link(link, url),
        title=_text(title),
        summary=_field(summary, "summary"),
        content_html=content_html,
        content_text=content_text,
        published=_from_struct(published or updated),
        updated=_from_struct(updated),
        author=_text(author),
    )


# --------------------------------------------------------------------------- entry point


def parse_feed(body: bytes, url: str, content_type: str | None = None) -> ParsedFeed:
    """Parse a downloaded feed; relative links are resolved against ``url``.

    Raises FeedError for an empty body, an HTML page (with a hint at the page's own feed
    when it advertises one), malformed XML that yields no entries, or invalid JSON Feed.
    A feed that is only slightly broken but still yields entries is accepted, as readers do.
    """
    if not body or not body.strip():
        raise FeedError(
            f"{url} returned an empty body where a feed was expected", "check the URL; the site may be down"
        )
    if looks_like_html(body, content_type):
        feeds = discover_feeds(body, url, content_type)
        if feeds:
            hint = f"its feed seems to be at {feeds[0]}; or set kind: page to treat the page as one article"
        else:
            hint = "find the site's RSS/Atom link, or set kind: page to treat the page as one article"
        raise FeedError(f"expected a feed at {url}, got an HTML page", hint)
    if _is_json(body, content_type):
        return _parse_json_feed(body, url)
    return _fast_rss20(body, url, content_type) or _parse_xml_feed(body, url, content_type)
