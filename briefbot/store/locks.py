"""Database-wide locks, so a step that must not run twice at once (story grouping) runs in one
instance at a time, whichever instances share the database.

PostgreSQL: a session advisory lock on a connection held for the step (released at once if
the process dies: its session ends). SQLite: a row of the ``locks`` table claimed with a
conditional UPDATE for a lease, taken over when the lease ran out or its holder, a process
on this host, is gone. (SQLite's own write lock cannot serve: the step's writes go through
other connections of the same engine, which would wait on it.)
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy import Engine, or_, select, text, update

from ..owner import is_dead
from .engine import to_db as _to_db
from .outbox import insert_ignore
from .schema import locks


def _advisory_key(name: str) -> int:
    return zlib.crc32(f"briefbot:{name}".encode())


class LocksMixin:
    engine: Engine

    @contextmanager
    def exclusive(self, name: str, owner: str, *, now: datetime, lease: timedelta) -> Iterator[bool]:
        """Hold the lock ``name`` for the block if no other instance holds it: yields True, or
        False at once (never waits) when another one does. ``lease`` bounds a SQLite holder
        that died on another host."""
        if self.engine.dialect.name == "postgresql":
            with self.engine.connect() as conn:
                key = _advisory_key(name)
                got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar())
                conn.commit()  # the lock is the session's: no transaction stays open meanwhile
                try:
                    yield got
                finally:
                    if got:
                        try:
                            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                            conn.commit()
                        except Exception:
                            conn.invalidate()  # a session still holding it must not go back to the pool
                            raise
            return
        got = self._take_lock_row(name, owner, now, lease)
        try:
            yield got
        finally:
            if got:
                with self.engine.begin() as conn:
                    conn.execute(
                        update(locks)
                        .where(locks.c.name == name, locks.c.owner == owner)
                        .values(owner=None, until=None)
                    )

    def _take_lock_row(self, name: str, owner: str, now: datetime, lease: timedelta) -> bool:
        now_db = _to_db(now)
        with self.engine.begin() as conn:
            insert_ignore(conn, locks, [dict(name=name)], ["name"])
            free = or_(locks.c.until.is_(None), locks.c.until < now_db)
            values = dict(owner=owner, until=_to_db(now + lease))
            if conn.execute(update(locks).where(locks.c.name == name, free).values(**values)).rowcount:
                return True
            holder = conn.execute(select(locks.c.owner).where(locks.c.name == name)).scalar()
            if holder and holder != owner and is_dead(holder):
                q = update(locks).where(locks.c.name == name, locks.c.owner == holder).values(**values)
                return bool(conn.execute(q).rowcount)
            return False

    def lock_holder(self, name: str, now: datetime) -> str | None:
        """Who holds the lock row ``name`` (SQLite), if anyone."""
        with self.engine.connect() as conn:
            r = conn.execute(select(locks.c.owner, locks.c.until).where(locks.c.name == name)).first()
        if r is None or r.owner is None or r.until is None or r.until < _to_db(now):
            return None
        return str(r.owner)
