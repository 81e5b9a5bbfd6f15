"""The durable outbox: every message is stored before it is sent, and sent until delivered.

Why: a digest rendered at 07:30 must reach Slack and email even if Slack has a bad
minute, the SMTP relay says "try later", or briefbot is killed mid-send. So nothing is
sent straight from the renderer: it is enqueued under an idempotency key (enqueueing the
same key again is a no-op, so a re-run of a job never duplicates a message) and
``Outbox.flush`` sends what is due, one row at a time, each in its own transactions.

Delivery guarantees (README paragraph):

    Every message briefbot sends is first written to the `outbox` table under an
    idempotency key such as `digest:morning:2026-11-29T07:30Z:slack:#briefings`, so
    preparing the same digest or alert twice stores it once. A message is marked
    delivered only after Slack or the SMTP server accepted it; until then it is retried
    with exponential backoff (30 s, 1 min, 2 min, … at most 1 h between attempts, longer
    if the service asks for it with Retry-After), and after 8 attempts, or at once on an
    error that retrying cannot fix (an unknown channel, a refused address, bad
    credentials), it is marked failed with the error (`briefbot deliveries` lists it).
    Slack and email are retried independently: an outage of one never holds back the
    other. A Slack thread that broke off half-way is resumed in the same thread rather
    than posted again. Delivery is at-least-once: if briefbot is killed (or the machine
    loses power) after the service accepted a message but before briefbot recorded that,
    the message is sent again after the restart, so in that narrow window a digest can
    arrive twice. It is never lost: nothing can close this window short of the service
    itself deduplicating, and emails carry a stable Message-ID so mail clients can
    recognise the copy.

How a row moves: ``pending`` → (claim: ``sending``, attempts+1, committed before the
sender is called) → ``delivered``, or back to ``pending`` with a later
``next_attempt_at``, or ``failed``. The claim is a conditional UPDATE on the status and
attempt count read, so two flushers (threads, processes, hosts on one PostgreSQL) never
both send one row. A row found in ``sending`` at start-up was being sent when a process
died: ``recover`` puts it back to ``pending``.
"""

from __future__ import annotations

import builtins
import logging
import socket
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from .. import failpoints
from ..config import Config
from ..errors import DeliveryError
from ..owner import process_identity
from ..owner import running as _running
from ..store import Delivery, OutboxRow, Status, Store, utcnow
from .blocks import Message
from .email import EmailSender
from .slack import SlackSender

__all__ = [
    "CHANNELS",
    "Delivery",
    "EmailChannel",
    "FlushReport",
    "Outbox",
    "OutboxRow",
    "Sender",
    "SlackChannel",
    "Status",
    "backoff",
    "channels_from_config",
    "process_identity",
]

log = logging.getLogger(__name__)

CHANNELS = ("slack", "email")
KEY_MAX = 1024
ERROR_MAX = 2000
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=1)
SEND_LEASE = timedelta(hours=1)  # a claim older than this is taken back whoever holds it
RETRY_AFTER_MAX = timedelta(hours=6)  # a service asking for longer is not believed blindly
WEBHOOK_POSTED = "webhook"  # stands for a message posted by an incoming webhook (it returns no ts)


class Sender(Protocol):
    """Puts one stored payload on the wire.

    `posted`: what earlier attempts already delivered (Slack ts of a partial thread).
    Returns the full posted list after success; a failure raises ``DeliveryError`` whose
    ``posted`` is likewise the full list so far, so the next attempt can resume.
    """

    def deliver(self, destination: str, payload: Any, posted: list[str]) -> list[str]: ...


@dataclass
class FlushReport:
    """What one ``flush`` did, by key. `deferred`: due but left for a later flush (its
    channel failed earlier in this flush, or has no sender); `contended`: rows another
    flusher claimed first."""

    delivered: list[str] = field(default_factory=list)
    retrying: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    deferred: list[str] = field(default_factory=list)
    contended: int = 0
    tripped: set[str] = field(default_factory=set)
    # (channel, "delivered" | "retrying" | "failed", seconds from queued to delivered or None)
    outcomes: list[tuple[str, str, float | None]] = field(default_factory=list)


