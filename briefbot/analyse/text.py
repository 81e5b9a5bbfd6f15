"""Input parsing: .txt / .html / pipeline text -> ArticleText -> paragraphs for the model.

Kept free of spaCy so the pipeline can build articles without loading a model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

_DATE_MARKER = re.compile(r"^\s*date\s+(\d{4}-\d{2}-\d{2})\b[ \t]*\n?", re.IGNORECASE)
# "ROTTERDAM, Oct 6 - ", "RIYADH (Reuters): ", "WASHINGTON (AP) — ", "NEW YORK, March 3, 2025 -- "
_DATELINE = re.compile(
    r"^(?P<dl>[A-Z][A-Z.'\-]+(?:[ /][A-Z][A-Z.'\-]+){0,3}"
    r"(?:,\s*[A-Z][a-zA-Z.]+(?:\s[A-Z][a-zA-Z.]+)?)??"
    r"(?:,\s*[A-Z][a-z]{2,8}\.?\s+\d{1,2}(?:,\s*\d{4})?)?"
    r"(?:\s*\([^)]{1,40}\))?)\s*(?:-{1,2}|[\u2013\u2014:])\s+(?=\S)"
)
_CREDIT_LINE = re.compile(
    r"^\(?\s*(?:additional\s+)?(?:reporting|writing|editing|compiled|produced)\s+by\b[^()]*\)?\.?$", re.IGNORECASE
)
_TERMINAL = ".!?\u2026\"'\u201d\u2019)]:;"


def parse_date(value: str | None) -> datetime | None:
    """ISO date or datetime string -> aware datetime (UTC when no zone is given)."""
    if not value:
        return None
    value = value.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            d = date.fromisoformat(value)
            return datetime(d.year, d.month, d.day, tzinfo=timezone.utc)
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


@dataclass
class ArticleText:
    """One article as the analyser receives it: an optional headline and the body text."""

    title: str | None
    body: str
    url: str | None = None
    published: datetime | None = None
    input: str | None = None

    @classmethod
    def from_text(cls, raw: str, input: str | None = None, url: str | None = None) -> ArticleText:
        """Parse the plain-text format: optional ``date YYYY-MM-DD`` marker, optional short headline."""
        text = raw.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
        published = None
        m = _DATE_MARKER.match(text)
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
                m = _DATE_MARKER.match(text.lstrip("\n"))
                if m:
                    published = parse_date(m.group(1))
                    text = text.lstrip("\n")[m.end() :]
        return cls(title=title, body=text.strip("\n"), url=url, published=published, input=input)

    @classmethod
    def from_html(cls, html: str, url: str | None = None, input: str | None = None) -> ArticleText:
        """Extract the main text and metadata with trafilatura (comments dropped)."""
        import trafilatura

        doc = trafilatura.bare_extraction(html, url=url, with_metadata=True, include_comments=False)
        if doc is None:
            body = trafilatura.extract(html, include_comments=False) or ""
            return cls(title=None, body=body, url=url, input=input if input is not None else url)
        title = (getattr(doc, "title", None) or "").strip() or None
        body = getattr(doc, "text", None) or ""
        if title:  # trafilatura often repeats the headline as the first line
            first, _, rest = body.partition("\n")
            if first.strip() == title:
                body = rest
        published = parse_date(getattr(doc, "date", None))
        return cls(
            title=title,
            body=body.strip(),
            url=url or getattr(doc, "url", None),
            published=published,
            input=input if input is not None else url,
        )


def _looks_like_headline(line: str) -> bool:
    s = line.strip()
    return bool(s) and len(s.split()) <= 16 and not s.endswith(".")


def load_input(path: str) -> ArticleText:
    """Read a ``.txt`` or ``.html`` file into an ArticleText; URLs are the CLI's job."""
    if re.match(r"^[a-z][a-z0-9+.-]*://", path, re.IGNORECASE):
        raise ValueError(f"{path}: URL inputs are fetched by the CLI, not by the analyser; pass a file path")
    p = Path(path)
    raw = p.read_bytes().decode("utf-8", errors="replace")
    if p.suffix.lower() in (".html", ".htm", ".xhtml") or raw.lstrip()[:15].lower().startswith(
        ("<!doctype", "<html")
    ):
        return ArticleText.from_html(raw, url=None, input=path)
    return ArticleText.from_text(raw, input=path)


@dataclass
class Paragraph:
    """A paragraph's character span inside the prepared body text."""

    start: int
    end: int
    heading: bool = False


@dataclass
class Prepared:
    """The body as the model sees it: paragraphs joined by blank lines, dateline removed."""

    text: str
    paragraphs: list[Paragraph] = field(default_factory=list)
    dateline: str | None = None

    def paragraph_at(self, char: int) -> int:
        """Index of the paragraph containing character offset ``char`` (binary search)."""
        lo, hi = 0, len(self.paragraphs) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.paragraphs[mid].start <= char:
                lo = mid
            else:
                hi = mid - 1
        return lo


def _split_paragraphs(body: str) -> list[str]:
    """Lines are paragraphs; a hard-wrapped line (no end punctuation, next starts lowercase) is joined."""
    out: list[str] = []
    joinable = False
    for line in body.split("\n"):
        s = re.sub(r"[ \t\u00a0]+", " ", line).strip()
        if not s:
            joinable = False
            continue
        if out and joinable and s[0].islower():
            out[-1] = out[-1] + " " + s
        else:
            out.append(s)
        joinable = not s.endswith(tuple(_TERMINAL))
    return out


def _is_heading(par: str) -> bool:
    return (
        len(par.split()) <= 10
        and not par.endswith(tuple(_TERMINAL))
        and not any(q in par for q in '"\u201c\u201d')
    )


def prepare(article: ArticleText) -> Prepared:
    """Normalise the body into paragraphs and strip a leading dateline (not part of any sentence)."""
    body = article.body or ""
    m = _DATE_MARKER.match(body)  # pipeline text may still carry the marker
    if m:
        body = body[m.end() :]
    pars = _split_paragraphs(body)
    while pars and _CREDIT_LINE.match(pars[-1]):
        pars.pop()  # "(Reporting by …; Editing by …)": staff credits, not people in the story
    dateline = None
    if pars:
        m2 = _DATELINE.match(pars[0])
        if m2 and len(pars[0]) - m2.end() > 20:
            dateline = m2.group("dl")
            pars[0] = pars[0][m2.end() :]
    text_parts: list[str] = []
    paragraphs: list[Paragraph] = []
    pos = 0
    for par in pars:
        paragraphs.append(Paragraph(pos, pos + len(par), _is_heading(par)))
        text_parts.append(par)
        pos += len(par) + 2
    return Prepared(text="\n\n".join(text_parts), paragraphs=paragraphs, dateline=dateline)
