"""Matching stored articles against a query.

This is the foundation's subset of the watch query language: whole-word terms
(case- and accent-insensitive, a trailing ``*`` for prefixes), ``"exact phrases"``,
implicit AND and ``-term`` to exclude. The full language (OR, parentheses,
fields) replaces it behind the same ``compile_query`` call.
"""
from __future__ import annotations

import re
import shlex
import unicodedata
from collections.abc import Callable

from .errors import BriefbotError


class QueryError(BriefbotError):
    """A query could not be parsed; the message says where and what was expected."""


def fold(text: str) -> str:
    """Lower-case and strip accents, so "Zürich" matches "zurich"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _term_regex(term: str) -> re.Pattern[str]:
    prefix = term.endswith("*")
    words = fold(term.rstrip("*")).split()
    body = r"\W+".join(re.escape(w) for w in words)
    return re.compile(r"(?<!\w)" + body + (r"\w*" if prefix else r"(?!\w)"))


def compile_query(query: str | None) -> Callable[[str], bool]:
    """Return a predicate over a document's text; an empty query matches everything."""
    if not query or not query.strip():
        return lambda _text: True
    try:
        parts = shlex.split(query)
    except ValueError as e:
        raise QueryError(f"cannot parse query {query!r}: {e}", hint='close every "quote"') from None
    include: list[re.Pattern[str]] = []
    exclude: list[re.Pattern[str]] = []
    for part in parts:
        if part.startswith("-") and len(part) > 1:
            exclude.append(_term_regex(part[1:]))
        elif part.strip("*"):
            include.append(_term_regex(part))

    def match(text: str) -> bool:
        folded = fold(text)
        return all(p.search(folded) for p in include) and not any(p.search(folded) for p in exclude)

    return match
