"""The one article loader: plain-text files and HTML pages -> ``ArticleText``.

Every way an article enters briefbot outside a feed goes through here: ``briefbot analyze``
on files and URLs, and local ``.txt`` sources in a poll. Pages are extracted by
``extract.extract_article`` (the one trafilatura configuration), dates are parsed by
``briefbot.dates.parse_date`` (the one date parser).

The plain-text format (``.txt``, ``.md``)::

    Council approves harbour bridge        <- optional headline: one short line, no final
                                              full stop, followed by a blank line
    date 2026-03-04                        <- optional date marker, before or after the headline
    The council voted on Tuesday to ...    <- the body
"""

from __future__ import annotations

import re
from pathlib import Path

from ..dates import DATE_MARKER, parse_date
from ..errors import BriefbotError, FetchError
from ..model import ArticleText
from .extract import extract_article
from .local import to_path

__all__ = ["HTML_SUFFIXES", "TEXT_SUFFIXES", "LoadError", "load_file", "load_html", "load_text"]

TEXT_SUFFIXES = frozenset({".txt", ".md"})
HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml"})
MAX_FILE_BYTES = 10_000_000  # the default network.max_bytes: a named path can be anything (/dev/zero)

_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)


class LoadError(BriefbotError):
    """A file could not be loaded as an article; the message starts with the path."""


def load_text(raw: str, input: str | None = None, url: str | None = None) -> ArticleText:
    """An article in the plain-text format: optional ``date YYYY-MM-DD`` marker, optional headline."""
    text = raw.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    published = None
    m = DATE_MARKER.match(text)
    if m:
        published = parse_date(m.group(1))
        text = text[m.end() :]
    text = text.lstrip("\n")
    title = None
    lines = text.split("\n")
    if len(lines) > 2 and not lines[1].strip() and _looks_like_headline(lines[0]):
        title = lines[0].strip()
        text = "\n".join(lines[2:])
        if published is None:  # a marker may also follow the headline
            m = DATE_MARKER.match(text.lstrip("\n"))
            if m:
                published = parse_date(m.group(1))
                text = text.lstrip("\n")[m.end() :]
    return ArticleText(title=title, body=text.strip("\n"), url=url, published=published, input=input)


def _looks_like_headline(line: str) -> bool:
    s = line.strip()
    return bool(s) and len(s.split()) <= 16 and not s.endswith(".")


def load_html(html: str, url: str | None = None, input: str | None = None) -> ArticleText:
    """The article of an HTML page: main text, headline and date as ``extract_article`` finds them.

    ``url`` is where the page came from; the article's ``url`` is the page's own canonical
    http(s) address when it declares one, else ``url``. ``input`` defaults to ``url``.
    The body may be empty when the page holds no article text.
    """
    ex = extract_article(html, url)
    return ArticleText(
        title=ex.title,
        body=ex.text,
        url=ex.canonical_url or url,
        published=ex.published,
        input=input if input is not None else url,
    )


def load_file(path: str | Path) -> ArticleText:
    """A ``.txt``/``.md`` article or an ``.html``/``.htm`` page from disk (``input`` is ``path`` as given).

    ``path`` may also be a ``file://`` URL. Raises ``LoadError`` ("PATH: reason") for other
    kinds of file, other URLs, and files that cannot be read.
    """
    name = str(path)
    if isinstance(path, str) and _SCHEME.match(path) and not path.lower().startswith("file:"):
        raise LoadError(f"{name}: not a file", "URLs are fetched by `briefbot analyze URL`")
    try:
        p = to_path(path)
    except FetchError as exc:
        raise LoadError(f"{name}: {exc.message}", exc.hint) from None
    suffix = p.suffix.lower()
    if suffix not in TEXT_SUFFIXES and suffix not in HTML_SUFFIXES:
        kind = f"{suffix} files" if suffix else "files without an extension"
        raise LoadError(
            f"{name}: cannot read {kind} as articles",
            "give a plain-text article (.txt, .md) or an HTML page (.html, .htm)",
        )
    raw = _read(p, name).decode("utf-8", errors="replace")
    if suffix in HTML_SUFFIXES:
        return load_html(raw, url=None, input=name)
    return load_text(raw, input=name)


def _read(p: Path, name: str) -> bytes:
    try:
        with p.open("rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise LoadError(f"{name}: cannot read: {exc.strerror or exc}") from None
    if len(data) > MAX_FILE_BYTES:
        raise LoadError(f"{name}: cannot read: larger than {MAX_FILE_BYTES:,} bytes")
    return data
