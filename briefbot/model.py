"""The data that passes between stages, typed once.

Every stage reads and writes these types instead of dicts and prefixed strings: ingest
produces ``ArticleText``; the analyser's results are ``briefbot.analyse.results``
(``Analysis`` with ``Actor``, ``Quote``, ``Position``); the store returns ``Watch`` and
``Story``; destinations are parsed into ``Destination`` when the config is loaded.
Templates never see these objects, only the plain views ``Story.to_dict`` builds.

Nothing here imports a stage, so every stage may import this module.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from .analyse.results import Actor, Analysis, Position, Quote

__all__ = [
    "ArticleText",
    "Destination",
    "DestinationKind",
    "Story",
    "StoryArticle",
    "Watch",
    "WatchMode",
    "WatchOrigin",
]


# -- articles as the analyser receives them ------------------------------------------------


@dataclass
class ArticleText:
    """One article as the analyser receives it: an optional headline and the body text."""

    title: str | None
    body: str
    url: str | None = None
    published: datetime | None = None
    input: str | None = None


# -- destinations ----------------------------------------------------------------------------

DestinationKind = Literal["slack", "email", "stdout"]

# slack:#name, slack:C0123ABCD (a channel id), slack:webhook; email:a@x or email:a@x,b@y (one message)
_SLACK_TARGET = re.compile(r"^(#[\w.-]+|[CGD][A-Z0-9]+|webhook)$")
_EMAIL = re.compile(r"^[^@\s,]+@[^@\s,]+$")
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]+$")


@dataclass(frozen=True, order=True)
class Destination:
    """Where a message goes, parsed once from ``slack:#alerts`` or ``email:a@x,b@y``.

    ``str()`` gives the configured spelling back, which is also the outbox key's suffix.
    """

    kind: DestinationKind
    target: str = ""

    @classmethod
    def parse(cls, text: str | Destination) -> Destination:
        """Parse a destination; ValueError says what a valid one looks like."""
        if isinstance(text, Destination):
            return text
        value = str(text).strip()
        if value == "stdout":
            return cls("stdout", "")
        kind, sep, target = value.partition(":")
        if sep and kind == "slack" and _SLACK_TARGET.match(target):
            return cls("slack", target)
        if sep and kind == "email":
            addrs = [a.strip() for a in target.split(",")]
            if addrs and all(_EMAIL.match(a) for a in addrs):
                return cls("email", ",".join(addrs))
        raise ValueError(f"{value!r} is not a destination; expected slack:#channel or email:name@example.com")

    @property
    def addresses(self) -> list[str]:
        """The email addresses of an ``email:`` destination (one message to all of them)."""
        return [a for a in self.target.split(",") if a] if self.kind == "email" else []

    @property
    def is_channel_id(self) -> bool:
        return self.kind == "slack" and bool(_CHANNEL_ID.match(self.target))

    def __str__(self) -> str:
        return "stdout" if self.kind == "stdout" else f"{self.kind}:{self.target}"


# -- watches ---------------------------------------------------------------------------------

WatchMode = Literal["immediate", "digest"]
WatchOrigin = Literal["config", "runtime"]


@dataclass(frozen=True)
class Watch:
    """A watch from config.yaml or added at run time (``origin`` says which): one type for both."""

    name: str
    query: str
    to: tuple[Destination, ...] = ()
    mode: WatchMode = "immediate"
    origin: WatchOrigin = "config"
    created_by: str | None = None
    quiet_hours: str | None = None
    timezone: str = "UTC"
    max_per_hour: int | None = None
    created_at: datetime | None = None

    @property
    def alerts(self) -> bool:
        """Whether it sends instant alerts (a digest-only watch, or one with nowhere to send, does not)."""
        return self.mode == "immediate" and bool(self.to)


# -- stories ---------------------------------------------------------------------------------


@dataclass
class StoryArticle:
    """One stored report, as stories, matching and briefs need it."""

    id: int
    key: str
    url: str | None
    title: str | None
    text: str
    text_full: bool
    published: datetime | None
    first_seen: datetime
    sources: list[str] = field(default_factory=list)
    analysis: Analysis | None = None
    story_id: int | None = None
    story_reason: dict[str, Any] | None = None  # why it joined its story (None: it started it)

    @property
    def when(self) -> datetime:
        """When it happened as far as briefbot can tell: published, else first seen."""
        return self.published or self.first_seen


def _iso(dt: datetime | None) -> str | None:
    return dt.isoformat(timespec="seconds") if dt else None


_SENTENCE_END = re.compile(r'(?<=[.!?])["\u201d\u2019]?\s+(?=["\u201c\u2018]?[A-Z0-9])')


def first_sentences(text: str, n: int = 3) -> list[str]:
    """A fallback summary for articles the analyser has not seen yet."""
    flat = re.sub(r"\s+", " ", text).strip()
    return [s for s in _SENTENCE_END.split(flat) if s][:n]


def _norm(text: str) -> str:
    return re.sub(r"\W+", " ", text.casefold()).strip()


@dataclass
class Story:
    """One event, however many outlets carried it: its reports (the earliest is the lead)
    and their analyses merged. ``id`` is None for an article not yet grouped."""

    id: int | None
    articles: list[StoryArticle]
    actors: list[Actor] = field(default_factory=list)
    quotes: list[Quote] = field(default_factory=list)
    positions: list[Position] = field(default_factory=list)

    @classmethod
    def of(cls, articles: Sequence[StoryArticle], story_id: int | None = None) -> Story:
        """Order the reports and merge their analyses (lead report first)."""
        arts = sorted(articles, key=lambda a: (a.when, a.id))
        story = cls(story_id if story_id is not None else arts[0].story_id, arts)
        story._merge([a.analysis for a in arts if a.analysis is not None])
        return story

    @property
    def lead(self) -> StoryArticle:
        return self.articles[0]

    @property
    def title(self) -> str:
        return self.lead.title or "(untitled)"

    @property
    def published(self) -> datetime:
        return self.lead.when

    @property
    def sources(self) -> list[str]:
        return list(dict.fromkeys(s for a in self.articles for s in a.sources))

    @property
    def key_points(self) -> list[str]:
        lead = self.lead
        if lead.analysis is not None and lead.analysis.key_points:
            return list(lead.analysis.key_points)
        return first_sentences(lead.text)

    def _merge(self, analyses: list[Analysis]) -> None:
        """Actors merge on their name (or an alias of one already seen): mentions add up, the
        first role found is kept, aliases are united. Quotes and positions are kept once."""
        from dataclasses import replace

        by_name: dict[str, Actor] = {}
        seen_quotes: set[str] = set()
        seen_positions: set[tuple[str, str]] = set()
        for an in analyses:
            for a in an.actors:
                names = [a.name, *a.aliases]
                known = next((by_name[_norm(n)] for n in names if n and _norm(n) in by_name), None)
                if known is None:
                    known = replace(a, aliases=list(a.aliases))
                    self.actors.append(known)
                else:
                    known.mentions += a.mentions
                    known.role = known.role or a.role
                    for alias in names:
                        if alias and alias != known.name and alias not in known.aliases:
                            known.aliases.append(alias)
                for n in [known.name, *known.aliases]:
                    by_name.setdefault(_norm(n), known)
            for q in an.quotes:
                key = _norm(q.text)
                if key and key not in seen_quotes:
                    seen_quotes.add(key)
                    self.quotes.append(q)
            for p in an.positions:
                pkey = (_norm(p.holder), _norm(p.statement))
                if pkey not in seen_positions:
                    seen_positions.add(pkey)
                    self.positions.append(p)
        if len(analyses) > 1:
            self.actors.sort(key=lambda a: -a.mentions)

    def to_dict(self) -> dict[str, Any]:
        """The brief's JSON shape (README), which is also the view every template renders."""
        from dataclasses import asdict

        return {
            "id": self.id,
            "title": self.title,
            "url": self.lead.url,
            "published": _iso(self.published),
            "sources": self.sources,
            "articles": [
                {
                    "title": a.title,
                    "url": a.url,
                    "source": a.sources[0] if a.sources else None,
                    "published": _iso(a.when),
                    "full_text": a.text_full,
                    "joined": a.story_reason,
                }
                for a in self.articles
            ],
            "key_points": self.key_points,
            "actors": [asdict(a) for a in self.actors],
            "quotes": [asdict(q) for q in self.quotes],
            "positions": [asdict(p) for p in self.positions],
        }
