"""Plain result types: what the analyser returns and what the store keeps as JSON."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from ..dates import parse_date


@dataclass
class Actor:
    name: str
    kind: str  # person | organization | place | group
    role: str | None = None
    aliases: list[str] = field(default_factory=list)
    mentions: int = 0
    roles: list[str] = field(default_factory=list)
    quotes: int = 0
    salience: float = 0.0


@dataclass
class Quote:
    text: str
    speaker: str | None
    speaker_kind: str | None = None
    partial: bool = False
    paragraph: int | None = None
    pieces: list[str] = field(default_factory=list)  # the quoted pieces one statement was printed in


@dataclass
class Position:
    holder: str
    statement: str
    holder_kind: str | None = None
    verb: str | None = None


@dataclass
class Analysis:
    """One article's analysis; ``to_dict`` gives the documented JSON schema."""

    input: str | None
    title: str | None
    url: str | None
    published: datetime | None
    key_points: list[str] = field(default_factory=list)
    actors: list[Actor] = field(default_factory=list)
    quotes: list[Quote] = field(default_factory=list)
    positions: list[Position] = field(default_factory=list)
    dateline: str | None = None
    words: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "input": self.input,
            "title": self.title,
            "url": self.url,
            "published": self.published.isoformat() if self.published else None,
            "key_points": list(self.key_points),
            "actors": [asdict(a) for a in self.actors],
            "quotes": [asdict(q) for q in self.quotes],
            "positions": [asdict(p) for p in self.positions],
            "dateline": self.dateline,
            "words": self.words,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Analysis:
        def pick(klass: Any, item: dict[str, Any]) -> Any:
            names = klass.__dataclass_fields__
            return klass(**{k: v for k, v in item.items() if k in names})

        published = d.get("published")
        return cls(
            input=d.get("input"),
            title=d.get("title"),
            url=d.get("url"),
            published=parse_date(published) if isinstance(published, str) else published,
            key_points=list(d.get("key_points") or []),
            actors=[pick(Actor, a) for a in d.get("actors") or []],
            quotes=[pick(Quote, q) for q in d.get("quotes") or []],
            positions=[pick(Position, p) for p in d.get("positions") or []],
            dateline=d.get("dateline"),
            words=int(d.get("words") or 0),
        )
