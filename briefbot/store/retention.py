"""Retention: what is older than the configured period goes, so a tick's cost and the
database's size follow recent news rather than all history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, delete, exists, func, not_, select

from .engine import to_db as _to_db
from .schema import alerts, article_sources, articles, digest_runs, outbox, stories

VACUUM_AFTER = 10_000  # rows deleted by one prune before SQLite gets its space back


@dataclass
class Pruned:
    articles: int = 0
    stories: int = 0
    alerts: int = 0
    outbox: int = 0
    digest_runs: int = 0

    @property
    def total(self) -> int:
        return self.articles + self.stories + self.alerts + self.outbox + self.digest_runs


class RetentionMixin:
    engine: Engine

    def prune(self, cutoff: datetime) -> Pruned:
        """Delete what ended before `cutoff`: stories whose latest report is older (with all
        their reports and alerts), older reports that never joined a story, sent or failed
        messages, and digest runs (each digest keeps its latest, which starts its next window).
        A story still receiving reports keeps its old ones."""
        c = _to_db(cutoff)
        out = Pruned()
        with self.engine.begin() as conn:
            newer = select(articles.c.id).where(
                articles.c.story_id == stories.c.id, articles.c.first_seen_at >= c
            )
            old_stories = select(stories.c.id).where(stories.c.updated_at < c, not_(exists(newer)))
            ids = [r[0] for r in conn.execute(old_stories)]
            for i in range(0, len(ids), 500):
                chunk = ids[i : i + 500]
                gone = select(articles.c.id).where(articles.c.story_id.in_(chunk))
                conn.execute(delete(article_sources).where(article_sources.c.article_id.in_(gone)))
                out.articles += (
                    conn.execute(delete(articles).where(articles.c.story_id.in_(chunk))).rowcount or 0
                )
                out.alerts += conn.execute(delete(alerts).where(alerts.c.story_id.in_(chunk))).rowcount or 0
                out.stories += conn.execute(delete(stories).where(stories.c.id.in_(chunk))).rowcount or 0
            loose = select(articles.c.id).where(articles.c.story_id.is_(None), articles.c.first_seen_at < c)
            conn.execute(delete(article_sources).where(article_sources.c.article_id.in_(loose)))
            out.articles += (
                conn.execute(
                    delete(articles).where(articles.c.story_id.is_(None), articles.c.first_seen_at < c)
                ).rowcount
                or 0
            )
            out.outbox += (
                conn.execute(
                    delete(outbox).where(
                        outbox.c.status.in_(["delivered", "failed"]), outbox.c.updated_at < c
                    )
                ).rowcount
                or 0
            )
            latest = (
                select(digest_runs.c.digest, func.max(digest_runs.c.id).label("id"))
                .group_by(digest_runs.c.digest)
                .subquery()
            )
            out.digest_runs += (
                conn.execute(
                    delete(digest_runs).where(
                        digest_runs.c.created_at < c,
                        digest_runs.c.id.not_in(select(latest.c.id)),
                    )
                ).rowcount
                or 0
            )
        if out.total >= VACUUM_AFTER and self.engine.dialect.name == "sqlite":
            with self.engine.connect() as conn:
                conn.exec_driver_sql("VACUUM")
        return out


__all__ = ["Pruned", "RetentionMixin"]
