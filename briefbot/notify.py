"""Digests and alerts: decide what to send, render it per medium, queue it in the outbox.

The outbox (briefbot.deliver.outbox) does the sending; this module only builds
messages and their idempotency keys, so a retry or a restart queues nothing twice.
"""
from __future__ import annotations

import hashlib
import logging
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import IO, Any

from .brief import story_dict
from .config import Config, DigestConfig
from .errors import BriefbotError
from .match import MatchDoc, WatchIndex, compile_query
from .store import StoredArticle, Store, utcnow
from .store.state import DigestRun, claim_alert, last_digest_run, record_digest_run, stored_watches

log = logging.getLogger(__name__)

FIRST_DIGEST_WINDOW = timedelta(hours=24)


@dataclass
class Watch:
    """A watch from config.yaml or added at run time; `origin` says which."""

    name: str
    query: str
    to: list[str] = field(default_factory=list)
    mode: str = "immediate"
    origin: str = "config"
    created_by: str | None = None
    quiet_hours: str | None = None
    timezone: str = "UTC"
    max_per_hour: int | None = None


def all_watches(cfg: Config, store: Store) -> list[Watch]:
    """Config watches first; a stored watch never shadows a configured one of the same name."""
    out = [Watch(w.name, w.query, list(w.to), w.mode, "config", None, w.quiet_hours, w.timezone, w.max_per_hour)
           for w in cfg.watches]
    names = {w.name for w in out}
    for sw in stored_watches(store):
        if sw.name not in names:
            out.append(Watch(sw.name, sw.query, list(sw.to), sw.mode, "runtime", sw.created_by))
    return out


def message_id(key: str, domain: str = "briefbot.local") -> str:
    """A stable Message-ID from an outbox key (keys hold ':' and '#', which a Message-ID may not)."""
    slug = re.sub(r"[^A-Za-z0-9.-]+", "-", key).strip("-")[:80]
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    return f"<{slug}-{digest}@{domain}>"


def _templates_dir(cfg: Config) -> str | None:
    return str(cfg.resolve_path(cfg.templates_dir)) if cfg.templates_dir else None


def quiet_until(quiet_hours: str | None, timezone: str, now: datetime) -> datetime | None:
    """The end of the quiet period `now` falls in ("22:00-07:00" in the watch's zone), or None."""
    if not quiet_hours:
        return None
    from zoneinfo import ZoneInfo

    start_s, end_s = (p.strip() for p in quiet_hours.split("-"))
    local = now.astimezone(ZoneInfo(timezone))
    sh, sm = map(int, start_s.split(":"))
    eh, em = map(int, end_s.split(":"))
    start = local.replace(hour=sh, minute=sm, second=0, microsecond=0)
    end = local.replace(hour=eh, minute=em, second=0, microsecond=0)
    if start <= end:
        inside = start <= local < end
    else:  # wraps past midnight
        inside = local >= start or local < end
        if local >= start:
            end += timedelta(days=1)
    return end if inside else None


def queue(
    cfg: Config, store: Store, kind: str, ctx: Mapping[str, Any], destinations: Sequence[str], key: str,
    *, out: IO[str] | None = None, not_before: datetime | None = None,
) -> list[str]:
    """Render `ctx` for each destination and put it in the outbox; returns the outbox keys queued.

    `stdout` prints Markdown instead (for `--to stdout` and dry runs).
    """
    from .deliver.outbox import Outbox
    from .render import render_email, render_markdown, render_slack

    outbox = Outbox(store)
    tdir = _templates_dir(cfg)
    keys: list[str] = []
    for dest in destinations:
        dkey = f"{key}:{dest}"
        if dest == "stdout":
            (out or sys.stdout).write(render_markdown(kind, ctx, tdir))
            continue
        if dest.startswith("slack:"):
            messages = render_slack(kind, ctx, tdir)
            outbox.enqueue(dkey, "slack", dest.removeprefix("slack:"), [m.payload() for m in messages],
                           not_before=not_before)
        elif dest.startswith("email:"):
            email = render_email(kind, ctx, tdir)
            addrs = [a.strip() for a in dest.removeprefix("email:").split(",") if a.strip()]
            outbox.enqueue(dkey, "email", ",".join(addrs), {
                "subject": email.subject, "text": email.text, "html": email.html, "to": addrs,
                "message_id": message_id(dkey),
                "list_unsubscribe": cfg.email.list_unsubscribe if cfg.email else None,
            }, not_before=not_before)
        else:
            raise BriefbotError(f"unknown destination {dest!r}", hint="use slack:#channel or email:name@example.com")
        keys.append(dkey)
    return keys


