"""Matching one document against many watches with one Aho-Corasick pass over its fields."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import ahocorasick

from .doc import ACTOR, ANY, FIELD_SLOT, NSLOTS, QUOTE, SOURCE, SPEAKER, TEXT, TITLE, MatchDoc
from .explain import Match
from .query import CompiledQuery, QueryError, compile_query
from .tree import And, Node, Not, Or, Term

__all__ = ["WatchIndex"]

_HitEval = Callable[[set[int]], bool]
_SCAN_SLOTS = (TITLE, TEXT, ACTOR, SPEAKER, QUOTE, SOURCE)
# How much a hit in a slot narrows things down: titles, actors, speakers are short, hence rarer.
_SLOT_RARITY = {TITLE: 0.3, TEXT: 1.0, ANY: 1.0, ACTOR: 0.5, SPEAKER: 0.3, QUOTE: 0.5, SOURCE: 1.0}


class WatchIndex:
    """Match one document against many watches with one Aho-Corasick pass over its fields.

    Each watch gets an *anchor*: a set of (field, key) pairs one of which must be present for
    the watch to match (a term; the cheapest child of an AND; the union of an OR). Watches
    whose anchor is hit are evaluated exactly on the set of keys found; watches with no
    anchor (pure NOT, an empty query) are evaluated for every document.
    """

    def __init__(
        self,
        queries: Mapping[str, str | CompiledQuery | None],
        sample: Iterable[MatchDoc] = (),
    ) -> None:
        """Compile every watch (QueryError names the bad one) and index them.

        ``sample``: recent articles, optional. Anchors are then chosen by how often each key
        actually appears in them, rather than guessed from word length; this only changes
        speed, never the answers.
        """
        self.names: list[str] = list(queries)
        self.queries: dict[str, CompiledQuery] = {}
        for name, q in queries.items():
            if isinstance(q, CompiledQuery):
                self.queries[name] = q
                continue
            try:
                self.queries[name] = compile_query(q)
            except QueryError as e:
                raise QueryError(f"watch {name!r}: {e.message}", hint=e.hint, column=e.column) from None
        self._key_ids: dict[str, int] = {}
        refs: dict[int, int] = {}
        for cq in self.queries.values():
            for t in cq.terms():
                pid = self._pid(t)
                refs[pid] = refs.get(pid, 0) + 1
        self._key_ids_rev = {v: k for k, v in self._key_ids.items()}
        self._automaton: Any = None
        if self._key_ids:
            self._automaton = ahocorasick.Automaton()
            for key, kid in self._key_ids.items():
                self._automaton.add_word(key, kid * NSLOTS)
            self._automaton.make_automaton()
        seen: dict[int, int] = {}
        n_sample = 0
        for doc in sample:
            n_sample += 1
            for pid in self.present(doc):
                seen[pid] = seen.get(pid, 0) + 1
        costs: dict[int, float] = {}

        def cost(pid: int) -> float:
            if pid not in costs:
                guess = self._guess(pid, refs)
                # observed share of documents, the guess only breaking ties and filling gaps
                costs[pid] = (seen.get(pid, 0) + guess) / (n_sample + 1) if n_sample else guess
            return costs[pid]

        self._evals: list[_HitEval | None] = []  # None: anchor hit means match
        self._always: list[int] = []  # evaluated for every document
        self._match_all: list[int] = []
        postings: dict[int, list[int]] = {}
        for wi, name in enumerate(self.names):
            root = self.queries[name].root
            if root is None:
                self._match_all.append(wi)
                self._evals.append(None)
                continue
            anchor = self._anchor(root, cost)
            exact = _is_positive_or(root)
            self._evals.append(None if exact and anchor is not None else self._compile(root))
            if anchor is None:
                self._always.append(wi)
            else:
                for pid in anchor:
                    postings.setdefault(pid, []).append(wi)
        self._postings = postings

    def _pid(self, t: Term) -> int:
        kid = self._key_ids.setdefault(t.key, len(self._key_ids))
        return kid * NSLOTS + FIELD_SLOT[t.field]

    def _guess(self, pid: int, refs: Mapping[int, int]) -> float:
        """How often the pair may be present, without data: popular with watches, short, a prefix: often."""
        kid, slot = divmod(pid, NSLOTS)
        key = self._key_ids_rev[kid]
        words = key.split()
        length = sum(len(w) for w in words)
        popularity: float = (1 + refs.get(pid, 0)) ** 0.5
        est = min(1.0, 0.05 * popularity * 6 / max(length, 2) * _SLOT_RARITY[slot])
        if len(words) > 1:
            est *= 0.2
        if not key.endswith(" "):
            est = min(1.0, est * 3.0)
        return est

    def _anchor(self, node: Node, cost: Callable[[int], float]) -> frozenset[int] | None:
        """Pairs one of which is present whenever ``node`` matches; None if no such set exists."""
        if isinstance(node, Term):
            return frozenset([self._pid(node)])
        if isinstance(node, Not):
            return None
        subs = [self._anchor(c, cost) for c in node.children]
        if isinstance(node, Or):
            if any(s is None for s in subs):
                return None
            return frozenset().union(*subs)  # type: ignore[arg-type]
        known = [s for s in subs if s is not None]
        if not known:
            return None
        return min(known, key=lambda s: sum(cost(p) for p in s))

    def _compile(self, node: Node) -> _HitEval:
        """A closure testing the node on the set of (field, key) pairs found in a document."""
        if isinstance(node, Term):
            pid = self._pid(node)
            return lambda h: pid in h
        if isinstance(node, Not):
            f = self._compile(node.child)
            return lambda h: not f(h)
        # Terms (and negated terms) of an AND or OR become one C-level set test each.
        pos = frozenset(self._pid(c) for c in node.children if isinstance(c, Term))
        neg = frozenset(
            self._pid(c.child) for c in node.children if isinstance(c, Not) and isinstance(c.child, Term)
        )
        fs = [
            self._compile(c)
            for c in node.children
            if not isinstance(c, Term) and not (isinstance(c, Not) and isinstance(c.child, Term))
        ]
        if isinstance(node, And):
            if not fs:
                return (lambda h: pos <= h and neg.isdisjoint(h)) if neg else pos.issubset
            return lambda h: pos <= h and neg.isdisjoint(h) and all(f(h) for f in fs)
        if not fs and not neg:
            return lambda h: not pos.isdisjoint(h)
        return lambda h: (not pos.isdisjoint(h)) or not neg <= h or any(f(h) for f in fs)

    def present(self, doc: MatchDoc) -> set[int]:
        """The (field, key) pairs present in the document: one automaton pass per non-empty field."""
        found: set[int] = set()
        if self._automaton is None:
            return found
        squashed = doc.prepared().squashed
        it = self._automaton.iter
        for slot in _SCAN_SLOTS:
            s = squashed[slot]
            if len(s) <= 2:
                continue
            base = {v for _, v in it(s)}
            found.update(v + slot for v in base)
            if slot == TITLE or slot == TEXT:
                found.update(v + ANY for v in base)
        return found

    def match(self, doc: MatchDoc) -> list[str]:
        """Names of the watches the document matches, in the order they were given."""
        found = self.present(doc)
        cand: set[int] = set(self._always)
        cand.update(self._match_all)
        postings = self._postings
        for pid in found:
            ws = postings.get(pid)
            if ws is not None:
                cand.update(ws)
        evals, names = self._evals, self.names
        hits = [wi for wi in cand if (f := evals[wi]) is None or f(found)]
        hits.sort()
        return [names[wi] for wi in hits]

    def explain(self, doc: MatchDoc) -> dict[str, Match]:
        """For each watch the document matches, why (see ``CompiledQuery.explain``)."""
        out: dict[str, Match] = {}
        for name in self.match(doc):
            m = self.queries[name].explain(doc)
            if m is not None:
                out[name] = m
        return out

    def stats(self) -> dict[str, int]:
        """Sizes, for logs and the benchmark."""
        return {
            "watches": len(self.names),
            "keys": len(self._key_ids),
            "always_evaluated": len(self._always),
            "match_all": len(self._match_all),
        }

    def __len__(self) -> int:
        return len(self.names)


def _is_positive_or(node: Node) -> bool:
    """A term or an OR of terms: its anchor being present is the match itself."""
    if isinstance(node, Term):
        return True
    return isinstance(node, Or) and all(isinstance(c, Term) for c in node.children)
