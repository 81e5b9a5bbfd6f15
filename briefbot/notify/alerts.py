"""Keyword alerts: one per (watch, story), held in quiet hours, capped per hour."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from .. import failpoints
from ..match import Match, WatchIndex
from ..model import Story, StoryArticle, Watch
from ..render import alert_context, digest_context
from ..store import OutboxMessage, Store
from .outgoing import Outgoing
from .stories import article_doc


def quiet_until(quiet_hours: str | None, timezone: str, now: datetime) -> datetime | None:
    """The end of the quiet period `now` falls in ("22:00-07:00" in the watch's zone), or None."""
    if not quiet_hours:
        return None
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


def check_alerts(
    store: Store, outgoing: Outgoing, watches: Sequence[Watch], now: datetime, *, batch: int = 200
) -> list[str]:
    """Match the watches against every story with a report not yet checked, and queue one alert
    per (watch, story); returns the outbox keys queued.

    Each batch of stories is one durable step: its alert messages, its (watch, story) claims
    and the "checked" mark of the reports it read are committed together
    (``Store.record_alert_check``). So a crash before the commit leaves the reports unchecked
    and the next run (`fetch` or a scheduler tick) checks them; after it, the messages are in
    the outbox and the story never alerts that watch again, whatever outlet or edit brings it
    back.
    """
    keys: list[str] = []
    while True:
        story_ids = store.stories_to_check(batch)
        if not story_ids:
            return keys
        keys += _check_batch(store, outgoing, watches, story_ids, now)


def _check_batch(
    store: Store, outgoing: Outgoing, watches: Sequence[Watch], story_ids: Sequence[int], now: datetime
) -> list[str]:
    reports: dict[int, list[StoryArticle]] = {}
    for a in store.articles(story_ids=story_ids):  # newest report first
        if a.story_id is not None:
            reports.setdefault(a.story_id, []).append(a)
    read = [a.id for arts in reports.values() for a in arts]
    alerting = [w for w in watches if w.alerts]
    if not alerting:
        store.record_alert_check(read, [], [], now)
        return []
    index = WatchIndex({w.name: w.query for w in alerting})
    by_name = {w.name: w for w in alerting}
    already = {w.name: store.alerted_stories(w.name) for w in alerting}
    found: dict[str, list[tuple[Story, StoryArticle, Match]]] = {}
    for sid, arts in reports.items():
        story = Story.of(arts, sid)
        for art in arts:
            for wname, match in index.explain(article_doc(art)).items():
                if sid in already[wname] or any(f[0].id == sid for f in found.get(wname, [])):
                    continue
                found.setdefault(wname, []).append((story, art, match))
    messages: list[OutboxMessage] = []
    claims: list[tuple[str, int, int | None]] = []
    for wname, items in found.items():
        w = by_name[wname]
        hold = quiet_until(w.quiet_hours, w.timezone, now)
        allowed = len(items)
        if w.max_per_hour:
            allowed = max(0, w.max_per_hour - store.count_alerts_since(wname, now - timedelta(hours=1)))
        for story, art, match in items[:allowed]:
            assert story.id is not None
            ctx = alert_context(w.name, w.query, story.to_dict(), match)
            messages += outgoing.messages("alert", ctx, w.to, f"alert:{w.name}:{story.id}", not_before=hold)
            claims.append((w.name, story.id, art.id))
        extra = items[allowed:]
        if extra:
            # over the cap: one summary for the rest, and each story counts as alerted
            summary = digest_context(
                f"{w.name}: {len(extra)} more matching stories this hour",
                [x[0].to_dict() for x in extra],
                since=now - timedelta(hours=1),
                until=now,
                timezone=w.timezone,
            )
            first = min(x[0].id or 0 for x in extra)
            messages += outgoing.messages(
                "digest", summary, w.to, f"alert-summary:{w.name}:{first}", not_before=hold
            )
            claims += [(w.name, story.id, art.id) for story, art, _ in extra if story.id is not None]
    failpoints.hit("alerts:before-commit")
    store.record_alert_check(read, claims, messages, now)
    return [m.key for m in messages]
