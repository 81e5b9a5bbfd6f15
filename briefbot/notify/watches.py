"""Watches: the configured ones and those added at run time, as one type; adding, removing, testing."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..config import Config, WatchConfig
from ..errors import BriefbotError
from ..match import Match, compile_query
from ..model import Destination, Story, Watch, WatchMode
from ..store import Store
from .stories import first_match

_NAME = re.compile(r"^[\w.-]{1,64}$")


def from_config(w: WatchConfig) -> Watch:
    return Watch(
        w.name, w.query, tuple(w.to), w.mode, "config", None, w.quiet_hours, w.timezone, w.max_per_hour
    )


def all_watches(cfg: Config, store: Store) -> list[Watch]:
    """Config watches first; a stored watch never shadows a configured one of the same name."""
    out = [from_config(w) for w in cfg.watches]
    names = {w.name for w in out}
    out += [w for w in store.stored_watches() if w.name not in names]
    return out


def new_watch(
    cfg: Config,
    name: str,
    query: str,
    to: Sequence[str | Destination] = (),
    *,
    digest_only: bool = False,
    created_by: str | None = None,
) -> Watch:
    """Validate a watch to add at run time; the query is parsed first so a typo is refused with its column."""
    if not _NAME.match(name):
        raise BriefbotError(
            f"watch name {name!r} is not valid", hint="use letters, digits, '.', '-' or '_' (64 at most)"
        )
    if any(w.name == name for w in cfg.watches):
        raise BriefbotError(
            f"watch {name!r} is defined in the config file", hint="edit config.yaml to change it"
        )
    compile_query(query)
    try:
        dests = tuple(Destination.parse(d) for d in to)
    except ValueError as e:
        raise BriefbotError(str(e)) from None
    if any(d.kind == "stdout" for d in dests):
        raise BriefbotError(
            "a watch cannot alert to stdout", hint="use slack:#channel or email:name@example.com"
        )
    if any(d.kind == "slack" for d in dests) and cfg.slack is None:
        raise BriefbotError("alerts to Slack need a `slack:` section in the config")
    if any(d.kind == "email" for d in dests) and cfg.email is None:
        raise BriefbotError("alerts by email need an `email:` section in the config")
    mode: WatchMode = "digest" if digest_only or not dests else "immediate"
    return Watch(name, query, dests, mode, "runtime", created_by)


def check_removable(cfg: Config, name: str) -> None:
    if any(w.name == name for w in cfg.watches):
        raise BriefbotError(
            f"watch {name!r} is defined in the config file", hint="edit config.yaml to remove it"
        )


@dataclass
class WatchHit:
    """A stored story a query would have matched, and why."""

    story: Story
    why: Match


def test_query(stories: list[Story], query: str) -> list[WatchHit]:
    """Which of these stories `query` matches, each with the first report that matched and why."""
    q = compile_query(query)
    hits: list[WatchHit] = []
    for story in stories:
        found = first_match(q, story)
        if found is not None:
            hits.append(WatchHit(story, found[1]))
    return hits


QUOTE_SHOWN = 160
SENTENCE_SHOWN = 200


def _clip(text: str, n: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= n else flat[:n] + "…"


@dataclass
class WatchHitView:
    """What `watch test` shows of one hit, the same in the terminal and in Slack (each escapes it)."""

    title: str
    url: str | None
    sources: list[str]
    terms: list[str]
    actor: str | None
    quote: str | None
    speaker: str | None
    sentence: str | None


def hit_view(hit: WatchHit) -> WatchHitView:
    why = hit.why
    actor = why.actor.get("name") if why.actor else None
    quote = why.quote.get("text") if why.quote else None
    speaker = why.quote.get("speaker") if why.quote else None
    return WatchHitView(
        title=hit.story.title,
        url=hit.story.lead.url,
        sources=hit.story.sources,
        terms=list(dict.fromkeys(h.term for h in why.hits)),
        actor=str(actor) if actor else None,
        quote=_clip(str(quote), QUOTE_SHOWN) if quote else None,
        speaker=str(speaker) if speaker else None,
        sentence=_clip(why.sentence, SENTENCE_SHOWN) if why.sentence else None,
    )
