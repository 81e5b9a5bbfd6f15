"""The outbox table's queries. The retry policy that drives them is in briefbot.deliver.outbox."""

from __future__ import annotations

import builtins
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import Connection, Engine, Table, insert, select, update
from sqlalchemy.exc import IntegrityError

from .engine import from_db as _from_db
from .engine import to_db as _to_db
from .schema import outbox

Status = Literal["pending", "sending", "delivered", "failed"]


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
    claimed_by: str | None = None  # host:pid:start of the process sending it (status sending)


@dataclass
class OutboxRow(Delivery):
    """A row with what is needed to send it."""

    payload: Any = None
    posted: list[str] = field(default_factory=list)


def _delivery_fields(r: Any) -> dict[str, Any]:
    return {
        "id": r.id,
        "key": r.key,
        "channel": r.channel,
        "destination": r.destination,
        "status": r.status,
        "attempts": r.attempts,
        "last_error": r.last_error,
        "next_attempt_at": _from_db(r.next_attempt_at),
        "created_at": _from_db(r.created_at),
        "updated_at": _from_db(r.updated_at),
        "delivered_at": _from_db(r.delivered_at),
        "claimed_by": r.claimed_by,
    }


@dataclass(frozen=True)
class OutboxMessage:
    """A rendered message to queue: stored together with the step's own record (an alert
    claim, a digest run) in one transaction, so neither exists without the other."""

    key: str
    channel: str
    destination: str
    payload: Any
    not_before: datetime | None = None


def insert_ignore(conn: Connection, table: Table, rows: list[dict[str, Any]], unique: list[str]) -> None:
    """INSERT ... ON CONFLICT DO NOTHING on both backends: a row already there is left as it is,
    without failing (and rolling back) the transaction it is part of."""
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        conn.execute(pg_insert(table).on_conflict_do_nothing(index_elements=unique), rows)
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        conn.execute(sqlite_insert(table).on_conflict_do_nothing(index_elements=unique), rows)


def enqueue_in(conn: Connection, messages: list[OutboxMessage], now: datetime) -> None:
    """Queue messages inside the caller's transaction; keys already queued are left untouched."""
    now_db = _to_db(now)
    insert_ignore(
        conn,
        outbox,
        [
            dict(
                key=m.key,
                channel=m.channel,
                destination=m.destination,
                payload=json.dumps(m.payload, ensure_ascii=False, sort_keys=True),
                status="pending",
                attempts=0,
                next_attempt_at=_to_db(m.not_before) if m.not_before else now_db,
                posted="[]",
                created_at=now_db,
                updated_at=now_db,
            )
            for m in messages
        ],
        ["key"],
    )


def _row(r: Any) -> OutboxRow:
    return OutboxRow(
        **_delivery_fields(r), payload=json.loads(r.payload), posted=json.loads(r.posted or "[]")
    )


