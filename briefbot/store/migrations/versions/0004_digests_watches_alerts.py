"""Digest runs, run-time watches and alert state.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "digest_runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("digest", sa.String(200), nullable=False),
        sa.Column("scheduled_for", sa.DateTime),
        sa.Column("window_start", sa.DateTime, nullable=False),
        sa.Column("window_end", sa.DateTime, nullable=False),
        sa.Column("stories", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_digest_runs"),
    )
    op.create_index("ix_digest_runs_digest", "digest_runs", ["digest", "window_end"])
    op.create_table(
        "watches",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("query", sa.Text, nullable=False),
        sa.Column("destinations", sa.Text, nullable=False, server_default="[]"),
        sa.Column("mode", sa.String(20), nullable=False, server_default="immediate"),
        sa.Column("created_by", sa.String(200)),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_watches"),
        sa.UniqueConstraint("name", name="uq_watches_name"),
    )
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("watch", sa.String(200), nullable=False),
        sa.Column("story_id", sa.Integer, nullable=False),
        sa.Column("article_id", sa.Integer),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_alerts"),
        sa.UniqueConstraint("watch", "story_id", name="uq_alerts_watch_story"),
    )


def downgrade() -> None:
    op.drop_table("alerts")
    op.drop_table("watches")
    op.drop_index("ix_digest_runs_digest", "digest_runs")
    op.drop_table("digest_runs")
