"""Sources: what was configured, and how each one's last fetches went."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, insert, select, update

from .engine import from_db as _from_db
from .engine import to_db as _to_db
from .engine import utcnow
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


class SourcesMixin:
    engine: Engine

    def sync_sources(self, configured: Iterable[tuple[str, str]], now: datetime | None = None) -> None:
        """Make the sources table hold every configured (name, url); a changed URL resets its HTTP cache."""
        now = _to_db(now or utcnow())
        with self.engine.begin() as conn:
            existing = {r.name: r for r in conn.execute(select(sources.c.name, sources.c.url, sources.c.id))}
            for name, url in configured:
                row = existing.get(name)
                if row is None:
                    conn.execute(insert(sources).values(name=name, url=url, created_at=now))
                elif row.url != url:
                    conn.execute(
                        update(sources)
                        .where(sources.c.id == row.id)
                        .values(
                            url=url, etag=None, last_modified=None, consecutive_failures=0, wait_until=None
                        )
                    )

    def sources(self, names: Sequence[str] | None = None) -> list[SourceState]:
        q = select(sources).order_by(sources.c.name)
        if names is not None:
            q = q.where(sources.c.name.in_(list(names)))
        with self.engine.connect() as conn:
            rows = conn.execute(q).mappings().all()
        out = []
        for r in rows:
            d = {k: r[k] for k in SourceState.__dataclass_fields__}
            for k in ("last_fetch_at", "last_success_at", "wait_until", "next_due_at"):
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
                )
            )
            return int(
                conn.execute(
                    select(sources.c.consecutive_failures).where(sources.c.id == source_id)
                ).scalar_one()
            )
