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
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from ..errors import DeliveryError
from ..store import Store, _from_db, _to_db, utcnow
from ..store.schema import outbox
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
]

log = logging.getLogger(__name__)

Status = Literal["pending", "sending", "delivered", "failed"]
CHANNELS = ("slack", "email")
KEY_MAX = 1024
ERROR_MAX = 2000
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=1)
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
class Delivery:
    """One outbox row as ``briefbot deliveries`` shows it."""

    id: int
    key: str
    channel: str
    destination: str
    status: Status
    attempts: int
    last_error: str | None
    next_attempt_at: datetime
    created_at: datetime
    updated_at: datetime
    delivered_at: datetime | None


@dataclass
class OutboxRow(Delivery):
    """A row with what is needed to send it."""

    payload: Any = None
    posted: list[str] = field(default_factory=list)


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


def backoff(attempts: int, retry_after: float | None = None) -> timedelta:
    """Wait after the `attempts`-th failed attempt: 30 s doubling to at most 1 h, or the
    service's Retry-After when that is longer (capped at 6 h)."""
    delay = min(BACKOFF_BASE * (2 ** max(0, min(attempts - 1, 20))), BACKOFF_MAX)
    if retry_after is not None and retry_after > 0:
        delay = max(delay, min(timedelta(seconds=retry_after), RETRY_AFTER_MAX))
    return delay


def _delivery_fields(r: Any) -> dict[str, Any]:
    return {
        "id": r.id, "key": r.key, "channel": r.channel, "destination": r.destination, "status": r.status,
        "attempts": r.attempts, "last_error": r.last_error, "next_attempt_at": _from_db(r.next_attempt_at),
        "created_at": _from_db(r.created_at), "updated_at": _from_db(r.updated_at),
        "delivered_at": _from_db(r.delivered_at),
    }


def _error_text(e: BaseException) -> str:
    """The error as stored and logged: DeliveryError texts are scrubbed of secrets by the
    senders; anything else is a bug, shown by type and (cut) message."""
    text = str(e) if isinstance(e, DeliveryError) else f"{type(e).__name__}: {e}"
    return text[:ERROR_MAX]


