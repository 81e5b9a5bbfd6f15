"""Find quoted passages by pairing quote marks on their context, never by counting them.

Counting marks fails on plural possessives ("employers' association") and on outlets that
write quotes as two apostrophes (''); a mark opens when it follows a space or the paragraph
start and precedes a word, and closes when it follows a word and precedes space/punctuation.

British house style uses single marks (‘…’ or '...') for quotes and double marks only nested
inside them. The article's own evidence decides it: single marks opening a paragraph or after
"said:", and closing before ", she said", outnumbering the same shapes with double marks. Then
the single marks are paired by context as well, and apostrophes (don't, workers' pay, the '90s,
rock 'n' roll) are told apart from closing marks; double marks inside a single quote are part
of it.
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
    label: str | None = None  # interview layout: the "NAME" or "A" the paragraph opens with


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


def find_quote_spans(
    text: str, paragraphs: list[tuple[int, int]], skip: set[int] | None = None
) -> list[QuoteSpan]:
    """All quoted passages, paragraph by paragraph; an unclosed quote runs to its paragraph's end.
    Paragraphs whose index is in ``skip`` (interview answers, quoted as a whole) are left out."""
    if uses_single_quotes(text, paragraphs):
        return _single_spans(text, paragraphs, skip or set())
    spans: list[QuoteSpan] = []
    for pi, (lo, hi) in enumerate(paragraphs):
        if skip and pi in skip:
            continue
        open_at: tuple[int, int] | None = None
        for m in _MARK.finditer(text, lo, hi):
            role = _role(text, m.start(), m.end() - m.start(), lo, hi)
            if role == "open":
                if open_at is not None:  # a new opening before a close: the earlier one ran on
                    _add(spans, text, open_at, m.start(), m.start(), closed=False)
                open_at = (m.start(), m.end())
            elif (role == "close" or role == "" and _closes_after_space(text, m.start(), lo)) and (
                open_at is not None
            ):
                _add(spans, text, open_at, m.start(), m.end(), closed=True)
                open_at = None
        if open_at is not None:
            _add(spans, text, open_at, hi, hi, closed=False)
    return spans


def _closes_after_space(text: str, pos: int, lo: int) -> bool:
    """A double mark with space on both sides closes an open quote when a clause or a nested quote
    ended right before it: "… to harvest its brain,' " said Ana Ruiz"."""
    j = pos - 1
    while j > lo and text[j] == " ":
        j -= 1
    return j > lo and j < pos - 1 and text[j] in ",.!?'\u2019\u2026"


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


# -- British house style: single quote marks --------------------------------------------------

_SAYISH = (
    r"(?:said|says|added|adds|told|tells|asked|asks|explained|warned|insisted|argued|claimed|wrote"
    r"|continued|replied|admitted|agreed)"
)
# evidence that a kind of mark is the article's quote mark: it opens a paragraph or follows
# "said:", or it closes a clause right before an attribution ("…,’ she said")
_EVIDENCE = {
    "single": (
        re.compile(r"(?:^|\n)[\u2018'](?=[A-Z0-9])"),
        re.compile(_SAYISH + r"(?: [a-z]+)?:\s+[\u2018'](?=[A-Z])"),
        re.compile(r"[,.!?\u2014][\u2019']\s+(?:[a-z]+\s+)?(?:[A-Z][\w-]+\s+){0,3}" + _SAYISH + r"\b"),
    ),
    "double": (
        re.compile(r"(?:^|\n)[\"\u201c](?=[A-Z0-9])"),
        re.compile(_SAYISH + r"(?: [a-z]+)?:\s+[\"\u201c](?=[A-Z])"),
        re.compile(r"[,.!?\u2014][\"\u201d]\s+(?:[a-z]+\s+)?(?:[A-Z][\w-]+\s+){0,3}" + _SAYISH + r"\b"),
    ),
}
# elisions that start with an apostrophe after a space: 'em, 'til, 'cause, 'tis, 'n'
_ELISIONS = {"em", "til", "cause", "tis", "twas", "n", "round", "bout", "cos", "ere"}
_SINGLE = "\u2018\u2019'"


def uses_single_quotes(text: str, paragraphs: list[tuple[int, int]]) -> bool:
    """True when the article quotes with single marks (doubles, if any, are nested)."""
    body = "\n".join(text[lo:hi] for lo, hi in paragraphs)
    counts = {k: sum(len(r.findall(body)) for r in rs) for k, rs in _EVIDENCE.items()}
    return counts["single"] >= 2 and counts["single"] > counts["double"]


def _single_role(text: str, pos: int, lo: int, hi: int) -> str:
    """'open', 'close', 'weak' (a close that may be a plural possessive: "workers' pay") or ''."""
    mark = text[pos]
    before = text[pos - 1] if pos > lo else " "
    after = text[pos + 1] if pos + 1 < hi else " "
    word = re.match(r"[A-Za-z]+", text[pos + 1 : pos + 8])
    if before.isalnum() and after.isalnum():
        return ""  # don't, it's, O'Neill
    if (before.isspace() or before in _OPEN_BEFORE or before in '"\u201c') and not after.isspace():
        if mark == "\u2019" or after.isdigit():
            return ""  # the '90s, ’em
        if word and word.group(0).lower() in _ELISIONS and mark == "'":
            rest = text[pos + 1 + len(word.group(0)) : pos + 3 + len(word.group(0))]
            if word.group(0).islower() and (not rest or rest[0] in " '\u2019"):
                return ""  # rock 'n' roll, 'em, 'til
        return "open" if mark in ("\u2018", "'") else ""
    if not before.isspace() and before not in _OPEN_BEFORE:
        if mark == "\u2018":
            return ""
        if after.isspace() or pos + 1 >= hi:
            # "rock ’n’ roll": the second apostrophe of an elision
            m = re.search(r"[\u2019'](\w+)$", text[max(lo, pos - 8) : pos])
            if m and m.group(1).lower() in _ELISIONS:
                return ""
            if before.lower() == "s" and pos + 1 < hi:
                nxt = re.match(r"\s+([A-Za-z]+)", text[pos + 1 : pos + 30])
                if nxt and nxt.group(1).islower() and not re.fullmatch(_SAYISH, nxt.group(1)):
                    return "weak"
            return "close"
        if after in _CLOSE_AFTER or after in '"\u201d':
            return "close"
    return ""


