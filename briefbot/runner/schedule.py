"""Digest schedules: "mon-fri 07:30", "daily 18:00" or a cron expression, in an IANA time zone.

APScheduler's CronTrigger does the calendar arithmetic (DST included); this module
turns our schedule strings into triggers and answers the two questions the
scheduler needs that APScheduler 3 does not: when did this digest last fall due,
and is a missed run still worth sending.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from ..errors import ConfigError

_SIMPLE = re.compile(
    r"^(?:(?P<days>daily|weekdays|weekends|[a-z]{3}(?:\s*[-,]\s*[a-z]{3})*)\s+)?(?P<hh>\d{1,2}):(?P<mm>\d{2})$",
    re.I,
)
_DAY_ALIASES = {"daily": "*", "weekdays": "mon-fri", "weekends": "sat,sun"}


class DigestTrigger(CronTrigger):  # type: ignore[misc]  # APScheduler 3 ships no type information
    """A CronTrigger that fires once when clocks fall back.

    APScheduler 3 fires a 01:30 schedule twice on the night the hour repeats (fold 0
    and fold 1), and computing from a fold-1 time can return that same time again.
    A digest must go out once: skip the repeated wall-clock time, and compute in UTC.
    """

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime | None:
        now = now.astimezone(UTC)
        for _ in range(4):
            t: datetime | None = super().get_next_fire_time(None, now)
            if t is None or not getattr(t, "fold", 0):
                return t
            now = t.astimezone(UTC) + timedelta(seconds=1)
        return None

    @classmethod
    def from_crontab(cls, expr: str, timezone: Any = None) -> DigestTrigger:
        minute, hour, day, month, day_of_week = expr.split()
        return cls(minute=minute, hour=hour, day=day, month=month, day_of_week=day_of_week, timezone=timezone)


def trigger(schedule: str, timezone: str) -> CronTrigger:
    """A CronTrigger for a digest schedule. Day names, never numbers: APScheduler counts Monday as 0."""
    tz = ZoneInfo(timezone)
    text = schedule.strip()
    m = _SIMPLE.match(text)
    try:
        if m:
            days = (m.group("days") or "daily").lower().replace(" ", "")
            return DigestTrigger(
                day_of_week=_DAY_ALIASES.get(days, days),
                hour=int(m.group("hh")),
                minute=int(m.group("mm")),
                timezone=tz,
            )
        if len(text.split()) == 5:
            return DigestTrigger.from_crontab(text, timezone=tz)
    except ValueError as e:
        raise ConfigError(f"schedule {schedule!r}: {e}") from None
    raise ConfigError(f'schedule {schedule!r}: expected "mon-fri 07:30", "daily 18:00" or a cron expression')


def next_run(schedule: str, timezone: str, after: datetime) -> datetime | None:
    trig = trigger(schedule, timezone)
    fire: datetime | None = trig.get_next_fire_time(None, after)
    return fire


def previous_run(
    schedule: str, timezone: str, now: datetime, horizon: timedelta = timedelta(days=35)
) -> datetime | None:
    """The latest scheduled time at or before `now` (None if none within `horizon`)."""
    trig = trigger(schedule, timezone)
    t = trig.get_next_fire_time(None, now - horizon)
    last = None
    while t is not None and t <= now:
        last = t
        t = trig.get_next_fire_time(t, t + timedelta(seconds=1))
    return last


def missed_run(
    schedule: str, timezone: str, now: datetime, last_run: datetime | None, grace: timedelta
) -> datetime | None:
    """The scheduled time to catch up on start, or None.

    A digest that has never run has nothing to catch up (it starts at its next time);
    one whose last due time passed while the bot was down is sent once, if that time
    is within `grace`. Several missed runs coalesce into that one.
    """
    if last_run is None:
        return None
    due = previous_run(schedule, timezone, now)
    if due is None or due <= last_run:
        return None
    return due if now - due <= grace else None
