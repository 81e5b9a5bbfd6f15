"""Scheduled digests: the stories since the last run, grouped by watch when the digest names some."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import IO, Any

from ..config import Config, DigestConfig
from ..errors import BriefbotError
from ..match import compile_query
from ..model import Destination, Watch
from ..render import digest_context
from ..store import DigestRun, Store
from .outgoing import Outgoing
from .stories import stories_between, story_matches

FIRST_DIGEST_WINDOW = timedelta(hours=24)


@dataclass
class DigestResult:
    name: str
    since: datetime
    until: datetime
    stories: int
    queued: list[str] = field(default_factory=list)
    skipped_empty: bool = False
    already_sent: bool = False  # another instance ran this occurrence first; nothing queued here


def digest_config(cfg: Config, name: str) -> DigestConfig:
    for d in cfg.digests:
        if d.name == name:
            return d
    known = ", ".join(d.name for d in cfg.digests) or "none configured"
    raise BriefbotError(
        f"no digest named {name!r} ({known})", hint="digests are listed under `digests:` in the config"
    )


def run_digest(
    store: Store,
    outgoing: Outgoing,
    d: DigestConfig,
    watches: Sequence[Watch],
    *,
    now: datetime,
    scheduled_for: datetime | None = None,
    to: Sequence[Destination] | None = None,
    dry_run: bool = False,
    out: IO[str] | None = None,
) -> DigestResult:
    """Build the digest for the window since its last run and queue it (or print it on a dry run).

    The window runs from the end of the last run (the last 24 hours on a first run) to
    now. The outbox key uses the scheduled time, so a run retried after a crash queues
    nothing new; the run is recorded only after its messages are queued.
    """
    name = d.name
    if not dry_run and scheduled_for is not None and store.digest_run_exists(name, scheduled_for):
        # claimed before rendering: another instance ran this occurrence already
        return DigestResult(name, now, now, 0, already_sent=True)
    last = store.last_digest_run(name)
    since = last.window_end if last else now - FIRST_DIGEST_WINDOW
    found = stories_between(store, since, now)
    by_name = {w.name: w for w in watches}
    grouped: dict[str | None, list[dict[str, Any]]] | list[dict[str, Any]]
    if d.watches:
        grouped = {}
        for wname in d.watches:
            w = by_name.get(wname)
            q = compile_query(w.query) if w is not None else None
            grouped[wname] = [s.to_dict() for s in found if q is not None and story_matches(q, s)]
    else:
        grouped = [s.to_dict() for s in found]
    ctx = digest_context(name, grouped, since=since, until=now, timezone=d.timezone)
    count = ctx["counts"]["stories"]
    dests = list(to) if to else list(d.to)
    if dry_run:
        outgoing.preview("digest", ctx, dests, out or sys.stdout)
        return DigestResult(name, since, now, count)
    if count == 0 and not d.send_empty:
        if not store.record_digest_run(DigestRun(name, scheduled_for, since, now, 0)):
            return DigestResult(name, since, now, 0, already_sent=True)
        return DigestResult(name, since, now, 0, skipped_empty=True)
    stamp = (scheduled_for or now).strftime("%Y-%m-%dT%H:%MZ")
    messages = outgoing.messages("digest", ctx, dests, f"digest:{name}:{stamp}", out=out)
    if to is None or any(t.kind != "stdout" for t in dests):
        # the run and its messages in one transaction (see Store.record_digest_run); an
        # instance that recorded this occurrence first wins, and this one queues nothing
        if not store.record_digest_run(DigestRun(name, scheduled_for, since, now, count), messages, now):
            return DigestResult(name, since, now, count, already_sent=True)
    return DigestResult(name, since, now, count, [m.key for m in messages])
