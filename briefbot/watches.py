"""Managing watches at run time, the same for the CLI and the Slack command."""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from .config import Config, WatchConfig
from .errors import BriefbotError
from .match import compile_query
from .notify import Watch, all_watches, stories_between, match_docs
from .store import Store, utcnow
from .store.state import StoredWatch, add_watch, remove_watch

_NAME = re.compile(r"^[\w.-]{1,64}$")


def list_watches(cfg: Config, store: Store) -> list[Watch]:
    return all_watches(cfg, store)


def add(
    cfg: Config, store: Store, name: str, query: str, to: Sequence[str] = (), *, digest_only: bool = False,
    created_by: str | None = None,
) -> Watch:
    """Validate and store a watch; the query is parsed first so a typo is refused with its column."""
    if not _NAME.match(name):
        raise BriefbotError(f"watch name {name!r} is not valid", hint="use letters, digits, '.', '-' or '_' (64 at most)")
    if any(w.name == name for w in cfg.watches):
        raise BriefbotError(f"watch {name!r} is defined in the config file", hint="edit config.yaml to change it")
    compile_query(query)
    dests = list(to)
    WatchConfig(name=name, query=query, to=dests, max_per_hour=None)  # same destination rules as the config
    if dests and any(d.startswith("slack:") for d in dests) and cfg.slack is None:
        raise BriefbotError("alerts to Slack need a `slack:` section in the config")
    if dests and any(d.startswith("email:") for d in dests) and cfg.email is None:
        raise BriefbotError("alerts by email need an `email:` section in the config")
    mode = "digest" if digest_only or not dests else "immediate"
    add_watch(store, StoredWatch(name, query, dests, mode, created_by))
    return Watch(name, query, dests, mode, "runtime", created_by)


def remove(cfg: Config, store: Store, name: str) -> None:
    if any(w.name == name for w in cfg.watches):
        raise BriefbotError(f"watch {name!r} is defined in the config file", hint="edit config.yaml to remove it")
    if not remove_watch(store, name):
        raise BriefbotError(f"no watch named {name!r}", hint="`briefbot watch list` shows them")


@dataclass
class TestHit:
    story: dict[str, Any]
    why: Any  # briefbot.match.Match


def test(store: Store, query: str, since: timedelta, now: datetime | None = None) -> list[TestHit]:
    """Which stored stories would have matched `query`, and why."""
    q = compile_query(query)
    now = now or utcnow()
    hits = []
    for arts, story in stories_between(store, now - since, now):
        for doc in match_docs(arts):
            m = q.explain(doc)
            if m is not None:
                hits.append(TestHit(story, m))
                break
    return hits
