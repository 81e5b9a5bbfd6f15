"""Articles and the stories they belong to."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Engine, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from ..analyse.results import Analysis
from ..errors import StoreError
from ..model import StoryArticle
from ..owner import is_dead
from .engine import from_db as _from_db
from .engine import to_db as _to_db
from .engine import utcnow
from .schema import article_sources, articles, sources, stories
from .sources import SourcesMixin

Change = Literal["new", "updated", "unchanged"]


@dataclass
class ArticleIn:
    """What ingestion hands the store for one item."""

    key: str
    url: str | None
    guid: str | None
    title: str | None
    summary: str | None
    text: str
    text_full: bool
    entry_hash: str
    content_hash: str
    published: datetime | None = None


@dataclass
class StoredArticle(StoryArticle):
    """A stored article: what stories need, and the store's own bookkeeping."""

    summary: str | None = None
    updated: datetime | None = None
    version: int = 1
    content_hash: str = ""


class ArticlesMixin:
    engine: Engine

    def upsert_article(
        self, source_id: int, item: ArticleIn, now: datetime | None = None
    ) -> tuple[Change, int]:
        return self.upsert_articles(source_id, [item], now)[0]

    def upsert_articles(
        self, source_id: int, items: Sequence[ArticleIn], now: datetime | None = None
    ) -> list[tuple[Change, int]]:
        """Insert new articles, update edited ones, note that another source carries them too.

        An article is identified by its key alone: the same item in two feeds is one row,
        and an edited item (same key, new content) is an update, never a second article.
        Set-based and in one transaction: a feed's items cost a handful of statements, not
        a few per item (measured: per-row upserts were 80% of a first poll).
        """
        now_db = _to_db(now or utcnow())
        for _attempt in range(3):
            try:
                with self.engine.begin() as conn:
                    return self._upsert_batch(conn, source_id, items, now_db)
            except IntegrityError:
                continue  # another process inserted one of these first: go round, it is an update now
        raise StoreError(
            f"could not store {len(items)} articles: they kept conflicting with a concurrent writer"
        )

    @staticmethod
    def _ids_by_key(conn: Any, keys: Sequence[str], *cols: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for i in range(0, len(keys), 500):
            q = select(articles.c.id, articles.c.key, *cols).where(
                articles.c.key.in_(list(keys[i : i + 500]))
            )
            out.update({r.key: r for r in conn.execute(q)})
        return out

    def _upsert_batch(
        self,
        conn: Any,
        source_id: int,
        items: Sequence[ArticleIn],
        now_db: datetime | None,
        existing: dict[str, Any] | None = None,
    ) -> list[tuple[Change, int]]:
        """``existing``: rows already read in this transaction (with entry_hash, content_hash, text_full)."""
        latest = {item.key: item for item in items}  # a feed listing an item twice: the last one wins
        if existing is None:
            existing = self._ids_by_key(
                conn, list(latest), articles.c.entry_hash, articles.c.content_hash, articles.c.text_full
            )
        else:
            existing = {k: existing[k] for k in latest if k in existing}
        changes: dict[str, Change] = {}
        fresh = [item for key, item in latest.items() if key not in existing]
        fresh_ids: set[int] = set()
        if fresh:
            # RETURNING hands back the new ids with the insert itself (SQLite >= 3.35, PostgreSQL)
            inserted = conn.execute(
                insert(articles).returning(articles.c.id, articles.c.key, sort_by_parameter_order=True),
                [
                    dict(
                        key=item.key,
                        url=item.url,
                        guid=item.guid,
                        title=item.title,
                        summary=item.summary,
                        text=item.text,
                        text_full=item.text_full,
                        entry_hash=item.entry_hash,
                        content_hash=item.content_hash,
                        published_at=_to_db(item.published),
                        first_seen_at=now_db,
                        updated_at=now_db,
                        version=1,
                        source_id=source_id,
                    )
                    for item in fresh
                ],
            )
            for row in inserted:
                existing[row.key] = row
                fresh_ids.add(row.id)
            changes.update({item.key: "new" for item in fresh})
        for key, item in latest.items():
            if key in changes:
                continue
            row = existing[key]
            if row.content_hash == item.content_hash:
                if row.entry_hash != item.entry_hash:
                    conn.execute(
                        update(articles).where(articles.c.id == row.id).values(entry_hash=item.entry_hash)
                    )
                changes[key] = "unchanged"
            elif row.text_full and not item.text_full and row.entry_hash == item.entry_hash:
                changes[key] = "unchanged"  # never replace full text with a feed's summary of the same item
            else:
                conn.execute(
                    update(articles)
                    .where(articles.c.id == row.id)
                    .values(
                        url=item.url,
                        title=item.title,
                        summary=item.summary,
                        text=item.text,
                        text_full=item.text_full,
                        entry_hash=item.entry_hash,
                        content_hash=item.content_hash,
                        published_at=_to_db(item.published) if item.published else articles.c.published_at,
                        updated_at=now_db,
                        version=articles.c.version + 1,
                        analysis=None,
                        analysis_hash=None,
                        alert_checked=False,  # an edit is a new report of its story: match it again
                    )
                )
                changes[key] = "updated"
        ids = {key: existing[key].id for key in latest}
        self._link_sources(conn, list(ids.values()), source_id, now_db, fresh_ids)
        return [(changes[item.key], ids[item.key]) for item in items]

    @staticmethod
    def _link_sources(
        conn: Any,
        article_ids: list[int],
        source_id: int,
        now_db: datetime | None,
        fresh: AbstractSet[int] = frozenset(),
    ) -> None:
        """Link the articles to the source; ``fresh`` ids were inserted just now and cannot be linked yet."""
        linked: set[int] = set(fresh)
        known = [aid for aid in article_ids if aid not in fresh]
        for i in range(0, len(known), 500):
            q = select(article_sources.c.article_id).where(
                article_sources.c.source_id == source_id, article_sources.c.article_id.in_(known[i : i + 500])
            )
            linked.update(r[0] for r in conn.execute(q))
        missing = sorted(set(article_ids) - linked) + sorted(fresh & set(article_ids))
        if missing:
            conn.execute(
                insert(article_sources),
                [dict(article_id=aid, source_id=source_id, first_seen_at=now_db) for aid in missing],
            )

    def articles(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        ids: Sequence[int] | None = None,
        limit: int | None = None,
        unanalysed: bool = False,
        story_ids: Sequence[int] | None = None,
        ungrouped: bool = False,
        unclaimed_at: datetime | None = None,
    ) -> list[StoredArticle]:
        """Articles that arrived in [since, until), newest first, with the names of sources carrying them.

        ``story_ids``: only reports of these stories; ``ungrouped``: only analysed articles
        that have no story yet.
        """
        q = select(articles).order_by(articles.c.first_seen_at.desc(), articles.c.id.desc())
        if since is not None:
            q = q.where(articles.c.first_seen_at >= _to_db(since))
        if until is not None:
            q = q.where(articles.c.first_seen_at < _to_db(until))
        if ids is not None:
            q = q.where(articles.c.id.in_(list(ids)))
        if unanalysed:
            q = q.where(articles.c.analysis.is_(None))
        if unclaimed_at is not None:  # not being analysed by an instance at that time
            cut = _to_db(unclaimed_at)
            free = or_(articles.c.analysis_claim_until.is_(None), articles.c.analysis_claim_until < cut)
            dead = [h for h in self._analysis_holders(cut) if is_dead(h)]
            if dead:  # or claimed by a process on this host that is gone
                free = or_(free, articles.c.analysis_claimed_by.in_(dead))
            q = q.where(free)
        if story_ids is not None:
            q = q.where(articles.c.story_id.in_(list(story_ids)))
        if ungrouped:
            q = q.where(articles.c.story_id.is_(None), articles.c.analysis.is_not(None))
        if limit is not None:
            q = q.limit(limit)
        with self.engine.connect() as conn:
            rows = conn.execute(q).mappings().all()
            names: dict[int, list[str]] = {}
            if rows:
                link = (
                    select(article_sources.c.article_id, sources.c.name)
                    .join(sources, sources.c.id == article_sources.c.source_id)
                    .where(article_sources.c.article_id.in_([r["id"] for r in rows]))
                    .order_by(article_sources.c.first_seen_at, sources.c.name)
                )
                for aid, name in conn.execute(link):
                    names.setdefault(aid, []).append(name)
        return [
            StoredArticle(
                id=r["id"],
                key=r["key"],
                url=r["url"],
                title=r["title"],
                summary=r["summary"],
                text=r["text"],
                text_full=bool(r["text_full"]),
                published=_from_db(r["published_at"]),
                first_seen=_from_db(r["first_seen_at"]) or utcnow(),
                updated=_from_db(r["updated_at"]) or utcnow(),
                version=r["version"],
                sources=names.get(r["id"], []),
                analysis=Analysis.from_dict(json.loads(r["analysis"])) if r["analysis"] else None,
                story_reason=json.loads(r["story_reason"]) if r["story_reason"] else None,
                story_id=r["story_id"],
                content_hash=r["content_hash"],
            )
            for r in rows
        ]

    def articles_needing_analysis(
        self, limit: int | None = None, *, now: datetime | None = None
    ) -> list[StoredArticle]:
        """Articles without an analysis; with ``now``, only those no instance is analysing then."""
        return self.articles(unanalysed=True, limit=limit, unclaimed_at=now)

    # -- analysis claims: one instance analyses an article ---------------------------------
    def _analysis_holders(self, now_db: datetime | None) -> list[str]:
        """Who holds a live analysis claim."""
        q = (
            select(articles.c.analysis_claimed_by)
            .where(articles.c.analysis_claim_until >= now_db, articles.c.analysis_claimed_by.is_not(None))
            .distinct()
        )
        with self.engine.connect() as conn:
            return [str(h) for (h,) in conn.execute(q)]

    def claim_analysis(
        self, ids: Sequence[int], *, now: datetime, until: datetime, owner: str | None = None
    ) -> set[int]:
        """Claim these articles for analysis until ``until``; returns those claimed (the ones
        still without an analysis and not claimed by another instance, or whose claim ran out).
        One conditional UPDATE per 500: two instances claiming at once never both get one."""
        got: set[int] = set()
        now_db, until_db = _to_db(now), _to_db(until)
        with self.engine.begin() as conn:
            # claims of processes on this host that are gone are taken over at once
            live = articles.c.analysis_claim_until >= now_db
            holders = select(articles.c.analysis_claimed_by).where(live).distinct()
            dead = [h for (h,) in conn.execute(holders) if h and h != owner and is_dead(h)]
            free = or_(articles.c.analysis_claim_until.is_(None), articles.c.analysis_claim_until < now_db)
            if dead:
                free = or_(free, articles.c.analysis_claimed_by.in_(dead))
            for i in range(0, len(ids), 500):
                q = (
                    update(articles)
                    .where(
                        articles.c.id.in_(list(ids[i : i + 500])),
                        articles.c.analysis.is_(None),
                        free,
                    )
                    .values(analysis_claim_until=until_db, analysis_claimed_by=owner)
                    .returning(articles.c.id)
                )
                got.update(int(r[0]) for r in conn.execute(q))
        return got

    def renew_analysis_claims(self, ids: Sequence[int], until: datetime) -> None:
        """Push the claims on articles still being analysed (by their claimant) to ``until``."""
        with self.engine.begin() as conn:
            for i in range(0, len(ids), 500):
                conn.execute(
                    update(articles)
                    .where(
                        articles.c.id.in_(list(ids[i : i + 500])),
                        articles.c.analysis_claim_until.is_not(None),
                    )
                    .values(analysis_claim_until=_to_db(until))
                )

    def release_analysis_claims(self, ids: Sequence[int]) -> None:
        """Drop the claims on articles their claimant did not analyse (a failure, an edit)."""
        with self.engine.begin() as conn:
            for i in range(0, len(ids), 500):
                conn.execute(
                    update(articles)
                    .where(articles.c.id.in_(list(ids[i : i + 500])))
                    .values(analysis_claim_until=None, analysis_claimed_by=None)
                )

    def count_articles(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(articles)).scalar_one())

    def set_analysis(self, article_id: int, analysis: Analysis, content_hash: str) -> None:
        """Store an analysis, unless the article was edited meanwhile (then it waits for its next turn)."""
        body = json.dumps(analysis.to_dict(), ensure_ascii=False)
        with self.engine.begin() as conn:
            conn.execute(
                update(articles)
                .where(articles.c.id == article_id, articles.c.content_hash == content_hash)
                .values(
                    analysis=body,
                    analysis_hash=content_hash,
                    analysis_claim_until=None,
                    analysis_claimed_by=None,
                )
            )

    # -- stories: which articles report the same event -------------------------------------
    # Grouping is decided by the analysis stage (briefbot.analyse.stories); the store records it.

    def create_story(self, article_id: int, title: str | None, now: datetime | None = None) -> int:
        now_db = _to_db(now or utcnow())
        with self.engine.begin() as conn:
            sid = conn.execute(
                insert(stories)
                .values(title=title, created_at=now_db, updated_at=now_db, lead_article_id=article_id)
                .returning(stories.c.id)
            ).scalar_one()
            conn.execute(update(articles).where(articles.c.id == article_id).values(story_id=sid))
        return int(sid)

    def join_story(
        self,
        article_id: int,
        story_id: int,
        now: datetime | None = None,
        reason: dict[str, Any] | None = None,
    ) -> None:
        """Put the article in the story; `reason` says why (shown by `briefbot stories show`)."""
        why = json.dumps(reason, ensure_ascii=False) if reason is not None else None
        with self.engine.begin() as conn:
            conn.execute(
                update(articles)
                .where(articles.c.id == article_id)
                .values(story_id=story_id, story_reason=why)
            )
            conn.execute(
                update(stories).where(stories.c.id == story_id).values(updated_at=_to_db(now or utcnow()))
            )

    # -- polls with caps and article pages (briefbot.ingest.poll) ---------------------------------
    # An article whose page could not be had yet is stored with its feed summary and its entry
    # hash in upper case: a hex digest never is, so the marker costs no column, a re-read feed
    # never takes the item for unchanged (its hash differs), and `pages_to_retry` finds it again.

    @staticmethod
    def page_pending_hash(entry_hash: str) -> str:
        """The entry hash that marks an article as still waiting for its page."""
        return entry_hash.upper()

    @staticmethod
    def is_page_pending(entry_hash: str) -> bool:
        return entry_hash != entry_hash.lower()

    def ingest_feed(
        self,
        source_id: int,
        items: Sequence[ArticleIn],
        now: datetime,
        *,
        limit: int | None = None,
        defer: Callable[[ArticleIn, str | None, datetime | None], bool] | None = None,
        success: dict[str, Any] | None = None,
        validators: dict[str, Any] | None = None,
    ) -> tuple[int, list[ArticleIn], int, list[tuple[Change, int]]]:
        """One feed response in one transaction, with the source's state only as far as it is true.

        Items whose entry hash is stored already are only linked (also when the stored one is
        marked as waiting for its page: fetching it is ``pages_to_retry``'s business, the item
        itself is stored). Of the others, in feed order,
        the first ``limit`` are taken and the rest wait for a later poll (nothing of them is
        written). Of those taken, ``defer(item, stored entry hash, first seen)`` picks the ones that
        wait for their article page (returned untouched); the rest are stored.

        ``success`` (``success_values`` without validators) is written only when nothing is
        deferred: the caller writes it once the deferred items are stored (``store_pages``).
        ``validators`` (etag, last_modified) are written only when, besides, nothing waits; else
        the stored ones are cleared, so the next poll reads the whole feed again instead of being
        told 304 about items it never stored. Returns (unchanged count, deferred items, waiting
        count, changes of the stored items in their order).
        """
        now_db = _to_db(now)
        latest = {item.key: item for item in items}  # a feed listing an item twice: the last one wins
        cols = (
            articles.c.entry_hash,
            articles.c.content_hash,
            articles.c.text_full,
            articles.c.first_seen_at,
        )
        for _attempt in range(3):
            try:
                with self.engine.begin() as conn:
                    existing = self._ids_by_key(conn, list(latest), *cols)
                    unchanged: list[int] = []
                    todo: list[ArticleIn] = []
                    for key, item in latest.items():
                        row = existing.get(key)
                        if row is not None and row.entry_hash.lower() == item.entry_hash:
                            unchanged.append(row.id)
                        else:
                            todo.append(item)
                    taken = todo if limit is None else todo[: max(limit, 0)]
                    waiting = len(todo) - len(taken)
                    deferred: list[ArticleIn] = []
                    ready: list[ArticleIn] = []
                    for item in taken:
                        row = existing.get(item.key)
                        seen = _from_db(row.first_seen_at) if row is not None else None
                        stored_hash = row.entry_hash if row is not None else None
                        if defer is not None and defer(item, stored_hash, seen):
                            deferred.append(item)
                        else:
                            ready.append(item)
                    self._link_sources(conn, unchanged, source_id, now_db)
                    changes = self._upsert_batch(conn, source_id, ready, now_db, existing) if ready else []
                    if not deferred and success is not None:
                        SourcesMixin._record_success(conn, source_id, success)
                    if deferred or waiting:
                        SourcesMixin._record_success(conn, source_id, {"etag": None, "last_modified": None})
                    elif validators is not None:
                        SourcesMixin._record_success(conn, source_id, validators)
                    return len(unchanged), deferred, waiting, changes
            except IntegrityError:
                continue  # another process inserted one of these first: go round, it is an update now
        raise StoreError(
            f"could not store {len(items)} articles: they kept conflicting with a concurrent writer"
        )

    def store_pages(
        self,
        source_id: int,
        items: Sequence[ArticleIn],
        now: datetime,
        *,
        success: dict[str, Any] | None = None,
        validators: dict[str, Any] | None = None,
    ) -> list[tuple[Change, int]]:
        """Items that waited for their article page (fetched or not), and -- when this is the last
        of them -- the source's success and validators, in one transaction."""
        now_db = _to_db(now)
        for _attempt in range(3):
            try:
                with self.engine.begin() as conn:
                    changes = self._upsert_batch(conn, source_id, items, now_db) if items else []
                    if success is not None:
                        SourcesMixin._record_success(conn, source_id, success)
                    if validators is not None:
                        SourcesMixin._record_success(conn, source_id, validators)
                    return changes
            except IntegrityError:
                continue
        raise StoreError(
            f"could not store {len(items)} articles: they kept conflicting with a concurrent writer"
        )

    def pages_to_retry(
        self, source_ids: Sequence[int], since: datetime, per_source: int
    ) -> dict[int, list[ArticleIn]]:
        """Articles of these sources still waiting for their page (see ``page_pending_hash``) that
        were first seen after ``since``, oldest first, at most ``per_source`` each; as ArticleIn
        with the stored text and the pending entry hash."""
        if not source_ids or per_source <= 0:
            return {}
        rank = (
            func.row_number()
            .over(
                partition_by=article_sources.c.source_id,
                order_by=(articles.c.first_seen_at, articles.c.id),
            )
            .label("rank")
        )
        inner = (
            select(
                article_sources.c.source_id,
                articles.c.key,
                articles.c.url,
                articles.c.guid,
                articles.c.title,
                articles.c.summary,
                articles.c.text,
                articles.c.entry_hash,
                articles.c.content_hash,
                articles.c.published_at,
                rank,
            )
            .select_from(articles.join(article_sources, article_sources.c.article_id == articles.c.id))
            .where(
                article_sources.c.source_id.in_(list(source_ids)),
                articles.c.first_seen_at >= _to_db(since),
                articles.c.text_full.is_(False),
                articles.c.entry_hash != func.lower(articles.c.entry_hash),
            )
            .subquery()
        )
        q = select(inner).where(inner.c.rank <= per_source).order_by(inner.c.source_id, inner.c.rank)
        out: dict[int, list[ArticleIn]] = {}
        with self.engine.connect() as conn:
            for r in conn.execute(q):
                out.setdefault(int(r.source_id), []).append(
                    ArticleIn(
                        key=r.key,
                        url=r.url,
                        guid=r.guid,
                        title=r.title,
                        summary=r.summary,
                        text=r.text,
                        text_full=False,
                        entry_hash=r.entry_hash,
                        content_hash=r.content_hash,
                        published=_from_db(r.published_at),
                    )
                )
        return out
