"""Keyword alerts: one per (watch, story), held in quiet hours, capped per hour."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from ..match import Match, WatchIndex
from ..model import Story, StoryArticle, Watch
from ..render import alert_context, digest_context
from ..store import Store
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


def queue_alerts(
    store: Store, outgoing: Outgoing, watches: Sequence[Watch], story_ids: Sequence[int], now: datetime
) -> list[str]:
    """One alert per (watch, story) for alerting watches matching these stories; returns outbox keys.

    The outbox key is `alert:<watch>:<story>:<destination>`, queued before the alert is
    claimed: a crash in between re-queues the same key (a no-op), and once claimed a
    story never alerts that watch again, whatever outlet or edit brings it back.
    """
    alerting = [w for w in watches if w.alerts]
    if not alerting or not story_ids:
        return []
    index = WatchIndex({w.name: w.query for w in alerting})
    by_name = {w.name: w for w in alerting}
    reports: dict[int, list[StoryArticle]] = {}
    for a in store.articles(story_ids=sorted(set(story_ids))):  # newest report first
        if a.story_id is not None:
            reports.setdefault(a.story_id, []).append(a)
    already = {w.name: store.alerted_stories(w.name) for w in alerting}
    found: dict[str, list[tuple[Story, StoryArticle, Match]]] = {}
    for sid, arts in reports.items():
        story = Story.of(arts, sid)
        for art in arts:
            for wname, match in index.explain(article_doc(art)).items():
                if sid in already[wname] or any(f[0].id == sid for f in found.get(wname, [])):
                    continue
                found.setdefault(wname, []).append((story, art, match))
    keys: list[str] = []
    for wname, items in found.items():
        w = by_name[wname]
        hold = quiet_until(w.quiet_hours, w.timezone, now)
        allowed = len(items)
        if w.max_per_hour:
            allowed = max(0, w.max_per_hour - store.count_alerts_since(wname, now - timedelta(hours=1)))
        for story, art, match in items[:allowed]:
            assert story.id is not None
            ctx = alert_context(w.name, w.query, story.to_dict(), match)
            keys += outgoing.queue("alert", ctx, w.to, f"alert:{w.name}:{story.id}", not_before=hold)
            store.claim_alert(w.name, story.id, art.id, now)
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
            keys += outgoing.queue(
                "digest", summary, w.to, f"alert-summary:{w.name}:{first}", not_before=hold
            )
            for story, art, _ in extra:
                assert story.id is not None
                store.claim_alert(w.name, story.id, art.id, now)
    return keys
