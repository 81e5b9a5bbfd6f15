"""Claims, so several instances on one database share the work instead of repeating it: who
polls a source (and until when), until when an article is being analysed, a lock row for
story grouping on SQLite, and one digest run per (digest, scheduled occurrence).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sources") as batch:
        batch.add_column(sa.Column("claimed_by", sa.Text))
        batch.add_column(sa.Column("lease_until", sa.DateTime))
    with op.batch_alter_table("articles") as batch:
        batch.add_column(sa.Column("analysis_claim_until", sa.DateTime))
        batch.add_column(sa.Column("analysis_claimed_by", sa.Text))
    op.create_table(
        "locks",
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("owner", sa.Text),
        sa.Column("until", sa.DateTime),
        sa.PrimaryKeyConstraint("name", name="pk_locks"),
    )
    # An occurrence recorded twice by an older version: keep the run that ended last.
    op.execute(
        "DELETE FROM digest_runs WHERE scheduled_for IS NOT NULL AND EXISTS ("
        " SELECT 1 FROM digest_runs d2 WHERE d2.digest = digest_runs.digest"
        " AND d2.scheduled_for = digest_runs.scheduled_for"
        " AND (d2.window_end > digest_runs.window_end"
        "  OR (d2.window_end = digest_runs.window_end AND d2.id > digest_runs.id)))"
    )
    op.create_index("uq_digest_runs_occurrence", "digest_runs", ["digest", "scheduled_for"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_digest_runs_occurrence", table_name="digest_runs")
    op.drop_table("locks")
    with op.batch_alter_table("articles") as batch:
        batch.drop_column("analysis_claimed_by")
        batch.drop_column("analysis_claim_until")
    with op.batch_alter_table("sources") as batch:
        batch.drop_column("lease_until")
        batch.drop_column("claimed_by")
