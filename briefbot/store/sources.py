"""Sources: what was configured, and how each one's last fetches went."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, and_, or_, select, update

from .engine import from_db as _from_db
from .engine import to_db as _to_db
from .engine import utcnow
from .outbox import insert_ignore
from .schema import sources


@dataclass
class SourceState:
    id: int
    name: str
    url: str
    etag: str | None = None
    last_modified: str | None = None
    last_fetch_at: datetime | None = None
    last_success_at: datetime | None = None
    last_status: str | None = None
    last_error: str | None = None
    consecutive_failures: int = 0
    wait_until: datetime | None = None
    next_due_at: datetime | None = None
    claimed_by: str | None = None  # host:pid:start of the instance polling it, until lease_until
    lease_until: datetime | None = None

    def holder(self, now: datetime) -> str | None:
        """Who is polling this source now (None: nobody, or a claim whose lease ran out)."""
        if self.claimed_by and self.lease_until and self.lease_until > now:
            return self.claimed_by
        return None


class SourcesMixin:
    engine: Engine

    def sync_sources(self, configured: Iterable[tuple[str, str]], now: datetime | None = None) -> None:
        """Make the sources table hold every configured (name, url); a changed URL resets its HTTP cache."""
        now = _to_db(now or utcnow())
        with self.engine.begin() as conn:
            existing = {r.name: r for r in conn.execute(select(sources.c.name, sources.c.url, sources.c.id))}
            added = []
            for name, url in configured:
                row = existing.get(name)
                if row is None:
                    added.append(dict(name=name, url=url, created_at=now))
                elif row.url != url:
                    conn.execute(
                        update(sources)
                        .where(sources.c.id == row.id)
                        .values(
                            url=url, etag=None, last_modified=None, consecutive_failures=0, wait_until=None
                        )
                    )
            # another instance starting at the same moment may add the same names: theirs stand
            insert_ignore(conn, sources, added, ["name"])

    def sources(self, names: Sequence[str] | None = None) -> list[SourceState]:
        q = select(sources).order_by(sources.c.name)
        if names is not None:
            q = q.where(sources.c.name.in_(list(names)))
        with self.engine.connect() as conn:
            rows = conn.execute(q).mappings().all()
        out = []
        for r in rows:
            d = {k: r[k] for k in SourceState.__dataclass_fields__}
            for k in ("last_fetch_at", "last_success_at", "wait_until", "next_due_at", "lease_until"):
                d[k] = _from_db(d[k])
            out.append(SourceState(**d))
        return out

    def source(self, name: str) -> SourceState:
        found = self.sources([name])
        if not found:
            raise KeyError(name)
        return found[0]

    def record_success(
        self,
        source_id: int,
        *,
        now: datetime,
        status: str,
        next_due: datetime,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> None:
        values = self.success_values(
            now=now, status=status, next_due=next_due, etag=etag, last_modified=last_modified
        )
        with self.engine.begin() as conn:
            self._record_success(conn, source_id, values)

    @staticmethod
    def _record_success(conn: Any, source_id: int, values: dict[str, Any]) -> None:
        conn.execute(update(sources).where(sources.c.id == source_id).values(**values))

    @staticmethod
    def success_values(
        *,
        now: datetime,
        status: str,
        next_due: datetime,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> dict[str, Any]:
        """The column values record_success writes, for ``ingest_feed(success=...)``."""
        values: dict[str, Any] = dict(
            last_fetch_at=_to_db(now),
            last_success_at=_to_db(now),
            last_status=status,
            last_error=None,
            consecutive_failures=0,
            wait_until=None,
            next_due_at=_to_db(next_due),
            claimed_by=None,  # the poll is over: the claim goes with its result
            lease_until=None,
        )
        if status != "not_modified":
            values.update(etag=etag, last_modified=last_modified)
        return values

    def record_failure(
        self, source_id: int, *, now: datetime, error: str, wait_until: datetime | None, next_due: datetime
    ) -> int:
        """Store the error and bump the failure count; returns the new count."""
        with self.engine.begin() as conn:
            conn.execute(
                update(sources)
                .where(sources.c.id == source_id)
                .values(
                    last_fetch_at=_to_db(now),
                    last_status="error",
                    last_error=error[:2000],
                    consecutive_failures=sources.c.consecutive_failures + 1,
                    wait_until=_to_db(wait_until),
                    next_due_at=_to_db(next_due),
                    claimed_by=None,
                    lease_until=None,
                )
            )
            return int(
                conn.execute(
                    select(sources.c.consecutive_failures).where(sources.c.id == source_id)
                ).scalar_one()
            )

    # -- claims: one instance polls a source at a time ------------------------------------
    def claim_source(
        self,
        source_id: int,
        owner: str,
        *,
        now: datetime,
        lease_until: datetime,
        due_only: bool = False,
        force: bool = False,
        take_from: str | None = None,
    ) -> bool:
        """Claim a source for one poll; False when another instance holds a live claim, or
        (``due_only``, unless ``force`` also the back-off) it is no longer due because
        another instance polled it since it was read. One conditional UPDATE: of two
        instances claiming at once, exactly one wins. ``take_from``: a holder known to be
        gone, whose live-looking claim is taken over."""
        now_db = _to_db(now)
        free = or_(sources.c.lease_until.is_(None), sources.c.lease_until < now_db)
        if take_from is not None:
            free = or_(free, sources.c.claimed_by == take_from)
        cond = [sources.c.id == source_id, free]
        if not force:
            cond.append(or_(sources.c.wait_until.is_(None), sources.c.wait_until <= now_db))
        if due_only:
            cond.append(or_(sources.c.next_due_at.is_(None), sources.c.next_due_at <= now_db))
        with self.engine.begin() as conn:
            res = conn.execute(
                update(sources).where(and_(*cond)).values(claimed_by=owner, lease_until=_to_db(lease_until))
            )
            return bool(res.rowcount)

    def release_sources(self, source_ids: Sequence[int], owner: str) -> None:
        """Drop ``owner``'s claims on these sources (a poll that ended without recording them)."""
        if not source_ids:
            return
        with self.engine.begin() as conn:
            conn.execute(
                update(sources)
                .where(sources.c.id.in_(list(source_ids)), sources.c.claimed_by == owner)
                .values(claimed_by=None, lease_until=None)
            )
