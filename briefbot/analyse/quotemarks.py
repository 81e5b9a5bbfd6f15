"""Find quoted passages by pairing quote marks on their context, never by counting them.

Counting marks fails on plural possessives ("employers' association") and on outlets that
write quotes as two apostrophes (''); a mark opens when it follows a space or the paragraph
start and precedes a word, and closes when it follows a word and precedes space/punctuation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_MARK = re.compile("''|\u2018\u2018|\u2019\u2019|[\"\u201c\u201d\u201e\u00ab\u00bb]")
_OPEN_BEFORE = set("([{\u2014\u2013-/:")
_CLOSE_AFTER = set(".,;:!?)]}\u2014\u2013-\u2026'\u2019")


@dataclass
class QuoteSpan:
    """Character offsets of one quoted passage: marks included in start/end, excluded in inner_*."""

    start: int
    end: int
    inner_start: int
    inner_end: int
    closed: bool = True


def _role(text: str, pos: int, length: int, lo: int, hi: int) -> str:
    """'open', 'close' or '' for the mark at text[pos:pos+length] within a paragraph [lo, hi)."""
    mark = text[pos : pos + length]
    before = text[pos - 1] if pos > lo else " "
    after = text[pos + length] if pos + length < hi else " "
    can_open = (before.isspace() or before in _OPEN_BEFORE) and not after.isspace()
    can_close = (not before.isspace()) and (after.isspace() or after in _CLOSE_AFTER or after in '"\u201d')
    if mark in ("\u201c", "\u201e", "\u00ab"):
        return "close" if can_close and not can_open else "open"
    if mark in ("\u201d", "\u00bb"):
        return "open" if can_open and not can_close else "close"
    if can_open and not can_close:
        return "open"
    if can_close and not can_open:
        return "close"
    return ""


def find_quote_spans(text: str, paragraphs: list[tuple[int, int]]) -> list[QuoteSpan]:
    """All quoted passages, paragraph by paragraph; an unclosed quote runs to its paragraph's end."""
    spans: list[QuoteSpan] = []
    for lo, hi in paragraphs:
        open_at: tuple[int, int] | None = None
        for m in _MARK.finditer(text, lo, hi):
            role = _role(text, m.start(), m.end() - m.start(), lo, hi)
            if role == "open":
                if open_at is not None:  # a new opening before a close: the earlier one ran on
                    _add(spans, text, open_at, m.start(), m.start(), closed=False)
                open_at = (m.start(), m.end())
            elif role == "close" and open_at is not None:
                _add(spans, text, open_at, m.start(), m.end(), closed=True)
                open_at = None
        if open_at is not None:
            _add(spans, text, open_at, hi, hi, closed=False)
    return spans


def _add(
    spans: list[QuoteSpan], text: str, open_at: tuple[int, int], inner_end: int, end: int, closed: bool
) -> None:
    inner_start = open_at[1]
    while inner_start < inner_end and text[inner_start].isspace():
        inner_start += 1
    while inner_end > inner_start and text[inner_end - 1].isspace():
        inner_end -= 1
    if inner_end - inner_start >= 1:
        spans.append(QuoteSpan(open_at[0], end, inner_start, inner_end, closed))


def clean_quote_text(inner: str) -> str:
    """Quote text as shown to users: whitespace collapsed, a trailing comma (American style) dropped."""
    s = re.sub(r"\s+", " ", inner).strip()
    s = s.rstrip(",;: ").rstrip()
    return s