class OutboxMixin:
    engine: Engine

    def outbox_enqueue(
        self,
        key: str,
        channel: str,
        destination: str,
        payload: Any,
        *,
        now: datetime,
        not_before: datetime | None,
    ) -> tuple[int, bool]:
        """Insert a pending row; the same key again returns the existing row's id and False.

        Insert first and fall back to reading on the unique key: one path for a repeated key
        and for two writers racing, with no window between a check and the insert.
        """
        body = json.dumps(payload, ensure_ascii=False, sort_keys=True)
        now_db = _to_db(now)
        try:
            with self.engine.begin() as conn:
                new_id = conn.execute(
                    insert(outbox)
                    .returning(outbox.c.id)
                    .values(
                        key=key,
                        channel=channel,
                        destination=destination,
                        payload=body,
                        status="pending",
                        attempts=0,
                        next_attempt_at=_to_db(not_before) if not_before else now_db,
                        posted="[]",
                        created_at=now_db,
                        updated_at=now_db,
                    )
                ).scalar_one()
            return int(new_id), True
        except IntegrityError as e:
            with self.engine.connect() as conn:
                found = conn.execute(select(outbox.c.id).where(outbox.c.key == key)).scalar_one_or_none()
            if found is None:  # not a duplicate key after all: surface the real error
                raise e from None
        return int(found), False

    def outbox_due(self, now: datetime, limit: int) -> builtins.list[OutboxRow]:
        """Pending rows whose time has come, oldest due first."""
        q = (
            select(outbox)
            .where(outbox.c.status == "pending", outbox.c.next_attempt_at <= _to_db(now))
            .order_by(outbox.c.next_attempt_at, outbox.c.id)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [_row(r) for r in conn.execute(q).all()]

    def outbox_get(self, key: str) -> OutboxRow | None:
        with self.engine.connect() as conn:
            r = conn.execute(select(outbox).where(outbox.c.key == key)).one_or_none()
        return None if r is None else _row(r)

    def outbox_recover(self, now: datetime, stale_after: timedelta) -> int:
        """``sending`` rows untouched for `stale_after` back to ``pending``, due now; returns how many."""
        with self.engine.begin() as conn:
            res = conn.execute(
                update(outbox)
                .where(outbox.c.status == "sending", outbox.c.updated_at <= _to_db(now - stale_after))
                .values(status="pending", next_attempt_at=_to_db(now), updated_at=_to_db(now))
            )
        return int(res.rowcount or 0)

    def outbox_claim(self, row_id: int, attempts: int, now: datetime, owner: str | None = None) -> bool:
        """Mark a row ``sending`` (attempts+1) by `owner`, only if it is still pending with `attempts`."""
        with self.engine.begin() as conn:
            res = conn.execute(
                update(outbox)
                .where(outbox.c.id == row_id, outbox.c.status == "pending", outbox.c.attempts == attempts)
                .values(status="sending", attempts=attempts + 1, updated_at=_to_db(now), claimed_by=owner)
            )
        return res.rowcount == 1

    def outbox_sending(self) -> builtins.list[tuple[int, str | None, datetime]]:
        """(id, claimed_by, claimed at) of every row being sent, to find those whose sender died."""
        q = select(outbox.c.id, outbox.c.claimed_by, outbox.c.updated_at).where(outbox.c.status == "sending")
        with self.engine.connect() as conn:
            return [(r.id, r.claimed_by, _from_db(r.updated_at) or datetime.min) for r in conn.execute(q)]

    def outbox_release_orphans(self, ids: builtins.list[int], now: datetime) -> int:
        """Put these ``sending`` rows back to ``pending``, due now (their sender is gone)."""
        if not ids:
            return 0
        with self.engine.begin() as conn:
            res = conn.execute(
                update(outbox)
                .where(outbox.c.id.in_(ids), outbox.c.status == "sending")
                .values(
                    status="pending", next_attempt_at=_to_db(now), updated_at=_to_db(now), claimed_by=None
                )
            )
        return int(res.rowcount or 0)

    def outbox_delivered(self, row_id: int, posted: list[str], now: datetime) -> None:
        """Delivered wins over anything but delivered: the service has the message."""
        now_db = _to_db(now)
        with self.engine.begin() as conn:
            conn.execute(
                update(outbox)
                .where(outbox.c.id == row_id, outbox.c.status != "delivered")
                .values(
                    status="delivered",
                    posted=json.dumps(posted),
                    last_error=None,
                    delivered_at=now_db,
                    updated_at=now_db,
                )
            )

    def outbox_release(
        self,
        row_id: int,
        attempts: int,
        *,
        status: Status,
        error: str,
        posted: list[str],
        now: datetime,
        next_attempt_at: datetime | None = None,
    ) -> None:
        """After a failed attempt: back to pending (with its next time) or failed, only if still our claim."""
        values: dict[str, Any] = {
            "status": status,
            "last_error": error,
            "posted": json.dumps(posted),
            "updated_at": _to_db(now),
        }
        if next_attempt_at is not None:
            values["next_attempt_at"] = _to_db(next_attempt_at)
        with self.engine.begin() as conn:
            conn.execute(
                update(outbox)
                .where(outbox.c.id == row_id, outbox.c.status == "sending", outbox.c.attempts == attempts)
                .values(**values)
            )

    def outbox_counts(self) -> dict[str, int]:
        """How many messages are in each status (for /metrics)."""
        from sqlalchemy import func

        q = select(outbox.c.status, func.count()).group_by(outbox.c.status)
        with self.engine.connect() as conn:
            return {str(status): int(n) for status, n in conn.execute(q)}

    def outbox_list(self, status: Status | None = None, limit: int = 50) -> builtins.list[Delivery]:
        """The newest rows (optionally of one status), for ``briefbot deliveries``."""
        q = (
            select(
                outbox.c.id,
                outbox.c.key,
                outbox.c.channel,
                outbox.c.destination,
                outbox.c.status,
                outbox.c.attempts,
                outbox.c.last_error,
                outbox.c.next_attempt_at,
                outbox.c.created_at,
                outbox.c.updated_at,
                outbox.c.delivered_at,
                outbox.c.claimed_by,
            )
            .order_by(outbox.c.created_at.desc(), outbox.c.id.desc())
            .limit(limit)
        )
        if status is not None:
            q = q.where(outbox.c.status == status)
        with self.engine.connect() as conn:
            return [Delivery(**_delivery_fields(r)) for r in conn.execute(q)]
