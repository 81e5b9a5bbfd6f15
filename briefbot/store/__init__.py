"""Storage: one SQLAlchemy Core implementation for SQLite (default) and PostgreSQL.

Every query of the application is a method of ``Store`` (grouped by table in the
modules of this package); no other package writes SQL. The schema is versioned with
Alembic and upgraded on open, so a new release never needs the database deleted. All
writes happen on the caller's thread; fetching threads hand results back instead.
"""

from __future__ import annotations

from sqlalchemy import Engine, select
from sqlalchemy.exc import OperationalError

from ..errors import StoreError
from .articles import ArticleIn, ArticlesMixin, Change, StoredArticle
from .engine import current_revision, make_engine, migrate, safe_url, url_password, utcnow
from .locks import LocksMixin
from .outbox import Delivery, OutboxMessage, OutboxMixin, OutboxRow, Status
from .retention import Pruned, RetentionMixin
from .schema import articles, metadata
from .sources import SourcesMixin, SourceState
from .state import DigestRun, StateMixin

__all__ = [
    "ArticleIn",
    "Change",
    "Delivery",
    "DigestRun",
    "OutboxMessage",
    "OutboxRow",
    "Pruned",
    "SourceState",
    "Status",
    "Store",
    "StoredArticle",
    "current_revision",
    "make_engine",
    "metadata",
    "migrate",
    "safe_url",
    "url_password",
    "utcnow",
]


class Store(SourcesMixin, ArticlesMixin, StateMixin, OutboxMixin, RetentionMixin, LocksMixin):
    """The application's database: sources, articles and stories, watches, alerts, digests, outbox."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, url: str, *, upgrade: bool = True) -> Store:
        engine = make_engine(url)
        try:
            if upgrade:
                migrate(engine)
        except OperationalError as e:
            raise StoreError(
                f"cannot open database {safe_url(url)}: {str(e.orig).strip().splitlines()[0]}",
                hint="check the `database:` key in the config and that the server is running",
            ) from None
        return cls(engine)

    def close(self) -> None:
        self.engine.dispose()

    def ping(self) -> None:
        """One cheap query: raises when the database cannot answer (health checks)."""
        with self.engine.connect() as conn:
            conn.execute(select(articles.c.id).limit(1)).all()