def backoff(attempts: int, retry_after: float | None = None) -> timedelta:
    """Wait after the `attempts`-th failed attempt: 30 s doubling to at most 1 h, or the
    service's Retry-After when that is longer (capped at 6 h)."""
    delay = min(BACKOFF_BASE * (2 ** max(0, min(attempts - 1, 20))), BACKOFF_MAX)
    if retry_after is not None and retry_after > 0:
        delay = max(delay, min(timedelta(seconds=retry_after), RETRY_AFTER_MAX))
    return delay


def _error_text(e: BaseException) -> str:
    """The error as stored and logged: DeliveryError texts are scrubbed of secrets by the
    senders; anything else is a bug, shown by type and (cut) message."""
    text = str(e) if isinstance(e, DeliveryError) else f"{type(e).__name__}: {e}"
    return text[:ERROR_MAX]


class Outbox:
    """The outbox table of one store. Every method is its own short transaction(s)."""

    def __init__(self, store: Store, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.store = store
        self.clock = clock  # stamps rows when a caller passes no time (the App passes its own clock)
        self.owner = process_identity()
        # Test hooks (tests/outbox_worker.py): called with the row right after the claim is
        # committed, and right after the sender returned, before the row is marked.
        self._after_claim: Callable[[OutboxRow], None] | None = None
        self._after_send: Callable[[OutboxRow], None] | None = None

    # -- enqueue -------------------------------------------------------------------------

    def enqueue(
        self,
        key: str,
        channel: str,
        destination: str,
        payload: Any,
        *,
        now: datetime | None = None,
        not_before: datetime | None = None,
    ) -> tuple[int, bool]:
        """Store a message to send; returns (row id, created). The same key again returns
        the existing row untouched, also when another process inserts it at the same time.
        `not_before` holds it back (a watch's quiet hours)."""
        if channel not in CHANNELS:
            raise ValueError(f"unknown channel {channel!r}: one of {', '.join(CHANNELS)}")
        if not key or len(key) > KEY_MAX:
            raise ValueError(f"an outbox key must have 1 to {KEY_MAX} characters")
        return self.store.outbox_enqueue(
            key, channel, destination, payload, now=now or self.clock(), not_before=not_before
        )

    # -- reading -------------------------------------------------------------------------

    def due(self, now: datetime | None = None, limit: int = 100) -> builtins.list[OutboxRow]:
        """Pending rows whose time has come, oldest due first."""
        return self.store.outbox_due(now or self.clock(), limit)

    def get(self, key: str) -> OutboxRow | None:
        return self.store.outbox_get(key)

    # -- recovery ------------------------------------------------------------------------

    def recover(self, now: datetime | None = None, *, stale_after: timedelta = timedelta(0)) -> int:
        """Put rows left in ``sending`` (their process died mid-send) back to ``pending``,
        due at once; returns how many. Call it on start. The crashed attempt still counts.

        With one briefbot process every ``sending`` row at start is orphaned. When several
        processes flush one database, pass `stale_after` longer than the longest send so a
        row another live process is sending right now is left alone.
        """
        n = self.store.outbox_recover(now or self.clock(), stale_after)
        if n:
            log.warning(
                "outbox: %d message(s) were being sent when briefbot stopped; they will be sent again", n
            )
        return n

    def recover_orphans(self, now: datetime | None = None, *, lease: timedelta = SEND_LEASE) -> int:
        """Take back rows left ``sending`` by a process that is gone, and only those: a row
        claimed on this host by a process no longer running, or claimed longer ago than
        `lease` (its sender was on another host, or hung). A row another live process is
        sending right now is left alone, so every run (`fetch` from cron too) may call this."""
        now = now or self.clock()
        host = socket.gethostname()
        orphans = []
        for row_id, owner, claimed_at in self.store.outbox_sending():
            if owner is None or now - claimed_at >= lease:
                orphans.append(row_id)
                continue
            o_host, _, rest = owner.partition(":")
            if o_host == host and not _running(rest):
                orphans.append(row_id)
        n = self.store.outbox_release_orphans(orphans, now)
        if n:
            log.warning(
                "outbox: %d message(s) were being sent by a process that stopped; they will be sent again", n
            )
        return n

    # -- sending -------------------------------------------------------------------------

    def flush(
        self,
        senders: Mapping[str, Sender],
        now: datetime | None = None,
        *,
        clock: Callable[[], datetime] | None = None,
        max_attempts: int = 8,
        limit: int = 200,
    ) -> FlushReport:
        """Send every row due at `now` (default: ``clock()``) through ``senders[row.channel]``.

        Rows are independent: one failing never stops the others. After a retryable failure
        on a channel, that channel's other rows wait for the next flush instead of hammering
        a service that is down or rate limiting (its own retries already ran inside the
        sender). `clock` stamps claims, deliveries and the next attempt, since a send takes
        time; tests pass a fake one.
        """
        clock = clock or self.clock
        report = FlushReport()
        missing: set[str] = set()
        for row in self.due(now or clock(), limit):
            sender = senders.get(row.channel)
            if sender is None:
                if row.channel not in missing:
                    missing.add(row.channel)
                    log.warning("outbox: no %s sender configured; %s messages wait", row.channel, row.channel)
                report.deferred.append(row.key)
                continue
            if row.channel in report.tripped:
                report.deferred.append(row.key)
                continue
            if not self._claim(row, clock()):
                report.contended += 1
                continue
            self._send(row, sender, report, clock, max_attempts)
        return report

    def _claim(self, row: OutboxRow, now: datetime) -> bool:
        """Mark the row ``sending`` (attempts+1) in its own committed transaction, only if it
        is still exactly as read: pending, same attempt count. False: someone else has it."""
        if not self.store.outbox_claim(row.id, row.attempts, now, self.owner):
            return False
        row.status = "sending"
        row.attempts += 1
        return True

    def _send(
        self,
        row: OutboxRow,
        sender: Sender,
        report: FlushReport,
        clock: Callable[[], datetime],
        max_attempts: int,
    ) -> None:
        failpoints.hit("deliver:claimed")
        if self._after_claim is not None:
            self._after_claim(row)
        try:
            posted = sender.deliver(row.destination, row.payload, builtins.list(row.posted))
        except Exception as e:  # a sender's bug must not stop the other rows
            if not isinstance(e, DeliveryError):
                log.exception("outbox: the %s sender crashed on %s", row.channel, row.key)
            self._failed_attempt(row, e, report, clock(), max_attempts)
            return
        failpoints.hit("deliver:sent")
        if self._after_send is not None:
            self._after_send(row)
        done_at = clock()
        self.store.outbox_delivered(row.id, posted, done_at)
        report.delivered.append(row.key)
        report.outcomes.append((row.channel, "delivered", (done_at - row.created_at).total_seconds()))
        log.info("outbox: delivered %s (attempt %d)", row.key, row.attempts)

    def _failed_attempt(
        self, row: OutboxRow, e: Exception, report: FlushReport, now: datetime, max_attempts: int
    ) -> None:
        retryable = e.retryable if isinstance(e, DeliveryError) else True
        posted = row.posted
        if isinstance(e, DeliveryError) and len(e.posted) > len(posted):
            posted = builtins.list(e.posted)
        error = _error_text(e)
        if retryable and row.attempts < max_attempts:
            retry_after = e.retry_after if isinstance(e, DeliveryError) else None
            when = now + backoff(row.attempts, retry_after)
            # Only if still our claim: a recover() + another flusher may own the row now.
            self.store.outbox_release(
                row.id,
                row.attempts,
                status="pending",
                error=error,
                posted=posted,
                now=now,
                next_attempt_at=when,
            )
            report.retrying.append(row.key)
            report.outcomes.append((row.channel, "retrying", None))
            if isinstance(e, DeliveryError):
                report.tripped.add(row.channel)
            log.warning(
                "outbox: %s failed (attempt %d of %d), retrying at %s: %s",
                row.key,
                row.attempts,
                max_attempts,
                when.isoformat(timespec="seconds"),
                error,
            )
        else:
            self.store.outbox_release(
                row.id, row.attempts, status="failed", error=error, posted=posted, now=now
            )
            report.failed.append(row.key)
            report.outcomes.append((row.channel, "failed", None))
            why = f"gave up after {row.attempts} attempts" if retryable else "cannot be delivered"
            log.error("outbox: %s %s: %s", row.key, why, error)

    # -- listing (last: `list` would shadow the builtin in annotations below it) ---------

    def list(self, status: Status | None = None, limit: int = 50) -> builtins.list[Delivery]:
        """The newest rows (optionally of one status), for ``briefbot deliveries``."""
        return self.store.outbox_list(status, limit)


# -- channel adapters ------------------------------------------------------------------


class SlackChannel:
    """Sends a stored Slack payload (``[{"text", "blocks"}, ...]``) with a ``SlackSender``.

    A retry after a partial thread posts only the missing messages, as replies to the head
    already posted. Incoming webhooks return no ts and have no threads: there each message
    is posted on its own and counted with a placeholder, so a retry still skips what went out.
    """

    def __init__(self, sender: SlackSender) -> None:
        self.sender = sender

    def deliver(self, destination: str, payload: Any, posted: list[str]) -> list[str]:
        try:
            messages = [
                Message(text=str(m["text"]), blocks=builtins.list(m.get("blocks") or [])) for m in payload
            ]
        except (KeyError, TypeError, AttributeError) as e:
            raise DeliveryError(
                f"the stored Slack message is malformed ({type(e).__name__}: {e})",
                hint="this is a briefbot bug, please report it",
                retryable=False,
                code="invalid_payload",
                posted=posted,
            ) from None
        done = builtins.list(posted)
        rest = messages[len(done) :]
        if not rest:
            return done
        if self.sender.mode == "webhook":
            for msg in rest:
                try:
                    self.sender.send(destination, [msg])
                except DeliveryError as e:
                    e.posted = done
                    raise
                done.append(WEBHOOK_POSTED)
            return done
        try:
            result = self.sender.send(destination, rest, thread_ts=done[0] if done else None)
        except DeliveryError as e:
            e.posted = done + e.posted
            raise
        return done + result.ts


class EmailChannel:
    """Sends a stored email payload (``{"subject", "text", "html", "to", "message_id",
    "list_unsubscribe"}``) with an ``EmailSender``; the Message-ID stays the same on every
    attempt, so a duplicate after a crash is recognisably the same message."""

    def __init__(self, sender: EmailSender) -> None:
        self.sender = sender

    def deliver(self, destination: str, payload: Any, posted: list[str]) -> list[str]:
        try:
            to: Sequence[str] = payload.get("to") or [a.strip() for a in destination.split(",") if a.strip()]
            msg = self.sender.build(
                payload["subject"],
                payload["text"],
                payload.get("html"),
                builtins.list(to),
                payload["message_id"],
                payload.get("list_unsubscribe"),
            )
        except (KeyError, TypeError, AttributeError, ValueError) as e:
            raise DeliveryError(
                f"the stored email is invalid ({type(e).__name__}: {e})",
                hint="check the email: destinations in config.yaml",
                retryable=False,
                code="invalid_payload",
            ) from None
        result = self.sender.send(msg)
        if result.refused:
            # The others have it: sending again would duplicate it for them.
            log.warning(
                "outbox: %s refused some recipients: %s",
                result.message_id,
                "; ".join(f"{a}: {r}" for a, r in result.refused.items())[:500],
            )
        return builtins.list(posted)


def channels_from_config(cfg: Config) -> dict[str, Sender]:
    """The outbox's channels, built once from the config (none for a missing section)."""
    out: dict[str, Sender] = {}
    if cfg.slack is not None and (cfg.slack.token or cfg.slack.webhook_url):
        out["slack"] = SlackChannel(SlackSender.from_config(cfg.slack))
    if cfg.email is not None:
        out["email"] = EmailChannel(EmailSender.from_config(cfg.email))
    return out
