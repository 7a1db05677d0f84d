"""The database schema: SQLAlchemy 2 typed declarative models.

Nothing here holds mail: policy documents, who changed them, and counts (a backtest's report is
counts too). A draft's text, subject or
recipients never reach a table (tests/store/test_privacy.py checks that with a canary string).

Enumerations are short strings with CHECK constraints rather than native enum types: they read the
same in SQLite and PostgreSQL, and adding a value is a one-line migration on both.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class AliasKind(StrEnum):
    ENTRA_TENANT = "entra-tenant"  # a Microsoft Entra tenant id (a GUID)
    GOOGLE_DOMAIN = "google-domain"  # a Google Workspace primary domain


class Role(StrEnum):
    OWNER = "owner"  # everything, including managing admins
    EDITOR = "editor"  # edit, publish and roll back policies
    VIEWER = "viewer"  # read policies, audit log and statistics


class SignInMethod(StrEnum):
    """How an admin session began."""

    LINK = "link"  # a one-time link from `draftlint admin create`
    ENTRA = "entra"  # Microsoft Entra ID
    GOOGLE = "google"  # Google Workspace


class BacktestStatus(StrEnum):
    """Where a backtest run of the admin console stands."""

    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Outcome(StrEnum):
    """What a person did after a finding was shown; clients report these as counts."""

    SHOWN = "shown"
    CHANGED_RECIPIENTS = "changed_recipients"
    EDITED = "edited"
    SENT_ANYWAY = "sent_anyway"
    DISMISSED = "dismissed"


def _one_of(column: str, enum: type[StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(member.value) for member in enum)})"


class UTCDateTime(TypeDecorator):
    """An aware UTC datetime in and out. SQLite keeps no time zone, so results come back naive
    there; this makes every backend hand back the same aware value."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware one (datetime.now(UTC))")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


# Named constraints: Alembic can only alter or drop a constraint it can name, on both backends.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

EMAIL = String(320)  # RFC 5321's limit on a forward path


def _org_fk() -> Mapped[int]:
    return mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(253), unique=True)  # e.g. "corp.example"
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<Organisation {self.slug}>"


