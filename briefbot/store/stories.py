"""Story rows: which articles report the same event.

Kept beside the article store rather than in it: grouping is a decision made by the
analysis stage; the store only records it.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, update

from . import Store, _to_db, utcnow
from .schema import articles, stories


def create_story(store: Store, article_id: int, title: str | None, now: datetime | None = None) -> int:
    now_db = _to_db(now or utcnow())
    with store.engine.begin() as conn:
        sid = conn.execute(
            insert(stories)
            .values(title=title, created_at=now_db, updated_at=now_db, lead_article_id=article_id)
            .returning(stories.c.id)
        ).scalar_one()
        conn.execute(update(articles).where(articles.c.id == article_id).values(story_id=sid))
    return int(sid)


def join_story(store: Store, article_id: int, story_id: int, now: datetime | None = None) -> None:
    with store.engine.begin() as conn:
        conn.execute(update(articles).where(articles.c.id == article_id).values(story_id=story_id))
        conn.execute(update(stories).where(stories.c.id == story_id).values(updated_at=_to_db(now or utcnow())))

