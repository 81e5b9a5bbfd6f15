"""HTML -> plain text: whole article pages (trafilatura) and feed HTML fragments (fast, stdlib).

Two tools for two jobs: an article page is mostly clutter (navigation, teasers, comments)
and needs trafilatura's main-content detection; a feed's ``content:encoded`` is already just
the article and only needs tags stripped, quickly and predictably, keeping paragraph breaks
because quote attribution downstream must not reach across paragraphs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser

__all__ = ["MIN_FULL_TEXT", "Extracted", "extract_article", "html_to_text"]

# trafilatura on real pages: under ~300 characters means it found no article body, only a
# teaser or boilerplate; the feed summary is then the better text.
MIN_FULL_TEXT = 300


@dataclass(frozen=True)
class Extracted:
    text: str
    title: str | None
    published: datetime | None
    canonical_url: str | None
    is_full: bool


def _parse_date(value: str | None) -> datetime | None:
    """trafilatura gives "YYYY-MM-DD" (or with time); aware UTC datetime or None."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def extract_article(html: str, url: str | None = None) -> Extracted:
    """Main text and metadata of an article page; ``is_full`` says whether to trust the text.

    Precision over recall and no comments: a digest quoting a reader comment as the
    article would be worse than falling back to the feed summary.
    """
    import trafilatura  # imported here: it is slow to import and only pages need it

    doc = trafilatura.bare_extraction(
        html,
        url=url,
        favor_precision=True,
        include_comments=False,
        include_tables=False,
        with_metadata=True,
        date_extraction_params={
            "extensive_search": True,
            "original_date": True,
            "outputformat": "%Y-%m-%dT%H:%M:%S%z",  # keep the time and zone when the page has them
        },
    )
    if doc is None:
        return Extracted(text="", title=None, published=None, canonical_url=None, is_full=False)
    get = doc.get if isinstance(doc, dict) else lambda key: getattr(doc, key, None)
    raw = get("text") or ""
    # trafilatura separates paragraphs with single newlines; make them blank-line paragraphs
    # like html_to_text does, so every consumer splits paragraphs the same way.
    paragraphs = [" ".join(line.split()) for line in raw.splitlines()]
    paragraphs = [p for p in paragraphs if p]
    title = get("title") or None
    if paragraphs and title and paragraphs[0] == " ".join(title.split()):
        paragraphs = paragraphs[1:]  # the headline is repeated as the article's first block
    text = "\n\n".join(paragraphs)
    canonical = get("url")
    return Extracted(
        text=text,
        title=title,
        published=_parse_date(get("date")),
        canonical_url=canonical if isinstance(canonical, str) and canonical.startswith("http") else None,
        is_full=len(text) >= MIN_FULL_TEXT,
    )


# --------------------------------------------------------------------------- fragments

_BLOCK = frozenset(
    {
        "p",
        "div",
        "br",
        "li",
        "ul",
        "ol",
        "dl",
        "dt",
        "dd",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "pre",
        "table",
        "tr",
        "section",
        "article",
        "header",
        "footer",
        "aside",
        "figure",
        "figcaption",
        "hr",
        "address",
        "details",
        "summary",
        "main",
        "nav",
        "form",
    }
)
_DROP = frozenset({"script", "style", "noscript", "template", "head", "title", "iframe", "object", "svg"})
_VOID = frozenset({"br", "hr", "img", "input", "meta", "link", "source", "wbr", "area", "base", "col"})
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROP:
            self.skip += 1
        elif tag in _BLOCK:
            self.parts.append("\n\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROP:
            self.skip = max(0, self.skip - 1)
        elif tag in _BLOCK and tag not in _VOID:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML fragment, paragraphs separated by a blank line.

    Block elements (p, br, li, headings, ...) become paragraph breaks, entities are decoded,
    script/style content dropped, and whitespace inside a paragraph collapsed to one space.
    Text without any markup passes through with only whitespace normalised.
    """
    if not fragment:
        return ""
    parser = _TextParser()
    parser.feed(fragment)
    parser.close()
    joined = _INVISIBLE.sub("", "".join(parser.parts))
    paragraphs = (" ".join(chunk.split()) for chunk in joined.split("\n\n"))
    return "\n\n".join(p for p in paragraphs if p)