def senders(cfg: Config) -> dict[str, Any]:
    """The outbox's channels, built from the config (none when a section is missing)."""
    from .deliver.outbox import EmailChannel, SlackChannel

    out: dict[str, Any] = {}
    if cfg.slack is not None and (cfg.slack.token or cfg.slack.webhook_url):
        from .deliver.slack import SlackSender

        out["slack"] = SlackChannel(SlackSender.from_config(cfg.slack))
    if cfg.email is not None:
        from .deliver.email import EmailSender

        out["email"] = EmailChannel(EmailSender.from_config(cfg.email))
    return out


def flush(cfg: Config, store: Store) -> Any:
    from .deliver.outbox import Outbox

    return Outbox(store).flush(senders(cfg))


# -- stories of a window ----------------------------------------------------------------
def stories_between(store: Store, since: datetime, until: datetime) -> list[tuple[list[StoredArticle], dict[str, Any]]]:
    """Stories with a report that arrived in [since, until): (articles, story dict)."""
    arts = store.articles(since=since, until=until)
    groups: dict[Any, list[StoredArticle]] = {}
    for a in arts:
        groups.setdefault(("s", a.story_id) if a.story_id is not None else ("a", a.id), []).append(a)
    out = [(g, story_dict(g)) for g in groups.values()]
    out.sort(key=lambda x: x[1]["published"] or "", reverse=True)
    return out


def match_docs(arts: list[StoredArticle]) -> list[MatchDoc]:
    return [MatchDoc.from_article(a.title, a.text, a.sources, a.analysis) for a in arts]


# -- digests ----------------------------------------------------------------------------
@dataclass
class DigestResult:
    name: str
    since: datetime
    until: datetime
    stories: int
    queued: list[str]
    skipped_empty: bool = False


def digest_config(cfg: Config, name: str) -> DigestConfig:
    for d in cfg.digests:
        if d.name == name:
            return d
    known = ", ".join(d.name for d in cfg.digests) or "none configured"
    raise BriefbotError(f"no digest named {name!r} ({known})", hint="digests are listed under `digests:` in the config")


def run_digest(
    cfg: Config, store: Store, name: str, *, now: datetime | None = None, scheduled_for: datetime | None = None,
    to: Sequence[str] | None = None, dry_run: bool = False, out: IO[str] | None = None,
) -> DigestResult:
    """Build the digest for the window since its last run and queue it (or print it on a dry run).

    The window runs from the end of the last run (the last 24 hours on a first run) to
    now. The outbox key uses the scheduled time, so a run retried after a crash queues
    nothing new; the run is recorded only after its messages are queued.
    """
    from .render import digest_context

    d = digest_config(cfg, name)
    now = now or utcnow()
    last = last_digest_run(store, name)
    since = last.window_end if last else now - FIRST_DIGEST_WINDOW
    found = stories_between(store, since, now)
    watches = {w.name: w for w in all_watches(cfg, store)}
    grouped: dict[str | None, list[dict[str, Any]]] | list[dict[str, Any]]
    if d.watches:
        grouped = {}
        for wname in d.watches:
            q = compile_query(watches[wname].query) if wname in watches else None
            grouped[wname] = [s for arts, s in found if q is not None and any(q.matches(doc) for doc in match_docs(arts))]
    else:
        grouped = [s for _, s in found]
    ctx = digest_context(name, grouped, since=since, until=now, timezone=d.timezone)
    count = ctx["counts"]["stories"]
    dests = list(to) if to else list(d.to)
    if dry_run:
        _dry_run(cfg, "digest", ctx, dests, out or sys.stdout)
        return DigestResult(name, since, now, count, [])
    if count == 0 and not d.send_empty:
        record_digest_run(store, DigestRun(name, scheduled_for, since, now, 0))
        return DigestResult(name, since, now, 0, [], skipped_empty=True)
    stamp = (scheduled_for or now).strftime("%Y-%m-%dT%H:%MZ")
    keys = queue(cfg, store, "digest", ctx, dests, f"digest:{name}:{stamp}", out=out)
    if to is None or any(t != "stdout" for t in to):
        record_digest_run(store, DigestRun(name, scheduled_for, since, now, count))
    return DigestResult(name, since, now, count, keys)


