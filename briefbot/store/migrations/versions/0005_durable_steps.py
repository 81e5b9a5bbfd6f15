"""Durable steps: which articles' stories were checked for alerts, and who claimed an outbox row.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("articles") as batch:
        batch.add_column(sa.Column("alert_checked", sa.Boolean, nullable=False, server_default=sa.false()))
        batch.create_index("ix_articles_alert_checked", ["alert_checked"])
    # Everything stored before this version was alerted on (or not) by the old rule: never again.
    op.execute("UPDATE articles SET alert_checked = TRUE")
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("claimed_by", sa.Text))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("claimed_by")
    with op.batch_alter_table("articles") as batch:
        batch.drop_index("ix_articles_alert_checked")
        batch.drop_column("alert_checked")
