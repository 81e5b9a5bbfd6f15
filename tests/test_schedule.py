"""Digest schedules in a time zone, across DST, and the catch-up rule for missed runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from briefbot.errors import ConfigError
from briefbot.runner.schedule import missed_run, next_run, previous_run

LONDON = "Europe/London"


def test_weekday_schedule_skips_the_weekend() -> None:
    fri_evening = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)  # a Friday
    nxt = next_run("mon-fri 07:30", LONDON, fri_evening)
    assert nxt is not None and nxt.weekday() == 0 and (nxt.hour, nxt.minute) == (7, 30)
    assert nxt.astimezone(UTC) == datetime(2026, 11, 30, 7, 30, tzinfo=UTC)  # GMT in winter


def test_local_time_holds_across_the_spring_dst_change() -> None:
    # Clocks go forward in London on Sunday 29 March 2026: 07:30 local is 07:30 GMT before, 06:30 UTC after.
    before = next_run("daily 07:30", LONDON, datetime(2026, 3, 28, 12, 0, tzinfo=UTC))
    after = next_run("daily 07:30", LONDON, datetime(2026, 3, 29, 12, 0, tzinfo=UTC))
    assert before is not None and after is not None
    assert before.astimezone(UTC) == datetime(2026, 3, 29, 6, 30, tzinfo=UTC)
    assert after.astimezone(UTC) == datetime(2026, 3, 30, 6, 30, tzinfo=UTC)
    assert before.astimezone(ZoneInfo(LONDON)).hour == 7 and after.astimezone(ZoneInfo(LONDON)).hour == 7


def test_autumn_dst_change_runs_once() -> None:
    # New York falls back on 1 Nov 2026: 01:30 happens twice; the digest must run once that night.
    start = datetime(2026, 10, 31, 12, 0, tzinfo=UTC)
    runs = []
    t = start
    for _ in range(3):
        t = next_run("daily 01:30", "America/New_York", t + timedelta(seconds=1))
        runs.append(t)
    days = [r.astimezone(ZoneInfo("America/New_York")).date() for r in runs]
    assert len(set(days)) == 3


def test_cron_expression_and_errors() -> None:
    nxt = next_run("15 9 * * mon", "UTC", datetime(2026, 11, 29, 0, 0, tzinfo=UTC))
    assert nxt == datetime(2026, 11, 30, 9, 15, tzinfo=UTC)
    with pytest.raises(ConfigError):
        next_run("someday 25:00", "UTC", datetime(2026, 11, 29, tzinfo=UTC))


def test_previous_run() -> None:
    now = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # Monday 09:00
    assert previous_run("mon-fri 07:30", "UTC", now) == datetime(2026, 11, 30, 7, 30, tzinfo=UTC)
    assert previous_run("mon-fri 10:00", "UTC", now) == datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def test_missed_run_is_caught_up_once_within_grace() -> None:
    last = datetime(2026, 11, 27, 7, 30, tzinfo=UTC)  # Friday's digest went out
    now = datetime(2026, 11, 30, 8, 10, tzinfo=UTC)  # bot was down over Monday 07:30
    due = missed_run("mon-fri 07:30", "UTC", now, last, grace=timedelta(hours=2))
    assert due == datetime(2026, 11, 30, 7, 30, tzinfo=UTC)
    # once caught up (last run recorded as that due time), nothing more
    assert missed_run("mon-fri 07:30", "UTC", now, due, grace=timedelta(hours=2)) is None
    # outside the grace window: skipped, the next scheduled run comes as usual
    assert (
        missed_run("mon-fri 07:30", "UTC", now + timedelta(hours=3), last, grace=timedelta(hours=2)) is None
    )


def test_never_run_digest_has_no_catch_up() -> None:
    now = datetime(2026, 11, 30, 8, 10, tzinfo=UTC)
    assert missed_run("mon-fri 07:30", "UTC", now, None, grace=timedelta(hours=12)) is None


def test_spring_gap_time_runs_once_that_day() -> None:
    # 02:30 does not exist in New York on 8 March 2026; the digest still goes out once that day.
    t = datetime(2026, 3, 7, 12, 0, tzinfo=UTC)
    runs = []
    for _ in range(3):
        nxt = next_run("daily 02:30", "America/New_York", t + timedelta(seconds=1))
        assert nxt is not None
        runs.append(nxt)
        t = nxt
    utc = [r.astimezone(UTC) for r in runs]
    assert utc == [
        datetime(2026, 3, 8, 7, 30, tzinfo=UTC),
        datetime(2026, 3, 9, 6, 30, tzinfo=UTC),
        datetime(2026, 3, 10, 6, 30, tzinfo=UTC),
    ]
