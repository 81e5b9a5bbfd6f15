"""An ArticleText's body -> paragraphs for the model (dateline and staff credits removed).

Files and pages become ArticleText in ``briefbot.ingest.loader``; this module only prepares
the body the analyser is handed. Kept free of spaCy so articles can be prepared without a model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..dates import DATE_MARKER
from ..model import ArticleText

__all__ = ["ArticleText", "Paragraph", "Prepared", "prepare"]

# "ROTTERDAM, Oct 6 - ", "RIYADH (Reuters): ", "WASHINGTON (AP) — ", "NEW YORK, March 3, 2025 -- "
_DATELINE = re.compile(
    r"^(?P<dl>[A-Z][A-Z.'\-]+(?:[ /][A-Z][A-Z.'\-]+){0,3}"
    r"(?:,\s*[A-Z][a-zA-Z.]+(?:\s[A-Z][a-zA-Z.]+)?)??"
    r"(?:,\s*[A-Z][a-z]{2,8}\.?\s+\d{1,2}(?:,\s*\d{4})?)?"
    r"(?:\s*\([^)]{1,40}\))?)\s*(?:-{1,2}|[\u2013\u2014:])\s+(?=\S)"
)
_CREDIT_LINE = re.compile(
    r"^\(?\s*(?:additional\s+)?(?:reporting|writing|editing|compiled|produced)\s+by\b[^()]*\)?\.?$",
    re.IGNORECASE,
)
_TERMINAL = ".!?\u2026\"'\u201d\u2019)]:;"


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
    m = DATE_MARKER.match(body)  # a body built by hand may still carry the text format's marker
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
