"""The current schema as SQLAlchemy Core tables.

Migrations under ``migrations/versions`` build exactly this; a test compares the
two so a change here without a migration fails loudly.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# Datetimes are stored as naive UTC: SQLite has no time zones, and one rule for both
# backends keeps comparisons right. The store converts at its edges.
sources = Table(
    "sources",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("url", Text, nullable=False),
    Column("etag", Text),
    Column("last_modified", Text),
    Column("last_fetch_at", DateTime),
    Column("last_success_at", DateTime),
    Column("last_status", String(20)),
    Column("last_error", Text),
    Column("consecutive_failures", Integer, nullable=False, server_default="0"),
    Column("wait_until", DateTime),
    Column("next_due_at", DateTime),
    Column("created_at", DateTime, nullable=False),
    # "host:pid:start" of the instance polling it now, until lease_until: another instance
    # leaves it alone until then (a crashed poller's claim simply expires).
    Column("claimed_by", Text),
    Column("lease_until", DateTime),
)

articles = Table(
    "articles",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(2048), nullable=False, unique=True),
    Column("url", Text),
    Column("guid", Text),
    Column("title", Text),
    Column("summary", Text),
    Column("text", Text, nullable=False, server_default=""),
    Column("text_full", Boolean, nullable=False, server_default="0"),
    Column("entry_hash", String(64), nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("published_at", DateTime),
    Column("first_seen_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Column("version", Integer, nullable=False, server_default="1"),
    Column("source_id", Integer, ForeignKey("sources.id", ondelete="SET NULL")),
    Column("analysis", Text),
    Column("analysis_hash", String(64)),
    Column("story_id", Integer),
    # JSON: why the report joined its story (briefbot.analyse.stories.Why), null when it started it
    Column("story_reason", Text),
    # False until the watches were matched against this report's story and its alerts queued
    # (in the same transaction): a crash in between leaves it False, and the next run does it.
    Column("alert_checked", Boolean, nullable=False, server_default=false()),
    # Set while an instance analyses it; another instance skips it until then.
    Column("analysis_claim_until", DateTime),
    Column("analysis_claimed_by", Text),  # host:pid:start of that instance
    Index("ix_articles_first_seen_at", "first_seen_at"),
    Index("ix_articles_story_id", "story_id"),
    Index("ix_articles_alert_checked", "alert_checked"),
)

article_sources = Table(
    "article_sources",
    metadata,
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
    Column("source_id", Integer, ForeignKey("sources.id", ondelete="CASCADE"), primary_key=True),
    Column("first_seen_at", DateTime, nullable=False),
)

# One row per event: articles from several outlets (and every version of one article)
# point at it through articles.story_id.
stories = Table(
    "stories",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("title", Text),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Column("lead_article_id", Integer),
    Index("ix_stories_updated_at", "updated_at"),
)

# Every outgoing message, stored before it is sent (briefbot.deliver.outbox): `key` makes
# enqueueing idempotent, `status` + `attempts` drive retries and the crash-safe claim,
# `posted` holds the Slack ts of a partly posted thread so a retry resumes it.
outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(1024), nullable=False, unique=True),
    Column("channel", String(20), nullable=False),
    Column("destination", Text, nullable=False),
    Column("payload", Text, nullable=False),
    Column("status", String(20), nullable=False, server_default="pending"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", DateTime, nullable=False),
    Column("last_error", Text),
    Column("posted", Text, nullable=False, server_default="[]"),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Column("delivered_at", DateTime),
    # "host:pid:start" of the process sending a `sending` row, so another process can tell a
    # row whose sender died (take it back at once) from one being sent right now (leave it).
    Column("claimed_by", Text),
    Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),
)

# One row per digest run: the next run's window starts where the last one ended, and
# a digest missed while the bot was down is caught up once.
digest_runs = Table(
    "digest_runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("digest", String(200), nullable=False),
    Column("scheduled_for", DateTime),
    Column("window_start", DateTime, nullable=False),
    Column("window_end", DateTime, nullable=False),
    Column("stories", Integer, nullable=False, server_default="0"),
    Column("created_at", DateTime, nullable=False),
    Index("ix_digest_runs_digest", "digest", "window_end"),
    # One run per scheduled occurrence, whichever instance gets there first (manual runs,
    # with no scheduled_for, are not limited: NULLs are distinct).
    Index("uq_digest_runs_occurrence", "digest", "scheduled_for", unique=True),
)

# Named database-wide locks held for a lease (story grouping on SQLite; PostgreSQL uses an
# advisory lock instead).
locks = Table(
    "locks",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("owner", Text),
    Column("until", DateTime),
)

# Watches added at run time (CLI, Slack); those in config.yaml are not stored here.
watches = Table(
    "watches",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("query", Text, nullable=False),
    Column("destinations", Text, nullable=False, server_default="[]"),
    Column("mode", String(20), nullable=False, server_default="immediate"),
    Column("created_by", String(200)),
    Column("created_at", DateTime, nullable=False),
)

# Alert state: one row per (watch, story), so a story is alerted once however many
# outlets carry it, however often it is edited, and across restarts.
alerts = Table(
    "alerts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("watch", String(200), nullable=False),
    Column("story_id", Integer, nullable=False),
    Column("article_id", Integer),
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("watch", "story_id", name="uq_alerts_watch_story"),
)
