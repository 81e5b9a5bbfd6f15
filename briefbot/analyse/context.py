"""Per-article working state shared by the analysis stages (built once from one spaCy Doc).

Every stage reads the same Doc, quote spans and actor table instead of re-running the
pipeline or re-scanning the text, which keeps analysis close to plain spaCy speed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .quotemarks import QuoteSpan
from .text import Prepared


@dataclass
class Mention:
    """One surface mention of an entity, in token offsets of the Doc."""

    start: int
    end: int
    text: str
    label: str  # person | organization | place | group (the tagger's view of this mention)
    sent: int
    para: int
    in_quote: bool = False
    possessive: bool = False
    had_the: bool = False
    subject: bool = False
    actor: int = -1
    title: str | None = None  # honorific/title words the tagger glued on, e.g. "President"


@dataclass
class ActorInfo:
    """An entity consolidated over its mentions."""

    name: str
    kind: str
    mentions: list[int] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    descriptors: set[str] = field(default_factory=set)  # head nouns of its roles, for "the spokesperson said"
    gender: str | None = None
    age: int | None = None
    first_token: int = 0
    quotes: int = 0
    positions: int = 0

    @property
    def count(self) -> int:
        return len(self.mentions)


@dataclass
class Context:
    """Everything the stages share about one article."""

    doc: Any
    prep: Prepared
    quotes: list[QuoteSpan]
    tok_quote: list[int]  # index into quotes for tokens inside a quoted passage, else -1
    tok_sent: list[int]
    tok_para: list[int]
    sents: list[Any]
    mentions: list[Mention] = field(default_factory=list)
    tok_mention: dict[int, int] = field(default_factory=dict)
    actors: list[ActorInfo] = field(default_factory=list)
    partial: list[bool] = field(default_factory=list)  # per quote span: a fragment inside a sentence
    turns: dict[int, str] = field(default_factory=dict)  # interview layout: paragraph -> "Q", "A" or a name

    @classmethod
    def build(cls, doc: Any, prep: Prepared, quotes: list[QuoteSpan]) -> Context:
        n = len(doc)
        tok_quote = [-1] * n
        if quotes:
            qi = 0
            for tok in doc:
                while qi < len(quotes) and quotes[qi].end <= tok.idx:
                    qi += 1
                if qi < len(quotes) and quotes[qi].inner_start <= tok.idx < quotes[qi].inner_end:
                    tok_quote[tok.i] = qi
        sents = list(doc.sents)
        tok_sent = [0] * n
        for si, s in enumerate(sents):
            for i in range(s.start, s.end):
                tok_sent[i] = si
        tok_para = [0] * n
        pars = prep.paragraphs
        pi = 0
        for tok in doc:
            while pi + 1 < len(pars) and pars[pi + 1].start <= tok.idx:
                pi += 1
            tok_para[tok.i] = pi
        return cls(
            doc=doc,
            prep=prep,
            quotes=quotes,
            tok_quote=tok_quote,
            tok_sent=tok_sent,
            tok_para=tok_para,
            sents=sents,
        )

    _sent_ents: list[list[Any]] | None = None

    def sent_ents(self, si: int) -> list[Any]:
        """Entities of sentence ``si`` (Span.ents rescans the whole Doc on every call)."""
        if self._sent_ents is None:
            buckets: list[list[Any]] = [[] for _ in self.sents]
            for e in self.doc.ents:
                buckets[self.tok_sent[e.start]].append(e)
            self._sent_ents = buckets
        return self._sent_ents[si]

    def actor_of_token(self, i: int) -> int:
        m = self.tok_mention.get(i)
        return self.mentions[m].actor if m is not None else -1

    def actors_in(self, lo: int, hi: int) -> list[int]:
        """Actor indices mentioned in tokens [lo, hi), in text order, without repeats."""
        out: list[int] = []
        for i in range(lo, hi):
            a = self.actor_of_token(i)
            if a >= 0 and a not in out:
                out.append(a)
        return out
