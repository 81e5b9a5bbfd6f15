"""What the bot remembers between runs besides articles: digest runs, run-time watches, alerts sent."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from ..errors import BriefbotError
from ..model import Destination, Watch
from .engine import from_db as _from_db
from .engine import to_db as _to_db
from .engine import utcnow
from .outbox import OutboxMessage, enqueue_in, insert_ignore
from .schema import alerts, articles, digest_runs, watches


@dataclass
class DigestRun:
    digest: str
    scheduled_for: datetime | None
    window_start: datetime
    window_end: datetime
    stories: int


class StateMixin:
    engine: Engine

    # -- digest runs ---------------------------------------------------------------------
    def last_digest_run(self, digest: str) -> DigestRun | None:
        q = (
            select(digest_runs)
            .where(digest_runs.c.digest == digest)
            .order_by(digest_runs.c.window_end.desc(), digest_runs.c.id.desc())
            .limit(1)
        )
        with self.engine.connect() as conn:
            r = conn.execute(q).mappings().first()
        if r is None:
            return None
        return DigestRun(
            digest=r["digest"],
            scheduled_for=_from_db(r["scheduled_for"]),
            window_start=_from_db(r["window_start"]) or utcnow(),
            window_end=_from_db(r["window_end"]) or utcnow(),
            stories=r["stories"],
        )

    def digest_run_exists(self, digest: str, scheduled_for: datetime) -> bool:
        """Whether this occurrence of ``digest`` is recorded (by any instance)."""
        q = select(digest_runs.c.id).where(
            digest_runs.c.digest == digest, digest_runs.c.scheduled_for == _to_db(scheduled_for)
        )
        with self.engine.connect() as conn:
            return conn.execute(q.limit(1)).first() is not None

    def record_digest_run(
        self, run: DigestRun, messages: Sequence[OutboxMessage] = (), now: datetime | None = None
    ) -> bool:
        """Record a run, and queue its messages in the same transaction: a run is never recorded
        without its messages (the window would move on and they would never be sent), and
        messages are never queued for a run that is not recorded (a re-run would queue its
        window again under a new key and send it twice).

        The run row comes first and is unique per (digest, scheduled_for): when another
        instance recorded this occurrence first, nothing is written and False is returned."""
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(digest_runs).values(
                        digest=run.digest,
                        scheduled_for=_to_db(run.scheduled_for),
                        window_start=_to_db(run.window_start),
                        window_end=_to_db(run.window_end),
                        stories=run.stories,
                        created_at=_to_db(now or utcnow()),
                    )
                )
                enqueue_in(conn, list(messages), now or utcnow())
        except IntegrityError:
            if run.scheduled_for is None:  # only an occurrence is unique: this is something else
                raise
            return False
        return True

    # -- watches added at run time ---------------------------------------------------------
    def add_watch(self, watch: Watch) -> None:
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(watches).values(
                        name=watch.name,
                        query=watch.query,
                        destinations=json.dumps([str(d) for d in watch.to]),
                        mode=watch.mode,
                        created_by=watch.created_by,
                        created_at=_to_db(watch.created_at or utcnow()),
                    )
                )
        except IntegrityError:
            raise BriefbotError(
                f"a watch named {watch.name!r} already exists", hint="remove it first, or choose another name"
            ) from None

    def remove_watch(self, name: str) -> bool:
        with self.engine.begin() as conn:
            return bool(conn.execute(delete(watches).where(watches.c.name == name)).rowcount)

    def stored_watches(self) -> list[Watch]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(watches).order_by(watches.c.name)).mappings().all()
        return [
            Watch(
                name=r["name"],
                query=r["query"],
                to=tuple(Destination.parse(d) for d in json.loads(r["destinations"] or "[]")),
                mode="digest" if r["mode"] == "digest" else "immediate",
                origin="runtime",
                created_by=r["created_by"],
                created_at=_from_db(r["created_at"]),
            )
            for r in rows
        ]

    # -- alerts: one per (watch, story) ------------------------------------------------------
    def claim_alert(
        self, watch: str, story_id: int, article_id: int | None, now: datetime | None = None
    ) -> bool:
        """Record that `watch` alerted on `story_id`; False when it already had (the unique key decides)."""
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(alerts).values(
                        watch=watch,
                        story_id=story_id,
                        article_id=article_id,
                        created_at=_to_db(now or utcnow()),
                    )
                )
        except IntegrityError:
            return False
        return True

    def stories_to_check(self, limit: int = 500) -> list[int]:
        """Stories with a report whose alert check is not recorded yet, oldest first: new and
        edited reports, and those a crash left unchecked."""
        q = (
            select(articles.c.story_id)
            .where(articles.c.alert_checked.is_(False), articles.c.story_id.is_not(None))
            .group_by(articles.c.story_id)
            .order_by(func.min(articles.c.id))
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [int(r[0]) for r in conn.execute(q)]

    def record_alert_check(
        self,
        article_ids: Sequence[int],
        claims: Sequence[tuple[str, int, int | None]],
        messages: Sequence[OutboxMessage],
        now: datetime,
    ) -> None:
        """One alert step's result in one transaction: its messages queued, each (watch, story,
        article) claimed, and the reports it matched marked checked (only those it read: a
        report that joined a story meanwhile is checked by the next step). Killed before the commit, the
        next run does the step again; after it, never again."""
        now_db = _to_db(now)
        with self.engine.begin() as conn:
            enqueue_in(conn, list(messages), now)
            insert_ignore(
                conn,
                alerts,
                [dict(watch=w, story_id=sid, article_id=aid, created_at=now_db) for w, sid, aid in claims],
                ["watch", "story_id"],
            )
            for i in range(0, len(article_ids), 500):
                conn.execute(
                    update(articles)
                    .where(articles.c.id.in_(list(article_ids[i : i + 500])))
                    .values(alert_checked=True)
                )

    def count_alerts_since(self, watch: str, since: datetime) -> int:
        with self.engine.connect() as conn:
            return int(
                conn.execute(
                    select(func.count())
                    .select_from(alerts)
                    .where(alerts.c.watch == watch, alerts.c.created_at >= _to_db(since))
                ).scalar_one()
            )

    def alerted_stories(self, watch: str) -> set[int]:
        with self.engine.connect() as conn:
            return {r[0] for r in conn.execute(select(alerts.c.story_id).where(alerts.c.watch == watch))}