class OrgAlias(Base):
    """Maps an identity provider's name for an organisation to ours."""

    __tablename__ = "org_aliases"
    __table_args__ = (
        UniqueConstraint("kind", "value"),  # one tenant or domain belongs to one org
        CheckConstraint(_one_of("kind", AliasKind), name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = _org_fk()
    kind: Mapped[str] = mapped_column(String(32))
    value: Mapped[str] = mapped_column(String(255))  # lower-cased
    org: Mapped[Organisation] = relationship()


class Admin(Base):
    __tablename__ = "admins"
    __table_args__ = (
        UniqueConstraint("org_id", "email"),
        CheckConstraint(_one_of("role", Role), name="role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = _org_fk()
    email: Mapped[str] = mapped_column(EMAIL)  # lower-cased
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    org: Mapped[Organisation] = relationship()


class PolicyDraft(Base):
    """The one editable policy document of an organisation.

    `revision` goes up on every change (saves, and publishes, which consume the draft); the ETag is
    derived from it, and every write is a compare-and-set on it, so a stale write cannot land.
    """

    __tablename__ = "policy_drafts"

    org_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    document: Mapped[dict] = mapped_column(JSON)
    revision: Mapped[int] = mapped_column(Integer, default=0)
    updated_by: Mapped[str | None] = mapped_column(EMAIL)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def etag(self) -> str:
        return etag_for(self.revision)


def etag_for(revision: int) -> str:
    """A strong ETag (RFC 9110, quotes included) for a draft revision."""
    return f'"draft-{revision}"'


class PolicyVersion(Base):
    """A published policy document: immutable, numbered 1, 2, 3, ... per organisation.

    The highest number is the one in force: a rollback publishes a copy of an older version under
    a new number (`restored_from` says which), so history only ever grows. The draft lives in
    `policy_drafts`, so every row here is published and needs no state column.
    """

    __tablename__ = "policy_versions"
    __table_args__ = (UniqueConstraint("org_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = _org_fk()
    number: Mapped[int] = mapped_column(Integer)
    document: Mapped[dict] = mapped_column(JSON)
    author: Mapped[str] = mapped_column(EMAIL)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    comment: Mapped[str] = mapped_column(Text, default="")
    restored_from: Mapped[int | None] = mapped_column(Integer)


class AuditEntry(Base):
    """Who did what to which thing, when, and the change itself (e.g. a policy diff)."""

    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_org_id_created_at", "org_id", "created_at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    actor: Mapped[str] = mapped_column(EMAIL)
    action: Mapped[str] = mapped_column(String(64))  # e.g. "policy.publish"
    target: Mapped[str] = mapped_column(String(255))  # e.g. "policy/v12", "admin/a@corp.example"
    change: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Counter(Base):
    """How often something happened: one row per org, day, rule, severity and outcome."""

    __tablename__ = "counters"
    __table_args__ = (
        CheckConstraint(_one_of("outcome", Outcome), name="outcome"),
        CheckConstraint("count >= 0", name="count"),
    )

    org_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    rule: Mapped[str] = mapped_column(String(100), primary_key=True)
    severity: Mapped[str] = mapped_column(String(16), primary_key=True)
    outcome: Mapped[str] = mapped_column(String(32), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger)


class SignInToken(Base):
    """A one-time sign-in link. Only the SHA-256 of the token is kept: a database leak gives no
    working links."""

    __tablename__ = "sign_in_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # hex SHA-256
    org_id: Mapped[int] = _org_fk()
    email: Mapped[str] = mapped_column(EMAIL)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AdminSession(Base):
    """A signed-in admin console session. The browser's cookie holds a random session id; only
    its SHA-256 is kept here, so a database leak gives no working session. Ending a session is
    deleting its row; a row past `expires_at` is ended too (and purged at the next sign-in).

    `role` is the role granted at sign-in. With `app_role` false it came from the admin list,
    which is read again on every request (a lowered role applies at once, a removed admin is
    out); with `app_role` true it came from the ID token's app roles (Entra), and stands.
    """

    __tablename__ = "admin_sessions"
    __table_args__ = (
        Index("ix_admin_sessions_org_id_email", "org_id", "email"),
        CheckConstraint(_one_of("role", Role), name="role"),
        CheckConstraint(_one_of("method", SignInMethod), name="method"),
    )

    sid_hash: Mapped[str] = mapped_column(String(64), primary_key=True)  # hex SHA-256
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(EMAIL)  # lower-cased
    role: Mapped[str] = mapped_column(String(16))
    app_role: Mapped[bool] = mapped_column(Boolean)
    method: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class BacktestRun(Base):
    """A backtest of an uploaded mailbox, run from the admin console: who ran it and when, how far
    it got, and, once done, its aggregate report. Never any mail: the upload is read from a
    temporary file that is gone when the run ends, and `report` is the run's counts
    (`server.backtest.Tally` as JSON, with the run's facts): rule ids, severities, months,
    audience buckets, charset names, positions in the upload and keyed pseudonyms; no subject,
    body, excerpt, address or name.

    `updated_at` is the job's heartbeat: a run still marked running whose heartbeat is old ran
    in a process that has ended (server/admin/backtest.py reads it as stopped).
    `draft_revision` and `published_version` are the two policies it compared; publishing from
    its report uses the draft's ETag of then, so a draft changed since is not published unseen.
    """

    __tablename__ = "backtest_runs"
    __table_args__ = (CheckConstraint(_one_of("status", BacktestStatus), name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = _org_fk()
    started_by: Mapped[str] = mapped_column(EMAIL)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16))
    upload_bytes: Mapped[int] = mapped_column(BigInteger)
    progress_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    messages: Mapped[int] = mapped_column(Integer, default=0)  # items of the upload read so far
    draft_revision: Mapped[int] = mapped_column(Integer)
    published_version: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(500))  # our words, never the mail's
    summary: Mapped[dict | None] = mapped_column(JSON)  # a few figures for the list of runs
    report: Mapped[dict | None] = mapped_column(JSON, deferred=True)
