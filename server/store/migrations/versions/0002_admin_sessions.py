"""Admin console sessions, kept server-side so they can be ended.

Revision ID: 0002
Revises: 0001
Create Date: 2025-06-01
"""

import sqlalchemy as sa
from alembic import op

from server.store.models import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "admin_sessions",
        sa.Column("sid_hash", sa.String(64), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("app_role", sa.Boolean(), nullable=False),
        sa.Column("method", sa.String(16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("sid_hash", name="pk_admin_sessions"),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisations.id"],
            ondelete="CASCADE",
            name="fk_admin_sessions_org_id_organisations",
        ),
        sa.CheckConstraint("role IN ('owner', 'editor', 'viewer')", name="ck_admin_sessions_role"),
        sa.CheckConstraint(
            "method IN ('link', 'entra', 'google')", name="ck_admin_sessions_method"
        ),
    )
    op.create_index("ix_admin_sessions_org_id_email", "admin_sessions", ["org_id", "email"])
    op.create_index("ix_admin_sessions_expires_at", "admin_sessions", ["expires_at"])


def downgrade() -> None:
    op.drop_table("admin_sessions")
