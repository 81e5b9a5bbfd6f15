"""Folding: case-folded, accent-stripped text, and the offset maps back to the original.

Matching runs on folded text so "Zürich" finds "ZURICH", "Straße" finds "strasse" and
"ﬁnance" finds "finance". A folded string can be longer than the original (ß → ss, ﬁ → fi),
so ``fold_with_map`` keeps, for each folded character, the index it came from; spans found
in folded text are mapped back with ``original_span``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator

__all__ = ["find_spans", "fold", "fold_with_map", "original_span"]

_WORD_CHAR = re.compile(r"\w")
WORDS = re.compile(r"\w+")


def _fold_char(c: str) -> str:
    """NFKD, drop combining marks, casefold: repeated because casefold can yield new marks."""
    if c == "\x00":
        return " "  # \x00 separates list items in squashed fields; never let text forge one
    s = c
    for _ in range(3):
        t = "".join(ch for ch in unicodedata.normalize("NFKD", s) if not unicodedata.combining(ch)).casefold()
        if t == s:
            break
        s = t
    return s


class _FoldTable(dict[int, str]):
    """``str.translate`` table filled on first use: only characters actually seen are folded."""

    def __missing__(self, cp: int) -> str:
        v = self[cp] = _fold_char(chr(cp))
        return v


class _SquashTable(dict[int, str]):
    """Like ``_FoldTable`` but every non-word character becomes a space."""

    def __missing__(self, cp: int) -> str:
        v = self[cp] = "".join(ch if _WORD_CHAR.match(ch) else " " for ch in _FOLD[cp])
        return v


_FOLD = _FoldTable()
_SQUASH = _SquashTable()


def fold(text: str) -> str:
    """Lower-case and strip accents, so "Zürich" matches "zurich" (and "Straße" matches "strasse")."""
    return text.translate(_FOLD)


_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


def _squash_run(m: re.Match[str]) -> str:
    return m.group().translate(_SQUASH)


def squash(text: str) -> str:
    """Folded words separated by single spaces: the form substring tests and Aho-Corasick run on."""
    if not text.isascii():
        # Mostly-ASCII text with a few accents: fold the non-ASCII runs first, so the whole
        # string can take str.translate's fast ASCII path (squashed ASCII is a fixed point).
        t = _NON_ASCII.sub(_squash_run, text)
        if not t.isascii():
            return " ".join(text.translate(_SQUASH).split())
        text = t
    return " ".join(text.translate(_SQUASH).split())


def squash_parts(parts: Iterable[str]) -> str:
    """Items padded with spaces and separated by ``\\x00`` so no phrase matches across two items."""
    return " " + " \x00 ".join(squash(p) for p in parts) + " "


def fold_with_map(s: str) -> tuple[str, list[int] | None]:
    """The folded string and, for each of its characters, the index it came from (None: identity).

    The list has one more entry than the folded string: ``len(s)``, the end.
    """
    if s.isascii():
        return s.translate(_FOLD), None
    out: list[str] = []
    starts: list[int] = []
    for i, c in enumerate(s):
        f = _FOLD[ord(c)]
        out.append(f)
        starts.extend([i] * len(f))
    starts.append(len(s))
    return "".join(out), starts


def original_span(starts: list[int] | None, a: int, b: int) -> tuple[int, int]:
    """A non-empty span ``[a, b)`` of folded text as the span of the original characters it came from.

    A match ending inside a character that folded to several ("ss" of "ß") covers all of it,
    and so do the combining marks after its last character (folded to nothing: the accent
    of a decomposed "e\u0301" stays with its letter).
    """
    if starts is None:
        return a, b
    return starts[a], max(starts[b - 1] + 1, starts[b])


def find_spans(regex: re.Pattern[str], folded: str, starts: list[int] | None) -> Iterator[tuple[int, int]]:
    """Every non-empty match of ``regex`` in ``folded``, as spans of the original string."""
    for m in regex.finditer(folded):
        a, b = m.span()
        if b > a:
            yield original_span(starts, a, b)
