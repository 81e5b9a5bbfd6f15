"""HTML -> plain text: whole article pages (trafilatura) and feed HTML fragments (fast, lxml).

Two tools for two jobs: an article page is mostly clutter (navigation, teasers, comments)
and needs trafilatura's main-content detection; a feed's ``content:encoded`` is already just
the article and only needs tags stripped, quickly and predictably, keeping paragraph breaks
because quote attribution downstream must not reach across paragraphs.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lxml import etree

from ..dates import parse_date

__all__ = ["MIN_FULL_TEXT", "Extracted", "clean_html_and_text", "extract_article", "html_to_text"]

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


def extract_article(html: str, url: str | None = None) -> Extracted:
    """Main text and metadata of an article page; ``is_full`` says whether to trust the text.

    briefbot's one trafilatura configuration: polls (pages, summary-only feeds) and the
    article loader (``briefbot analyze``, ``ingest.loader``) both extract pages here.
    Precision over recall, no comments and no tables: a digest quoting a reader comment as
    the article would be worse than falling back to the feed summary, and the analyser
    would take a commenter's words, or a table's cells, for the article's own sentences.
    """
    import trafilatura  # imported here: it is slow to import and only pages need it

    html = _flatten(html)  # libxml2 stops at 256 levels: a page nested deeper would lose its text
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
        published=parse_date(get("date")),
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

# libxml2's HTML parser gives up below 256 open elements and drops the rest of the document
# (recover=True or not): 200,000 nested <div>s would leave an article without its text. Elements
# that markup nests (and closes) are therefore limited to MAX_NESTING levels before parsing;
# what is inside deeper ones is kept, only the extra wrappers go. Elements whose end tag HTML lets
# authors leave out (p, li, td, tr, dd, ...) are not counted: a long list would look deep.
MAX_NESTING = 128
_NESTING = frozenset(
    """a abbr article aside b bdi bdo big blockquote center cite code del details dfn div dl em
    fieldset figure font footer form header i ins kbd label main mark nav ol pre q s samp section
    small span strike strong sub summary sup table tt u ul var""".split()
)
_ANY_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*)\b[^>]*>")


def _flatten(html: str, limit: int = MAX_NESTING) -> str:
    """``html`` with nesting elements deeper than ``limit`` unwrapped (their content kept).

    One linear pass over the tags, and only when there are enough of them to nest that deep.
    Unclosed nesting elements count as open for good, so broken markup loses wrappers sooner,
    never text.
    """
    if html.count("<") <= limit:
        return html
    depth = 0
    dropped = False

    def tag(m: re.Match[str]) -> str:
        nonlocal depth, dropped
        if m.group(2).lower() not in _NESTING:
            return m.group(0)
        if m.group(1):  # closing
            keep = depth <= limit
            depth = max(depth - 1, 0)
        else:
            depth += 1
            keep = depth <= limit or m.group(0).endswith("/>")
            if m.group(0).endswith("/>"):
                depth -= 1
        if keep:
            return m.group(0)
        dropped = True
        return " "

    flat = _ANY_TAG.sub(tag, html)
    return flat if dropped else html


# Literal C1 controls in text are almost always cp1252 punctuation decoded as latin-1; the stdlib
# parser mapped such character references (&#150;) to cp1252 as HTML5 says, and so does this.
_C1_TO_CP1252 = {
    i: bytes([i]).decode("cp1252") for i in range(0x80, 0xA0) if i not in (0x81, 0x8D, 0x8F, 0x90, 0x9D)
}
# "head" is not stripped: libxml2 never keeps a literal <head> inside body content, but it files
# a fragment's leading <style>/<title> under an implied head, with whatever follows up to the
# first element it knows belongs in a body.
_DROP_TAGS = tuple(_DROP - {"head"})
_BLOCK_TAGS = tuple(_BLOCK)
_fragment_parsers = threading.local()


def _fragment_parser() -> Any:
    parser = getattr(_fragment_parsers, "parser", None)
    if parser is None:
        # HTML has no external entities; no_network keeps libxml2 off the network regardless.
        parser = _fragment_parsers.parser = etree.HTMLParser(
            remove_comments=True, remove_pis=True, no_network=True, recover=True, default_doctype=False
        )
    return parser


def _fragment_root(fragment: str) -> Any:
    """The fragment as an lxml HTML document, without the elements whose text is not content."""
    # Parsed as body content from the start: a leading <style> or <title> would otherwise open an
    # implied head that swallows what follows.
    parser = _fragment_parser()
    root = etree.fromstring("<html><body>" + fragment, parser)
    if any(e.type_name == "ERR_RESOURCE_LIMIT" for e in parser.error_log):
        # nested past libxml2's limit: everything from there on was dropped; unwrap and parse again
        root = etree.fromstring("<html><body>" + _flatten(fragment), parser)
        if any(e.type_name == "ERR_RESOURCE_LIMIT" for e in parser.error_log):
            root = etree.fromstring("<html><body>" + _flatten(fragment, 0), parser)
    if root is None:  # nothing but whitespace or comments
        return None
    etree.strip_elements(root, *_DROP_TAGS, with_tail=False)
    return root


def _root_text(root: Any) -> str:
    for el in root.iter(*_BLOCK_TAGS):
        if el.tag not in _VOID:
            el.text = "\n\n" + (el.text or "")
        el.tail = "\n\n" + (el.tail or "")
    joined = etree.tostring(root, method="text", encoding=str, with_tail=False)
    joined = _INVISIBLE.sub("", joined).translate(_C1_TO_CP1252)
    paragraphs = (" ".join(chunk.split()) for chunk in joined.split("\n\n"))
    return "\n\n".join(p for p in paragraphs if p)


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML fragment, paragraphs separated by a blank line.

    Block elements (p, br, li, headings, ...) become paragraph breaks, entities are decoded,
    script/style content dropped, and whitespace inside a paragraph collapsed to one space.
    Text without any markup passes through with only whitespace normalised.

    libxml2's HTML parser (C, through lxml) does the parsing; a fragment is a few dozen
    microseconds, several times less than the stdlib's pure-Python HTMLParser.
    """
    if not fragment:
        return ""
    if "<" not in fragment and "&" not in fragment:
        text = _INVISIBLE.sub("", fragment).translate(_C1_TO_CP1252)
        return "\n\n".join(p for p in (" ".join(c.split()) for c in text.split("\n\n")) if p)
    root = _fragment_root(fragment.replace("\x00", ""))
    return "" if root is None else _root_text(root)


def clean_html_and_text(fragment: str) -> tuple[str | None, str]:
    """(fragment without the elements html_to_text drops, html_to_text(fragment)) from one parse.

    The HTML is *not* sanitised for display (attributes, links and unknown elements stay):
    nothing in briefbot outputs feed HTML, only the text derived from it. It only no longer
    carries scripts, styles, frames or objects. None when nothing is left.
    """
    if not fragment or not fragment.strip():
        return None, html_to_text(fragment)
    root = _fragment_root(fragment.replace("\x00", ""))
    if root is None:
        return None, ""
    body = root.find("body")
    if body is None:
        html = ""
    else:
        html = (body.text or "") and _escape_text(body.text or "")
        html += "".join(etree.tostring(child, method="html", encoding=str) for child in body)
    return (html.strip() or None), _root_text(root)


def _escape_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
