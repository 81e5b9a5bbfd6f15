"""The document a query runs against, folded and squashed once per field."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .fold import squash, squash_parts

__all__ = ["FIELD_SLOT", "NSLOTS", "SLOT_WHERE", "MatchDoc"]

# Slots of a prepared document. ANY (title or text) is derived, never stored.
TITLE, TEXT, ACTOR, SPEAKER, QUOTE, SOURCE, ANY = range(7)
NSLOTS = 7
FIELD_SLOT: dict[str | None, int] = {
    None: ANY,
    "title": TITLE,
    "actor": ACTOR,
    "speaker": SPEAKER,
    "quote": QUOTE,
    "source": SOURCE,
}
SLOT_WHERE: dict[int, str] = {
    TITLE: "title",
    TEXT: "text",
    ACTOR: "actor",
    SPEAKER: "speaker",
    QUOTE: "quote",
    SOURCE: "source",
}


def _strs(values: Any) -> list[str]:
    return [v for v in (values or []) if isinstance(v, str) and v]


@dataclass
class _Prepared:
    """Per-slot searchable strings of one document: (string, index into actors/quotes/sources)."""

    parts: tuple[list[tuple[str, int]], ...]
    squashed: tuple[str, ...]


@dataclass
class MatchDoc:
    """What a query runs against: an article's title and text, its outlets and its analysis.

    Folding happens once, on first match, and is cached on the object: treat a MatchDoc as
    immutable once it has been matched.
    """

    title: str = ""
    text: str = ""
    source_names: list[str] = field(default_factory=list)
    actors: list[dict[str, Any]] = field(default_factory=list)
    quotes: list[dict[str, Any]] = field(default_factory=list)
    _prep: _Prepared | None = field(default=None, init=False, repr=False, compare=False)

    @classmethod
    def from_article(
        cls,
        title: str | None,
        text: str | None,
        sources: Iterable[str] = (),
        analysis: Mapping[str, Any] | None = None,
    ) -> MatchDoc:
        """From stored article fields; ``analysis`` is the analyser's JSON (actors, quotes, ...) or None."""
        a = analysis or {}
        actors = [x for x in (a.get("actors") or []) if isinstance(x, Mapping)]
        quotes = [x for x in (a.get("quotes") or []) if isinstance(x, Mapping)]
        return cls(
            title or "", text or "", _strs(sources), [dict(x) for x in actors], [dict(x) for x in quotes]
        )

    def prepared(self) -> _Prepared:
        """Fold and squash every field once; every query and the index reuse the result."""
        if self._prep is not None:
            return self._prep
        actor_parts: list[tuple[str, int]] = []
        names_by_key: dict[str, list[str]] = {}
        for i, actor in enumerate(self.actors):
            names = _strs([actor.get("name")]) + _strs(actor.get("aliases"))
            actor_parts.extend((n, i) for n in names)
            for n in names:
                names_by_key.setdefault(squash(n), []).extend(names)
        speaker_parts: list[tuple[str, int]] = []
        quote_parts: list[tuple[str, int]] = []
        for i, q in enumerate(self.quotes):
            speaker = q.get("speaker")
            if isinstance(speaker, str) and speaker:
                # A speaker named by one alias ("Rubio") is also every name of the actor it resolves to.
                seen: list[str] = []
                for n in [speaker] + names_by_key.get(squash(speaker), []):
                    if n not in seen:
                        seen.append(n)
                speaker_parts.extend((n, i) for n in seen)
            text = q.get("text")
            if isinstance(text, str) and text:
                quote_parts.append((text, i))
        parts = (
            [(self.title, 0)],
            [(self.text, 0)],
            actor_parts,
            speaker_parts,
            quote_parts,
            [(s, i) for i, s in enumerate(self.source_names)],
        )
        squashed = tuple(
            (" " + squash(p[0][0]) + " ") if slot in (TITLE, TEXT) else squash_parts(s for s, _ in p)
            for slot, p in enumerate(parts)
        )
        self._prep = _Prepared(parts, squashed)
        return self._prep
