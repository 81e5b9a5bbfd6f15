"""Bytes -> feed entries: RSS 0.9x/1.0/2.0 and Atom via feedparser, JSON Feed 1.0/1.1 by hand.

The input is the body the fetcher downloaded (never a URL: feedparser would fetch a URL
itself, and it even opens a *bytes* value as a local file name if one exists, so the body
is always handed over as a stream). Errors say what the content actually was, because
"no entries" is useless to a user who pasted a homepage instead of its feed.
"""

from __future__ import annotations

import calendar
import io
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin

import feedparser

from briefbot.errors import FeedError
from briefbot.ingest.extract import html_to_text

__all__ = ["Entry", "ParsedFeed", "discover_feeds", "looks_like_html", "parse_feed"]

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
    """One item of a feed. Text fields are plain text except ``content_html``."""

    guid: str | None
    link: str | None
    title: str | None
    summary: str | None
    content_html: str | None
    published: datetime | None
    updated: datetime | None
    author: str | None


@dataclass(frozen=True)
class ParsedFeed:
    """``kind`` is "rss", "atom" or "json"; ``version`` the exact dialect (e.g. "rss091u")."""

    kind: str
    title: str | None
    link: str | None
    entries: list[Entry] = field(default_factory=list)
    version: str | None = None


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


def _text(value: Any) -> str | None:
    """A plain-text field: markup stripped, whitespace collapsed, empty -> None."""
    if not isinstance(value, str):
        return None
    cleaned = html_to_text(value) if "<" in value or "&" in value else " ".join(value.split())
    return cleaned or None


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
    except (TypeError, ValueError, OverflowError):
        return None


def _from_string(value: Any) -> datetime | None:
    """RFC 3339 (JSON Feed) or RFC 822 dates -> aware UTC; naive values are taken as UTC."""
    if not isinstance(value, str) or not value.strip():
        return None
    raw = value.strip()
    parsed: datetime | None
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        try:
            parsed = parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError):
            return None
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


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


def _parse_json_feed(body: bytes, url: str) -> ParsedFeed:
    try:
        data = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FeedError(
            f"invalid JSON feed at {url}: {exc}", "the site serves broken JSON; tell its owner"
        ) from None
    version = data.get("version") if isinstance(data, dict) else None
    if not isinstance(version, str) or not version.startswith("https://jsonfeed.org/version/"):
        raise FeedError(
            f"{url} is JSON but not a JSON Feed (no https://jsonfeed.org/version/ in 'version')",
            "check the URL points at the site's feed",
        )
    items = data.get("items")
    if not isinstance(items, list):
        raise FeedError(f"invalid JSON feed at {url}: 'items' must be a list")
    home = _link(data.get("home_page_url"), url)
    feed_author = _json_author(data)
    entries: list[Entry] = []
    for item in items:
        if not isinstance(item, dict):
            continue
        guid = item.get("id")
        content_html = item.get("content_html") if isinstance(item.get("content_html"), str) else None
        content_text = item.get("content_text") if isinstance(item.get("content_text"), str) else None
        summary = _text(item.get("summary"))
        if summary is None and content_text is not None and content_html is None:
            summary = (
                "\n\n".join(" ".join(p.split()) for p in content_text.split("\n\n") if p.strip()) or None
            )
        if content_html is None and content_text is not None:
            # Keep the text author's paragraphs: the downstream takes full text from content_html.
            paragraphs = [p.strip() for p in content_text.split("\n\n") if p.strip()]
            content_html = "".join(f"<p>{_escape(p)}</p>" for p in paragraphs) or None
        entries.append(
            Entry(
                guid=str(guid) if guid is not None and str(guid).strip() else None,
                link=_link(item.get("url"), url) or _link(item.get("external_url"), url),
                title=_text(item.get("title")),
                summary=summary,
                content_html=content_html,
                published=_from_string(item.get("date_published")),
                updated=_from_string(item.get("date_modified")),
                author=_json_author(item) or feed_author,
            )
        )
    return ParsedFeed(
        kind="json",
        title=_text(data.get("title")),
        link=home,
        entries=entries,
        version="json" + version.rsplit("/", 1)[-1].replace(".", ""),
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


def _parse_xml_feed(body: bytes, url: str, content_type: str | None) -> ParsedFeed:
    # feedparser resolves relative links (also inside content) against content-location,
    # but mangles file:// bases ("file://srv/..."), so those are resolved by _link alone.
    headers = {"content-location": url} if url.lower().startswith(("http:", "https:")) else {}
    if content_type:
        headers["content-type"] = content_type
    parsed = feedparser.parse(io.BytesIO(body), response_headers=headers)
    version = parsed.get("version") or ""
    # The lenient fallback parser turns broken markup into empty entries; they carry nothing.
    raw_entries = [e for e in parsed.get("entries") or [] if any(_get(e, k) for k in _ENTRY_KEYS)]
    if parsed.get("bozo") and not raw_entries:
        exc = parsed.get("bozo_exception")
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
    feed_link = _link(meta.get("link"), url)
    entries = [
        Entry(
            guid=(e.get("id") or None),
            link=_link(e.get("link"), url),
            title=_text(e.get("title")),
            summary=_text(e.get("summary")),
            content_html=_content_html(e),
            # RSS 1.0 dates items with dc:date, which feedparser files under "updated".
            published=_from_struct(
                _get(e, "published_parsed") or (_get(e, "updated_parsed") if is_rss else None)
            ),
            updated=_from_struct(_get(e, "updated_parsed")),
            author=_author(e),
        )
        for e in raw_entries
    ]
    kind = (
        "atom" if version.startswith("atom") else "rss" if version.startswith("rss") else (version or "rss")
    )
    return ParsedFeed(
        kind=kind, title=_text(meta.get("title")), link=feed_link, entries=entries, version=version or None
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
    return _parse_xml_feed(body, url, content_type)