def _single_spans(text: str, paragraphs: list[tuple[int, int]], skip: set[int]) -> list[QuoteSpan]:
    spans: list[QuoteSpan] = []
    mark = re.compile("[" + _SINGLE + "]")
    for pi, (lo, hi) in enumerate(paragraphs):
        if pi in skip:
            continue
        found: list[QuoteSpan] = []
        open_at: tuple[int, int] | None = None
        weak: list[int] = []
        for m in mark.finditer(text, lo, hi):
            role = _single_role(text, m.start(), lo, hi)
            if role == "open":
                if open_at is not None:
                    if weak:  # "the workers' pay" was the end after all
                        _add(found, text, open_at, weak[0], weak[0] + 1, closed=True)
                    else:
                        _add(found, text, open_at, m.start(), m.start(), closed=False)
                open_at, weak = (m.start(), m.end()), []
            elif role == "weak" and open_at is not None:
                weak.append(m.start())
            elif role == "close" and open_at is not None:
                _add(found, text, open_at, m.start(), m.end(), closed=True)
                open_at, weak = None, []
        if open_at is not None:
            if weak:
                _add(found, text, open_at, weak[-1], weak[-1] + 1, closed=True)
            else:
                _add(found, text, open_at, hi, hi, closed=False)
        # double marks outside every single quote are still quotes ("nested" ones are not)
        doubles = find_quote_spans_double(text, lo, hi)
        for d in doubles:
            if not any(d.start < s.end and s.start < d.end for s in found):
                found.append(d)
        found.sort(key=lambda s: s.start)
        spans.extend(found)
    return spans


def find_quote_spans_double(text: str, lo: int, hi: int) -> list[QuoteSpan]:
    """Double-mark quotes of one paragraph [lo, hi), paired as in the default style."""
    spans: list[QuoteSpan] = []
    open_at: tuple[int, int] | None = None
    for m in _MARK.finditer(text, lo, hi):
        role = _role(text, m.start(), m.end() - m.start(), lo, hi)
        if role == "open":
            if open_at is not None:
                _add(spans, text, open_at, m.start(), m.start(), closed=False)
            open_at = (m.start(), m.end())
        elif role == "close" and open_at is not None:
            _add(spans, text, open_at, m.start(), m.end(), closed=True)
            open_at = None
    if open_at is not None:
        _add(spans, text, open_at, hi, hi, closed=False)
    return spans


# -- interview layouts: "Q: …" / "A: …" or "NAME: …" paragraphs ----------------------------------

_TURN = re.compile(r"(Q|A|[A-Z][\w'\u2019.-]+(?: [A-Z][\w'\u2019.-]+){0,2})\s?:\s+(?=\S)")
NOT_SPEAKERS = {
    "note",
    "update",
    "updated",
    "editor's note",
    "correction",
    "watch",
    "read",
    "read more",
    "related",
    "photo",
    "photos",
    "source",
    "sources",
    "contact",
    "tags",
    "topics",
    "share",
    "warning",
    "background",
    "analysis",
    "opinion",
    "comment",
    "video",
    "listen",
    "interview",
    "q&a",
    "key points",
    "timeline",
    "what next",
    "why it matters",
    "the bottom line",
    "disclaimer",
    "important",
}


def interview_turns(text: str, paragraphs: list[tuple[int, int]]) -> dict[int, tuple[str, int]]:
    """Paragraph index -> (label, offset where the words start) when the article is laid out as an
    interview: "Q:"/"A:" paragraphs, or the same few names opening paragraphs with a colon, with at
    least one question among them. A label that opens only one paragraph is not a layout (a "Note:"
    line, a dateline), nor are place names heading the entries of a live report ("Kyiv: …")."""
    found: dict[int, tuple[str, int]] = {}
    for pi, (lo, hi) in enumerate(paragraphs):
        m = _TURN.match(text, lo, hi)
        if not m:
            continue
        label = m.group(1).rstrip(".")
        if label.lower().replace("\u2019", "'") in NOT_SPEAKERS or label.isupper() and len(label) > 1:
            continue
        found[pi] = (label, m.end())
    counts: dict[str, int] = {}
    for label, _ in found.values():
        counts[label] = counts.get(label, 0) + 1
    if counts.get("Q", 0) >= 2 and counts.get("A", 0) >= 2:
        return {pi: v for pi, v in found.items() if v[0] in ("Q", "A")}
    named = {pi: v for pi, v in found.items() if v[0] not in ("Q", "A") and counts[v[0]] >= 2}
    labels = {v[0] for v in named.values()}
    asks = any(text[paragraphs[pi][0] : paragraphs[pi][1]].rstrip().endswith("?") for pi in named)
    if len(named) >= 3 and len(labels) <= 3 and asks:
        return named  # an interview: a few names take turns, and someone asks questions
    return {}
