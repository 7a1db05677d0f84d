"""Backtest runs of the admin console: progress, and the aggregate report (counts, no mail).

Revision ID: 0003
Revises: 0002
Create Date: 2025-07-01
"""

import sqlalchemy as sa
from alembic import op

from server.store.models import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "backtest_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("started_by", sa.String(320), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("upload_bytes", sa.BigInteger(), nullable=False),
        sa.Column("progress_bytes", sa.BigInteger(), nullable=False),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.Column("draft_revision", sa.Integer(), nullable=False),
        sa.Column("published_version", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(500), nullable=True),
        sa.Column("summary", sa.JSON(), nullable=True),
        sa.Column("report", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_backtest_runs"),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisations.id"],
            ondelete="CASCADE",
            name="fk_backtest_runs_org_id_organisations",
        ),
        sa.CheckConstraint(
            "status IN ('running', 'done', 'failed')", name="ck_backtest_runs_status"
        ),
    )
    op.create_index("ix_backtest_runs_org_id", "backtest_runs", ["org_id"])


def downgrade() -> None:
    op.drop_table("backtest_runs")