def _dry_run(cfg: Config, kind: str, ctx: Mapping[str, Any], dests: Sequence[str], out: IO[str]) -> None:
    """What would be sent, per medium, without queueing or recording anything."""
    import json

    from .render import render_email, render_markdown, render_slack

    tdir = _templates_dir(cfg)
    for dest in dests or ["stdout"]:
        out.write(f"===== {dest} =====\n")
        if dest.startswith("slack:"):
            msgs = render_slack(kind, ctx, tdir)
            out.write(json.dumps([m.payload() for m in msgs], indent=2, ensure_ascii=False) + "\n")
        elif dest.startswith("email:"):
            e = render_email(kind, ctx, tdir)
            out.write(f"Subject: {e.subject}\n\n{e.text}\n----- html -----\n{e.html}\n")
        else:
            out.write(render_markdown(kind, ctx, tdir))


# -- alerts -----------------------------------------------------------------------------
def queue_alerts(cfg: Config, store: Store, story_ids: Sequence[int], *, now: datetime | None = None) -> list[str]:
    """One alert per (watch, story) for immediate watches matching these stories.

    The outbox key is `alert:<watch>:<story>:<destination>`, queued before the alert is
    claimed: a crash in between re-queues the same key (a no-op), and once claimed a
    story never alerts that watch again, whatever outlet or edit brings it back.
    """
    from .render import alert_context, digest_context
    from .store.state import alerted_stories, count_alerts_since

    immediate = [w for w in all_watches(cfg, store) if w.mode == "immediate" and w.to]
    if not immediate or not story_ids:
        return []
    index = WatchIndex({w.name: w.query for w in immediate})
    by_name = {w.name: w for w in immediate}
    wanted = set(story_ids)
    arts = [a for a in store.articles(ids=None, since=(now or utcnow()) - timedelta(days=7))
            if a.story_id in wanted]
    stories: dict[int, list[StoredArticle]] = {}
    for a in arts:
        if a.story_id is not None:
            stories.setdefault(a.story_id, []).append(a)
    already = {w.name: alerted_stories(store, w.name) for w in immediate}
    now = now or utcnow()
    found: dict[str, list[tuple[int, StoredArticle, dict[str, Any], Any]]] = {}
    for sid, group in stories.items():
        story = story_dict(group)
        for art, doc in zip(group, match_docs(group)):
            for wname, match in index.explain(doc).items():
                if sid in already[wname] or any(f[0] == sid for f in found.get(wname, [])):
                    continue
                found.setdefault(wname, []).append((sid, art, story, match))
    keys: list[str] = []
    for wname, items in found.items():
        w = by_name[wname]
        hold = quiet_until(w.quiet_hours, w.timezone, now)
        allowed = len(items)
        if w.max_per_hour:
            allowed = max(0, w.max_per_hour - count_alerts_since(store, wname, now - timedelta(hours=1)))
        for sid, art, story, match in items[:allowed]:
            ctx = alert_context(w.name, w.query, story, match)
            keys += queue(cfg, store, "alert", ctx, w.to, f"alert:{w.name}:{sid}", not_before=hold)
            claim_alert(store, w.name, sid, art.id, now)
        extra = items[allowed:]
        if extra:
            # over the cap: one summary for the rest, and each story counts as alerted
            summary = digest_context(f"{w.name}: {len(extra)} more matching stories this hour",
                                     [x[2] for x in extra], since=now - timedelta(hours=1), until=now,
                                     timezone=w.timezone)
            keys += queue(cfg, store, "digest", summary, w.to, f"alert-summary:{w.name}:{min(x[0] for x in extra)}",
                          not_before=hold)
            for sid, art, _, _ in extra:
                claim_alert(store, w.name, sid, art.id, now)
    return keys
