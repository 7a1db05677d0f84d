"""Organisations, admins, policy drafts and versions, audit log, counters, sign-in tokens.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

import sqlalchemy as sa
from alembic import op

from server.store.models import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

EMAIL = sa.String(320)
# Tables that hang off an organisation, with an index on org_id unless it leads the primary key.
ORG_TABLES_INDEXED = ("org_aliases", "admins", "policy_versions", "sign_in_tokens")


def _org_id() -> sa.Column:
    return sa.Column("org_id", sa.Integer(), nullable=False)


def _org_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["org_id"],
        ["organisations.id"],
        ondelete="CASCADE",
        name=f"fk_{table}_org_id_organisations",
    )


def upgrade() -> None:
    op.create_table(
        "organisations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(253), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_organisations"),
        sa.UniqueConstraint("slug", name="uq_organisations_slug"),
    )
    op.create_table(
        "org_aliases",
        sa.Column("id", sa.Integer(), nullable=False),
        _org_id(),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("value", sa.String(255), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_org_aliases"),
        _org_fk("org_aliases"),
        sa.UniqueConstraint("kind", "value", name="uq_org_aliases_kind"),
        sa.CheckConstraint("kind IN ('entra-tenant', 'google-domain')", name="ck_org_aliases_kind"),
    )
    op.create_table(
        "admins",
        sa.Column("id", sa.Integer(), nullable=False),
        _org_id(),
        sa.Column("email", EMAIL, nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_admins"),
        _org_fk("admins"),
        sa.UniqueConstraint("org_id", "email", name="uq_admins_org_id"),
        sa.CheckConstraint("role IN ('owner', 'editor', 'viewer')", name="ck_admins_role"),
    )
    op.create_table(
        "policy_drafts",
        _org_id(),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("updated_by", EMAIL, nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("org_id", name="pk_policy_drafts"),
        _org_fk("policy_drafts"),
    )
    op.create_table(
        "policy_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        _org_id(),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("author", EMAIL, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("restored_from", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_policy_versions"),
        _org_fk("policy_versions"),
        sa.UniqueConstraint("org_id", "number", name="uq_policy_versions_org_id"),
    )
    op.create_table(
        "audit_entries",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        _org_id(),
        sa.Column("actor", EMAIL, nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target", sa.String(255), nullable=False),
        sa.Column("change", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_entries"),
        _org_fk("audit_entries"),
    )
    op.create_index("ix_audit_entries_org_id_created_at", "audit_entries", ["org_id", "created_at"])
    op.create_table(
        "counters",
        _org_id(),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("rule", sa.String(100), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("org_id", "day", "rule", "severity", "outcome", name="pk_counters"),
        _org_fk("counters"),
        sa.CheckConstraint(
            "outcome IN ('shown', 'changed_recipients', 'edited', 'sent_anyway', 'dismissed')",
            name="ck_counters_outcome",
        ),
        sa.CheckConstraint("count >= 0", name="ck_counters_count"),
    )
    op.create_table(
        "sign_in_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        _org_id(),
        sa.Column("email", EMAIL, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_sign_in_tokens"),
        _org_fk("sign_in_tokens"),
        sa.UniqueConstraint("token_hash", name="uq_sign_in_tokens_token_hash"),
    )
    for table in ORG_TABLES_INDEXED:
        op.create_index(f"ix_{table}_org_id", table, ["org_id"])


def downgrade() -> None:
    for table in (
        "sign_in_tokens",
        "counters",
        "audit_entries",
        "policy_versions",
        "policy_drafts",
        "admins",
        "org_aliases",
        "organisations",
    ):
        op.drop_table(table)
