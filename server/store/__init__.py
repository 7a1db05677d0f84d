"""Persistence: organisations, admins, versioned policies, the audit log, counters, sign-in links,
admin console sessions.

SQLAlchemy 2 over a SQLite file (the default: nothing to install) or PostgreSQL (`DATABASE_URL`),
schema by Alembic migrations (`migrate.upgrade` / `migrate.downgrade`, `draftlint db ...`).
Never any mail: no draft text, subject or recipient reaches a table.

The API is plain functions taking a `Session`; the caller owns the transaction
(`with sessions.begin() as session: ...`), so a change and its audit entry commit together or
not at all. Functions that change state take `actor` (who, for the audit log) and write one
`AuditEntry` each. After any exception, roll back (leaving the `begin()` block does).
Exceptions: `StaleWrite` (HTTP 412), `NotFound` (404), `AlreadyExists` (409), and marshmallow's
`ValidationError` from `Policy.build`, raised as is: its messages name each bad field (422).

Organisations (`orgs`):
    create_org(session, slug, name, *, actor) -> Organisation       # with an empty draft
    get_org(session, slug) -> Organisation                           # NotFound
    add_alias(session, org, kind, value, *, actor) -> OrgAlias  # entra-tenant | google-domain
    org_for_alias(session, kind, value) -> Organisation | None
    add_admin(session, org, email, role, *, actor) -> Admin     # owner | editor | viewer
    get_admin(session, org, email) -> Admin | None
    list_admins(session, org) -> list[Admin]
    remove_admin(session, org, email, *, actor) -> Removal   # and ends their sessions; NotFound
    issue_sign_in_token(session, org, email, *, actor, lifetime=24h) -> str   # only copy
    redeem_sign_in_token(session, token) -> Admin                    # once; NotFound otherwise

Admin console sessions (`admin_sessions`); only a SHA-256 of the session id is stored, and
ending a session deletes its row (these do not write the audit log; their callers do):
    start_admin_session(session, org, email, role, *, method, app_role=False) -> str  # the id
    find_admin_session(session, sid) -> ActiveSession | None   # live; the admin list's role now
    end_admin_session(session, sid) -> bool                     # sign-out
    end_admin_sessions(session, org, email) -> int              # everywhere; how many were live
    count_admin_sessions(session, org, email) -> int
    purge_expired_admin_sessions(session) -> int

Policies (`policies`); ETags are strong validators like '"draft-7"':
    get_draft(session, org) -> PolicyDraft                           # .document, .etag
    save_draft(session, org, document, *, if_match, actor, registry=None) -> PolicyDraft
    import_draft_yaml(session, org, text, *, if_match, actor, registry=None) -> PolicyDraft
    export_draft_yaml(session, org) -> str                           # the CLI's --policy format
    draft_policy(session, org, registry=None) -> Policy              # for previews
    publish(session, org, *, if_match, actor, comment="", registry=None) -> PolicyVersion
    rollback(session, org, number, *, if_match, actor, comment="", registry=None) -> PolicyVersion
    list_versions(session, org) -> list[PolicyVersion]               # newest first
    get_version(session, org, number) -> PolicyVersion               # NotFound
    current_version(session, org) -> PolicyVersion | None
    diff_versions(session, org, before, after) -> list[Change]       # {path, before, after}
    diff_documents(before, after) -> list[Change]                    # e.g. draft vs published

Backtest runs of the admin console (`backtests`): counts only, never mail:
    start_backtest(session, org, *, actor, upload_bytes, draft_revision, published_version,
                   from_domains=()) -> BacktestRun       # AlreadyExists while one runs
    backtest_progress(session, run_id, *, progress_bytes, messages) -> bool   # the heartbeat
    finish_backtest(session, run_id, *, report=None, summary=None, error=None) -> bool
    list_backtests(session, org) -> list[BacktestRun]     # newest first, reports deferred
    get_backtest(session, org, run_id) -> BacktestRun     # NotFound
    delete_backtest(session, org, run_id, *, actor)       # NotFound
    is_stale(run) -> bool                                 # "running", but its process ended

Audit log (`audit`):
    list_entries(session, org, *, limit=100, before_id=None) -> list[AuditEntry]  # newest first

Statistics (`stats`):
    record_events(session, org, [(day, rule, severity, outcome, count), ...])  # upsert-increment
    counts_per_rule_per_day(session, org, start, end, outcome="shown") -> [(day, rule, count)]
    counts_per_outcome(session, org, start, end, rule=None) -> {outcome: count}

The lint path reads published policies through `PolicyCache` (cache.py), never these functions.

Every function scopes its queries to the `org` it is given; the HTTP layer must only ever pass
the signed-in admin's own organisation (tests/store/test_isolation.py checks the store side).
"""

