"""Why a document matches: every hit of the satisfied terms, as spans of the original strings."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .doc import ANY, FIELD_SLOT, SLOT_WHERE, TEXT, TITLE, MatchDoc
from .fold import find_spans, fold_with_map
from .tree import And, Node, Not, Term

__all__ = ["Hit", "Match", "explain"]


@dataclass(frozen=True)
class Hit:
    """One occurrence of a query term, as a span of an original (unfolded) string."""

    term: str  # the term as written, with its field: ``title:strike*``
    where: str  # title | text | actor | speaker | quote | source
    index: int  # which actor / quote / source name (0 for title and text)
    value: str  # the string searched: the title, the text, an actor's name or alias, a speaker, ...
    start: int
    end: int

    @property
    def text(self) -> str:
        return self.value[self.start : self.end]


def merge_spans(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted, with overlapping or touching spans merged into one."""
    merged: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return merged


@dataclass(frozen=True)
class Match:
    """Why a document matched: every hit of the satisfied terms, and what to show for context."""

    hits: tuple[Hit, ...]
    actor: dict[str, Any] | None = None  # the first actor an actor: term matched
    quote: dict[str, Any] | None = None  # the first quote a speaker: or quote: term matched
    sentence: str | None = None  # the sentence of the text holding the first hit in the text

    def spans(self, where: str = "text") -> list[tuple[int, int]]:
        """Sorted, merged (start, end) spans in the title or text, ready for highlighting."""
        return merge_spans([(h.start, h.end) for h in self.hits if h.where == where])


_SENTENCE_BREAK = re.compile(
    r'(?:(?<=[.!?])|(?<=[.!?]["\u201d\u2019)]))\s+(?=["\u201c\u2018(]?[A-Z0-9])|\n\s*'
)


def _sentence_at(text: str, pos: int) -> str:
    start, end = 0, len(text)
    for m in _SENTENCE_BREAK.finditer(text):
        if m.end() <= pos:
            start = m.end()
        elif m.start() >= pos:
            end = m.start()
            break
    return text[start:end].strip()


class _Explainer:
    """Folds a document's strings (with offset maps) on demand and runs term regexes over them."""

    def __init__(self, doc: MatchDoc) -> None:
        self.doc = doc
        self.prep = doc.prepared()
        self.folded: dict[int, list[tuple[str, int, str, list[int] | None]]] = {}

    def slot(self, slot: int) -> list[tuple[str, int, str, list[int] | None]]:
        if slot not in self.folded:
            self.folded[slot] = [(s, i, *fold_with_map(s)) for s, i in self.prep.parts[slot]]
        return self.folded[slot]

    def term(self, t: Term) -> list[Hit]:
        slot = FIELD_SLOT[t.field]
        hits: list[Hit] = []
        for sl in (TITLE, TEXT) if slot == ANY else (slot,):
            for value, index, folded, starts in self.slot(sl):
                for a, b in find_spans(t.regex, folded, starts):
                    hits.append(Hit(str(t), SLOT_WHERE[sl], index, value, a, b))
        return hits

    def run(self, node: Node) -> tuple[bool, list[Hit]]:
        if isinstance(node, Term):
            hits = self.term(node)
            return bool(hits), hits
        if isinstance(node, Not):
            ok, _ = self.run(node.child)
            return not ok, []
        if isinstance(node, And):
            out: list[Hit] = []
            for c in node.children:
                ok, hits = self.run(c)
                if not ok:
                    return False, []
                out.extend(hits)
            return True, out
        any_ok, out = False, []
        for c in node.children:
            ok, hits = self.run(c)
            if ok:
                any_ok = True
                out.extend(hits)
        return any_ok, out


_WHERE_ORDER = {"title": 0, "text": 1, "actor": 2, "speaker": 3, "quote": 4, "source": 5}


def explain(root: Node | None, doc: MatchDoc) -> Match | None:
    """Why the document matches the query tree (terms and spans, actor, quote, sentence), or None."""
    if root is None:
        return Match(())
    ok, hits = _Explainer(doc).run(root)
    if not ok:
        return None
    hits.sort(key=lambda h: (_WHERE_ORDER[h.where], h.index, h.start, h.end))
    uniq = tuple(dict.fromkeys(hits))
    actor = next((doc.actors[h.index] for h in uniq if h.where == "actor"), None)
    quote = next((doc.quotes[h.index] for h in uniq if h.where in ("speaker", "quote")), None)
    first_text = next((h for h in uniq if h.where == "text"), None)
    sentence = _sentence_at(doc.text, first_text.start) if first_text else None
    return Match(uniq, actor, quote, sentence)