class Outbox:
    """The outbox table of one store. Every method is its own short transaction(s)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.engine = store.engine
        # Test hooks (tests/outbox_worker.py): called with the row right after the claim is
        # committed, and right after the sender returned, before the row is marked.
        self._after_claim: Callable[[OutboxRow], None] | None = None
        self._after_send: Callable[[OutboxRow], None] | None = None

    # -- enqueue -------------------------------------------------------------------------

    def enqueue(
        self, key: str, channel: str, destination: str, payload: Any, *, now: datetime | None = None,
        not_before: datetime | None = None,
    ) -> tuple[int, bool]:
        """Store a message to send; returns (row id, created). The same key again returns
        the existing row untouched, also when another process inserts it at the same time.
        `not_before` holds it back (a watch's quiet hours)."""
        if channel not in CHANNELS:
            raise ValueError(f"unknown channel {channel!r}: one of {', '.join(CHANNELS)}")
        if not key or len(key) > KEY_MAX:
            raise ValueError(f"an outbox key must have 1 to {KEY_MAX} characters")
        body = json.dumps(payload, ensure_ascii=False, sort_keys=True)
        now_db = _to_db(now or utcnow())
        # Insert first and fall back to reading on the unique key: one path for a repeated
        # key and for two writers racing, with no window between a check and the insert.
        try:
            with self.engine.begin() as conn:
                new_id = conn.execute(
                    insert(outbox).returning(outbox.c.id).values(
                        key=key, channel=channel, destination=destination, payload=body, status="pending",
                        attempts=0, next_attempt_at=_to_db(not_before) if not_before else now_db, posted="[]",
                        created_at=now_db, updated_at=now_db,
                    )
                ).scalar_one()
            return int(new_id), True
        except IntegrityError as e:
            with self.engine.connect() as conn:
                found = conn.execute(select(outbox.c.id).where(outbox.c.key == key)).scalar_one_or_none()
            if found is None:  # not a duplicate key after all: surface the real error
                raise e from None
        return int(found), False

    # -- reading -------------------------------------------------------------------------

    def due(self, now: datetime | None = None, limit: int = 100) -> builtins.list[OutboxRow]:
        """Pending rows whose time has come, oldest due first."""
        q = (
            select(outbox)
            .where(outbox.c.status == "pending", outbox.c.next_attempt_at <= _to_db(now or utcnow()))
            .order_by(outbox.c.next_attempt_at, outbox.c.id)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(q).all()
        return [
            OutboxRow(**_delivery_fields(r), payload=json.loads(r.payload), posted=json.loads(r.posted or "[]"))
            for r in rows
        ]

    def get(self, key: str) -> OutboxRow | None:
        with self.engine.connect() as conn:
            r = conn.execute(select(outbox).where(outbox.c.key == key)).one_or_none()
        if r is None:
            return None
        return OutboxRow(**_delivery_fields(r), payload=json.loads(r.payload), posted=json.loads(r.posted or "[]"))

    # -- recovery ------------------------------------------------------------------------

    def recover(self, now: datetime | None = None, *, stale_after: timedelta = timedelta(0)) -> int:
        """Put rows left in ``sending`` (their process died mid-send) back to ``pending``,
        due at once; returns how many. Call it on start. The crashed attempt still counts.

        With one briefbot process every ``sending`` row at start is orphaned. When several
        processes flush one database, pass `stale_after` longer than the longest send so a
        row another live process is sending right now is left alone.
        """
        now = now or utcnow()
        cutoff = _to_db(now - stale_after)
        with self.engine.begin() as conn:
            res = conn.execute(
                update(outbox)
                .where(outbox.c.status == "sending", outbox.c.updated_at <= cutoff)
                .values(status="pending", next_attempt_at=_to_db(now), updated_at=_to_db(now))
            )
        n = int(res.rowcount or 0)
        if n:
            log.warning("outbox: %d message(s) were being sent when briefbot stopped; they will be sent again", n)
        return n

    # -- sending -------------------------------------------------------------------------

    def flush(
        self,
        senders: Mapping[str, Sender],
        now: datetime | None = None,
        *,
        clock: Callable[[], datetime] = utcnow,
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
        with self.engine.begin() as conn:
            res = conn.execute(
                update(outbox)
                .where(outbox.c.id == row.id, outbox.c.status == "pending", outbox.c.attempts == row.attempts)
                .values(status="sending", attempts=row.attempts + 1, updated_at=_to_db(now))
            )
        if res.rowcount != 1:
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
        if self._after_claim is not None:
            self._after_claim(row)
        try:
            posted = sender.deliver(row.destination, row.payload, builtins.list(row.posted))
        except Exception as e:  # a sender's bug must not stop the other rows
            if not isinstance(e, DeliveryError):
                log.exception("outbox: the %s sender crashed on %s", row.channel, row.key)
            self._failed_attempt(row, e, report, clock(), max_attempts)
            return
        if self._after_send is not None:
            self._after_send(row)
        now_db = _to_db(clock())
        with self.engine.begin() as conn:
            # Delivered wins over anything but delivered: even if a recover() meanwhile put
            # the row back, the service has it, so it must not be sent again.
            conn.execute(
                update(outbox)
                .where(outbox.c.id == row.id, outbox.c.status != "delivered")
                .values(status="delivered", posted=json.dumps(posted), last_error=None,
                        delivered_at=now_db, updated_at=now_db)
            )
        report.delivered.append(row.key)
        log.info("outbox: delivered %s (attempt %d)", row.key, row.attempts)

    def _failed_attempt(
        self, row: OutboxRow, e: Exception, report: FlushReport, now: datetime, max_attempts: int
    ) -> None:
        retryable = e.retryable if isinstance(e, DeliveryError) else True
        posted = row.posted
        if isinstance(e, DeliveryError) and len(e.posted) > len(posted):
            posted = builtins.list(e.posted)
        error = _error_text(e)
        values: dict[str, Any] = {"last_error": error, "posted": json.dumps(posted), "updated_at": _to_db(now)}
        if retryable and row.attempts < max_attempts:
            retry_after = e.retry_after if isinstance(e, DeliveryError) else None
            when = now + backoff(row.attempts, retry_after)
            values.update(status="pending", next_attempt_at=_to_db(when))
            report.retrying.append(row.key)
            if isinstance(e, DeliveryError):
                report.tripped.add(row.channel)
            log.warning("outbox: %s failed (attempt %d of %d), retrying at %s: %s",
                        row.key, row.attempts, max_attempts, when.isoformat(timespec="seconds"), error)
        else:
            values.update(status="failed")
            report.failed.append(row.key)
            why = f"gave up after {row.attempts} attempts" if retryable else "cannot be delivered"
            log.error("outbox: %s %s: %s", row.key, why, error)
        with self.engine.begin() as conn:
            # Only if still our claim: a recover() + another flusher may own the row now.
            conn.execute(
                update(outbox)
                .where(outbox.c.id == row.id, outbox.c.status == "sending", outbox.c.attempts == row.attempts)
                .values(**values)
            )

    # -- listing (last: `list` would shadow the builtin in annotations below it) ---------

    def list(self, status: Status | None = None, limit: int = 50) -> builtins.list[Delivery]:
        """The newest rows (optionally of one status), for ``briefbot deliveries``."""
        q = select(
            outbox.c.id, outbox.c.key, outbox.c.channel, outbox.c.destination, outbox.c.status,
            outbox.c.attempts, outbox.c.last_error, outbox.c.next_attempt_at, outbox.c.created_at,
            outbox.c.updated_at, outbox.c.delivered_at,
        ).order_by(outbox.c.created_at.desc(), outbox.c.id.desc()).limit(limit)
        if status is not None:
            q = q.where(outbox.c.status == status)
        with self.engine.connect() as conn:
            return [Delivery(**_delivery_fields(r)) for r in conn.execute(q)]


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
            messages = [Message(text=str(m["text"]), blocks=builtins.list(m.get("blocks") or [])) for m in payload]
        except (KeyError, TypeError, AttributeError) as e:
            raise DeliveryError(f"the stored Slack message is malformed ({type(e).__name__}: {e})",
                                hint="this is a briefbot bug, please report it",
                                retryable=False, code="invalid_payload", posted=posted) from None
        done = builtins.list(posted)
        rest = messages[len(done):]
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
                payload["subject"], payload["text"], payload.get("html"), builtins.list(to),
                payload["message_id"], payload.get("list_unsubscribe"),
            )
        except (KeyError, TypeError, AttributeError, ValueError) as e:
            raise DeliveryError(f"the stored email is invalid ({type(e).__name__}: {e})",
                                hint="check the email: destinations in config.yaml",
                                retryable=False, code="invalid_payload") from None
        result = self.sender.send(msg)
        if result.refused:
            # The others have it: sending again would duplicate it for them.
            log.warning("outbox: %s refused some recipients: %s", result.message_id,
                        "; ".join(f"{a}: {r}" for a, r in result.refused.items())[:500])
        return builtins.list(posted)