from .admin_sessions import (
    ADMIN_SESSION_LIFETIME,
    ActiveSession,
    count_admin_sessions,
    end_admin_session,
    end_admin_sessions,
    find_admin_session,
    purge_expired_admin_sessions,
    start_admin_session,
)
from .audit import list_entries
from .backtests import (
    backtest_progress,
    delete_backtest,
    finish_backtest,
    get_backtest,
    is_stale,
    list_backtests,
    start_backtest,
)
from .cache import PolicyCache
from .database import connect, resolve_url, session_factory
from .diff import Change, diff_documents
from .errors import AlreadyExists, NotFound, StaleWrite
from .migrate import downgrade, upgrade
from .models import (
    Admin,
    AdminSession,
    AliasKind,
    AuditEntry,
    BacktestRun,
    BacktestStatus,
    OrgAlias,
    Organisation,
    Outcome,
    PolicyDraft,
    PolicyVersion,
    Role,
    SignInMethod,
)
from .orgs import (
    Removal,
    add_admin,
    add_alias,
    create_org,
    get_admin,
    get_org,
    issue_sign_in_token,
    list_admins,
    org_for_alias,
    redeem_sign_in_token,
    remove_admin,
)
from .policies import (
    current_version,
    diff_versions,
    draft_policy,
    export_draft_yaml,
    get_draft,
    get_version,
    import_draft_yaml,
    list_versions,
    publish,
    rollback,
    save_draft,
)
from .stats import counts_per_outcome, counts_per_rule_per_day, record_events

__all__ = [
    "ADMIN_SESSION_LIFETIME",
    "ActiveSession",
    "Admin",
    "AdminSession",
    "AliasKind",
    "AlreadyExists",
    "AuditEntry",
    "BacktestRun",
    "BacktestStatus",
    "Change",
    "NotFound",
    "OrgAlias",
    "Organisation",
    "Outcome",
    "PolicyCache",
    "PolicyDraft",
    "PolicyVersion",
    "Removal",
    "Role",
    "SignInMethod",
    "StaleWrite",
    "add_admin",
    "add_alias",
    "backtest_progress",
    "connect",
    "count_admin_sessions",
    "counts_per_outcome",
    "counts_per_rule_per_day",
    "create_org",
    "current_version",
    "delete_backtest",
    "diff_documents",
    "diff_versions",
    "downgrade",
    "draft_policy",
    "end_admin_session",
    "end_admin_sessions",
    "export_draft_yaml",
    "find_admin_session",
    "finish_backtest",
    "get_admin",
    "get_backtest",
    "get_draft",
    "get_org",
    "get_version",
    "import_draft_yaml",
    "is_stale",
    "issue_sign_in_token",
    "list_admins",
    "list_backtests",
    "list_entries",
    "list_versions",
    "org_for_alias",
    "publish",
    "purge_expired_admin_sessions",
    "record_events",
    "redeem_sign_in_token",
    "remove_admin",
    "resolve_url",
    "rollback",
    "save_draft",
    "session_factory",
    "start_admin_session",
    "start_backtest",
    "upgrade",
]
