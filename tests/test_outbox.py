"""The durable outbox against SQLite and PostgreSQL, the real Slack test server and aiosmtpd.

Crash safety is tested with a real process (tests/outbox_worker.py) killed by SIGKILL at
the two points that matter, then restarted, counting what reached the servers.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from briefbot.deliver import EmailSender, SlackSender
from briefbot.deliver.outbox import (
    Delivery,
    EmailChannel,
    FlushReport,
    Outbox,
    OutboxRow,
    Sender,
    SlackChannel,
    backoff,
)
from briefbot.store import Store
from outbox_worker import email_payload, message_id
from slackserver import SlackServer
from smtpserver import SMTPServer

T0 = datetime(2026, 11, 29, 7, 30, tzinfo=UTC)
WORKER = Path(__file__).parent / "outbox_worker.py"


# -- fixtures ------------------------------------------------------------------------------


@pytest.fixture
def box(store: Store) -> Outbox:
    return Outbox(store)


class Clock:
    """A settable clock: backoff is checked in simulated time, not by sleeping."""

    def __init__(self, t: datetime = T0) -> None:
        self.t = t

    def __call__(self) -> datetime:
        return self.t

    def advance(self, seconds: float) -> datetime:
        self.t += timedelta(seconds=seconds)
        return self.t


def slack_sender(slack: SlackServer) -> SlackChannel:
    # max_retries=0: every 429/5xx reaches the outbox at once, so its own backoff is what is tested
    return SlackChannel(
        SlackSender(slack.token, base_url=slack.base_url, timeout=5, max_retries=0, backoff=0.01)
    )


def email_sender(smtp: SMTPServer) -> EmailChannel:
    return EmailChannel(
        EmailSender("127.0.0.1", smtp.port, starttls=False, sender="Briefbot <bot@example.com>", timeout=5)
    )


def senders(slack: SlackServer, smtp: SMTPServer) -> dict[str, Sender]:
    return {"slack": slack_sender(slack), "email": email_sender(smtp)}


def one_message(label: str) -> list[dict[str, Any]]:
    return [{"text": label, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": label}}]}]


def thread(label: str, n: int) -> list[dict[str, Any]]:
    return [m for i in range(n) for m in one_message(f"{label} {i}")]


def texts(slack: SlackServer) -> list[str]:
    return [p.text or "" for p in slack.posts]


# -- enqueue -------------------------------------------------------------------------------


def test_enqueue_is_idempotent(box: Outbox) -> None:
    key = "digest:morning:2026-11-29T07:30Z:slack:#briefings"
    first = box.enqueue(key, "slack", "#briefings", one_message("first"), now=T0)
    again = box.enqueue(key, "slack", "#briefings", one_message("second"), now=T0 + timedelta(minutes=5))
    assert first[1] is True and again == (first[0], False)
    [row] = box.due(T0)
    assert row.payload == one_message("first") and row.attempts == 0 and row.posted == []
    assert [d.key for d in box.list()] == [key]


def test_concurrent_enqueue_of_one_key_inserts_one_row(db_url: str) -> None:
    stores = [Store.open(db_url) for _ in range(4)]
    barrier = threading.Barrier(len(stores))

    def go(s: Store) -> tuple[int, bool]:
        barrier.wait()
        return Outbox(s).enqueue("alert:ceasefire:42:slack:#alerts", "slack", "#alerts", one_message("x"))

    try:
        with ThreadPoolExecutor(len(stores)) as pool:
            results = list(pool.map(go, stores))
    finally:
        for s in stores:
            s.close()
    assert len({rid for rid, _ in results}) == 1
    assert sum(created for _, created in results) == 1


def test_enqueue_refuses_unknown_channel_and_bad_key(box: Outbox) -> None:
    with pytest.raises(ValueError, match="unknown channel"):
        box.enqueue("k", "sms", "+4412345", {})
    with pytest.raises(ValueError, match="key"):
        box.enqueue("", "slack", "#x", one_message("x"))


# -- delivering and retrying ---------------------------------------------------------------


def test_marked_delivered_only_after_the_server_accepted(
    box: Outbox, slack: SlackServer, smtp: SMTPServer
) -> None:
    clock = Clock()
    key = "digest:morning:2026-11-29T07:30Z:email:reader@example.com"
    box.enqueue(key, "email", "reader@example.com", email_payload("morning"), now=T0)
    seen: list[tuple[str, str, datetime | None, int]] = []

    def look(stage: str) -> Any:
        def hook(row: OutboxRow) -> None:
            [d] = box.list()
            seen.append((stage, d.status, d.delivered_at, len(smtp.messages)))

        return hook

    box._after_claim, box._after_send = look("claimed"), look("sent")
    smtp.fail_next(451)  # the relay says: try later
    report = box.flush(senders(slack, smtp), clock=clock)
    assert report.retrying == [key] and smtp.messages == []
    [d] = box.list()
    assert (d.status, d.attempts, d.delivered_at) == ("pending", 1, None)
    assert d.last_error is not None and "451" in d.last_error
    assert d.next_attempt_at == T0 + timedelta(seconds=30)
    assert seen == [("claimed", "sending", None, 0)]

    assert box.flush(senders(slack, smtp), clock=clock).delivered == []  # not due yet
    clock.advance(30)
    report = box.flush(senders(slack, smtp), clock=clock)
    assert report.delivered == [key]
    # accepted by the server while still `sending`; `delivered` only after that
    assert seen[1:] == [("claimed", "sending", None, 0), ("sent", "sending", None, 1)]
    [d] = box.list()
    assert (d.status, d.attempts, d.last_error, d.delivered_at) == ("delivered", 2, None, clock.t)
    assert [m.message["Message-ID"] for m in smtp.messages] == [message_id("morning")]
    clock.advance(3600)
    assert box.flush(senders(slack, smtp), clock=clock).delivered == []  # never again
    assert len(smtp.messages) == 1


def test_slack_429_and_500_are_retried_with_backoff_then_delivered(
    box: Outbox, slack: SlackServer, smtp: SMTPServer
) -> None:
    clock = Clock()
    key = "digest:morning:2026-11-29T07:30Z:slack:#briefings"
    box.enqueue(key, "slack", "#briefings", one_message("digest"), now=T0)
    slack.fail(times=1, status=429, retry_after=120)  # longer than our 30 s: honoured
    slack.fail(times=1, status=500)

    assert box.flush(senders(slack, smtp), clock=clock).retrying == [key]
    row = box.get(key)
    assert row is not None and row.next_attempt_at == T0 + timedelta(seconds=120)
    assert row.last_error is not None and "ratelimited" in row.last_error

    clock.advance(60)
    assert box.flush(senders(slack, smtp), clock=clock).retrying == []  # not due: no request at all
    assert len(slack.calls()) == 1

    clock.advance(60)  # T0+120
    assert box.flush(senders(slack, smtp), clock=clock).retrying == [key]
    row = box.get(key)
    assert row is not None and row.next_attempt_at == clock.t + timedelta(seconds=60)  # second failure: 1 min
    assert row.last_error is not None and "internal_error" in row.last_error

    clock.advance(60)
    assert box.flush(senders(slack, smtp), clock=clock).delivered == [key]
    assert texts(slack) == ["digest"] and len(slack.calls()) == 3
    row = box.get(key)
    assert row is not None and (row.status, row.attempts, row.posted) == ("delivered", 3, [slack.posts[0].ts])


def test_backoff_doubles_from_30s_to_at_most_an_hour() -> None:
    assert [int(backoff(n).total_seconds()) for n in range(1, 10)] == [
        30,
        60,
        120,
        240,
        480,
        960,
        1920,
        3600,
        3600,
    ]
    assert backoff(1, retry_after=300) == timedelta(minutes=5)
    assert backoff(5, retry_after=1) == timedelta(seconds=480)
    assert backoff(1, retry_after=10**9) == timedelta(hours=6)


def test_non_retryable_error_fails_at_once_and_is_listed(
    box: Outbox, slack: SlackServer, smtp: SMTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    slack.channels = {"#briefings": "C0BRIEFING"}
    key = "digest:morning:2026-11-29T07:30Z:slack:#typo"
    box.enqueue(key, "slack", "#typo", one_message("digest"), now=T0)
    with caplog.at_level(logging.WARNING, logger="briefbot.deliver.outbox"):
        report = box.flush(senders(slack, smtp), clock=Clock())
    assert report.failed == [key] and report.tripped == set()
    [d] = box.list(status="failed")
    assert isinstance(d, Delivery) and d.attempts == 1 and d.delivered_at is None
    assert d.last_error is not None and "channel_not_found" in d.last_error and "#typo" in d.last_error
    assert box.list(status="pending") == [] and box.due(T0 + timedelta(days=1)) == []
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and key in errors[0].getMessage()
    assert slack.token not in caplog.text


def test_invalid_stored_email_fails_without_retrying(
    box: Outbox, slack: SlackServer, smtp: SMTPServer
) -> None:
    bad = email_payload("x") | {"to": ["not an address"]}
    box.enqueue("digest:x:email:bad", "email", "not an address", bad, now=T0)
    assert box.flush(senders(slack, smtp), clock=Clock()).failed == ["digest:x:email:bad"]
    [d] = box.list()
    assert d.status == "failed" and d.last_error is not None and "invalid" in d.last_error
    assert smtp.messages == []


def test_max_attempts_marks_failed(box: Outbox, slack: SlackServer, smtp: SMTPServer) -> None:
    clock = Clock()
    key = "alert:ceasefire:42:slack:#alerts"
    box.enqueue(key, "slack", "#alerts", one_message("alert"), now=T0)
    slack.fail(times=5, status=503)
    outcomes = []
    for _ in range(4):
        r = box.flush(senders(slack, smtp), clock=clock, max_attempts=3)
        outcomes.append((r.retrying, r.failed))
        clock.advance(3600)
    assert outcomes == [([key], []), ([key], []), ([], [key]), ([], [])]
    [d] = box.list()
    assert (d.status, d.attempts) == ("failed", 3)
    assert d.last_error is not None and "internal_error" in d.last_error
    assert len(slack.calls()) == 3 and slack.posts == []


def test_slack_outage_does_not_hold_back_email(box: Outbox, slack: SlackServer, smtp: SMTPServer) -> None:
    slack.fail(times=50, status=500)
    for i in range(3):
        box.enqueue(f"alert:w:{i}:slack:#alerts", "slack", "#alerts", one_message(f"alert {i}"), now=T0)
    box.enqueue(
        "digest:m:email:reader@example.com", "email", "reader@example.com", email_payload("m"), now=T0
    )
    report = box.flush(senders(slack, smtp), clock=Clock())
    assert report.delivered == ["digest:m:email:reader@example.com"]
    assert [m.message["Subject"] for m in smtp.messages] == ["m briefing"]
    # the circuit: one failed request, then Slack is left alone until the next flush
    assert report.retrying == ["alert:w:0:slack:#alerts"]
    assert report.deferred == ["alert:w:1:slack:#alerts", "alert:w:2:slack:#alerts"]
    assert report.tripped == {"slack"} and len(slack.calls()) == 1
    assert {d.key: d.attempts for d in box.list(status="pending")} == {
        "alert:w:0:slack:#alerts": 1,
        "alert:w:1:slack:#alerts": 0,
        "alert:w:2:slack:#alerts": 0,
    }


def test_channel_without_a_sender_waits(box: Outbox, slack: SlackServer) -> None:
    box.enqueue("digest:m:email:r@example.com", "email", "r@example.com", email_payload("m"), now=T0)
    box.enqueue("digest:m:slack:#b", "slack", "#b", one_message("m"), now=T0)
    report = box.flush({"slack": slack_sender(slack)}, clock=Clock())
    assert report.delivered == ["digest:m:slack:#b"] and report.deferred == ["digest:m:email:r@example.com"]
    assert [d.attempts for d in box.list(status="pending")] == [0]


def test_partial_thread_is_resumed_without_reposting_the_head(
    box: Outbox, slack: SlackServer, smtp: SMTPServer
) -> None:
    clock = Clock()
    key = "digest:morning:2026-11-29T07:30Z:slack:#briefings"
    box.enqueue(key, "slack", "#briefings", thread("part", 4), now=T0)
    slack.fail(times=1, status=500, after=2)  # head and first reply go out, the third fails
    assert box.flush(senders(slack, smtp), clock=clock).retrying == [key]
    row = box.get(key)
    assert row is not None and row.posted == [p.ts for p in slack.posts] and len(row.posted) == 2
    head = row.posted[0]

    clock.advance(30)
    assert box.flush(senders(slack, smtp), clock=clock).delivered == [key]
    assert texts(slack) == ["part 0", "part 1", "part 2", "part 3"]
    assert [p.thread_ts for p in slack.posts] == [None, head, head, head]
    row = box.get(key)
    assert row is not None and row.posted == [p.ts for p in slack.posts]


def test_partial_webhook_delivery_is_resumed(box: Outbox, slack: SlackServer) -> None:
    clock = Clock()
    hook = SlackChannel(SlackSender(None, webhook_url=slack.webhook_url, timeout=5, max_retries=0))
    box.enqueue("digest:m:slack:webhook", "slack", "webhook", thread("w", 3), now=T0)
    slack.fail(times=1, status=500, after=1)
    box.flush({"slack": hook}, clock=clock)
    clock.advance(30)
    assert box.flush({"slack": hook}, clock=clock).delivered == ["digest:m:slack:webhook"]
    assert texts(slack) == ["w 0", "w 1", "w 2"]


# -- concurrency and crashes -----------------------------------------------------------------


def test_a_second_flusher_never_sends_a_claimed_row(
    db_url: str, box: Outbox, slack: SlackServer, smtp: SMTPServer
) -> None:
    """Deterministic interleaving: B flushes right after A claimed its first row, while A
    still holds its (now stale) list of due rows."""
    for i in range(5):
        box.enqueue(f"k{i}", "slack", "#b", one_message(f"m{i}"))
    other = Store.open(db_url)
    reports: list[FlushReport] = []

    def b_runs_now(row: OutboxRow) -> None:
        if not reports:
            reports.append(Outbox(other).flush(senders(slack, smtp)))

    box._after_claim = b_runs_now
    try:
        a = box.flush(senders(slack, smtp))
    finally:
        other.close()
    [b] = reports
    assert a.delivered == ["k0"] and a.contended == 4
    assert b.delivered == ["k1", "k2", "k3", "k4"] and b.contended == 0
    assert sorted(texts(slack)) == [f"m{i}" for i in range(5)]


def test_two_flushers_racing_deliver_each_row_once(db_url: str, slack: SlackServer, smtp: SMTPServer) -> None:
    stores = [Store.open(db_url) for _ in range(2)]
    n = 30
    for i in range(n):
        Outbox(stores[0]).enqueue(f"alert:w:{i}:slack:#a", "slack", "#a", one_message(f"a{i}"))
    barrier = threading.Barrier(2)

    def go(s: Store) -> Any:
        barrier.wait()
        return Outbox(s).flush(senders(slack, smtp))

    try:
        with ThreadPoolExecutor(2) as pool:
            reports = list(pool.map(go, stores))
    finally:
        for s in stores:
            s.close()
    delivered = reports[0].delivered + reports[1].delivered
    assert sorted(delivered) == sorted(f"alert:w:{i}:slack:#a" for i in range(n))
    assert sorted(texts(slack)) == sorted(f"a{i}" for i in range(n))
    # every row was sent by exactly one of them (how often they collided depends on scheduling)
    assert len(delivered) == n and reports[0].contended + reports[1].contended <= n


def test_recover_resets_orphaned_sending_rows(box: Outbox, slack: SlackServer, smtp: SMTPServer) -> None:
    box.enqueue("k", "slack", "#b", one_message("m"), now=T0)

    def die(row: OutboxRow) -> None:
        raise KeyboardInterrupt  # not an Exception: the flush dies mid-send, as on a crash

    box._after_claim = die
    with pytest.raises(KeyboardInterrupt):
        box.flush(senders(slack, smtp), clock=Clock())
    box._after_claim = None
    assert [d.status for d in box.list()] == ["sending"] and box.due(T0 + timedelta(hours=1)) == []
    # another live process could be sending it: a lease leaves young claims alone
    assert box.recover(T0 + timedelta(minutes=1), stale_after=timedelta(minutes=10)) == 0
    assert box.recover(T0 + timedelta(minutes=1)) == 1
    [d] = box.list()
    assert (d.status, d.attempts) == ("pending", 1)
    assert box.flush(senders(slack, smtp), clock=Clock(T0 + timedelta(minutes=1))).delivered == ["k"]
    assert texts(slack) == ["m"]


def _run_worker(
    db_url: str, slack: SlackServer, smtp: SMTPServer, prefix: str, **env: str
) -> subprocess.CompletedProcess[str]:
    full = (
        os.environ
        | {
            "BB_DB_URL": db_url,
            "BB_SLACK_URL": slack.base_url,
            "BB_SLACK_TOKEN": slack.token,
            "BB_SMTP_PORT": str(smtp.port),
            "BB_KEY": prefix,
        }
        | env
    )
    return subprocess.run(
        [sys.executable, str(WORKER)], check=False, env=full, capture_output=True, text=True, timeout=60
    )


# Each case spawns two interpreters (~0.4 s each): all four on SQLite, the Slack ones on PostgreSQL.
@pytest.mark.parametrize(
    ("db_url", "point", "channel"),
    [
        ("sqlite", "after_claim", "slack"),
        ("sqlite", "after_send", "slack"),
        ("sqlite", "after_claim", "email"),
        ("sqlite", "after_send", "email"),
        ("postgresql", "after_claim", "slack"),
        ("postgresql", "after_send", "slack"),
    ],
    indirect=["db_url"],
)
def test_killed_worker_loses_nothing(
    db_url: str, slack: SlackServer, smtp: SMTPServer, point: str, channel: str
) -> None:
    """SIGKILL between claiming and sending: delivered exactly once after the restart.
    SIGKILL between the server accepting and the row being marked: the one window
    at-least-once leaves, so it arrives twice, never more, never lost."""
    prefix = f"digest:morning:{point}:{channel}"
    first = _run_worker(db_url, slack, smtp, prefix, BB_KILL_AT=point, BB_KILL_CHANNEL=channel)
    assert first.returncode == -signal.SIGKILL, first.stderr[-2000:]

    second = _run_worker(db_url, slack, smtp, prefix)
    assert second.returncode == 0, second.stderr[-2000:]
    report = json.loads(second.stdout)
    assert report["recovered"] == 1 and report["failed"] == []

    copies = 2 if point == "after_send" else 1
    slack_copies = copies if channel == "slack" else 1
    email_copies = copies if channel == "email" else 1
    assert sorted(texts(slack)) == [f"{prefix} head"] * slack_copies + [f"{prefix} reply"] * slack_copies
    assert [m.message["Message-ID"] for m in smtp.messages] == [message_id(prefix)] * email_copies
    # a resent thread is a whole new thread, never replies hung off the lost one
    heads = [p.ts for p in slack.posts if p.thread_ts is None]
    assert len(heads) == slack_copies and all(p.thread_ts in heads for p in slack.posts if p.thread_ts)

    s = Store.open(db_url)
    try:
        rows = Outbox(s).list()
    finally:
        s.close()
    assert {d.channel: (d.status, d.attempts) for d in rows} == {
        channel: ("delivered", 2),
        ({"slack": "email", "email": "slack"}[channel]): ("delivered", 1),
    }
