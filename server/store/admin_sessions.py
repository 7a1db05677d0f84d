"""Admin console sessions, kept in the database so that they can be ended: on sign-out, on
"sign out everywhere", and when an admin is removed.

A session is a random id, handed to the browser (in its signed cookie) and never stored: the
table holds its SHA-256 only. Sessions last `ADMIN_SESSION_LIFETIME` (8 hours) from sign-in,
whatever the browser does; ending one deletes its row, and rows past their expiry are purged
at the next sign-in (`purge_expired_admin_sessions`).

These functions do not write the audit log: the sign-in and sign-out routes do, and
`orgs.remove_admin` records the removal with the number of sessions it ended.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, func, select
from sqlalchemy.orm import Session

from .models import Admin, AdminSession, Organisation, Role, SignInMethod, utcnow

ADMIN_SESSION_LIFETIME = timedelta(hours=8)


@dataclass(frozen=True, slots=True)
class ActiveSession:
    """A live session as a request sees it: whose, with which role now, and since when."""

    org: str  # the organisation's slug
    email: str
    role: Role  # the admin list's role now, or the app role granted at sign-in
    app_role: bool
    method: SignInMethod
    created_at: datetime
    expires_at: datetime


def start_admin_session(
    session: Session,
    org: Organisation,
    email: str,
    role: Role | str,
    *,
    method: SignInMethod | str,
    app_role: bool = False,
    now: datetime | None = None,
    lifetime: timedelta = ADMIN_SESSION_LIFETIME,
) -> str:
    """A new session for an admin who has just signed in. The return value, the session id, is
    its only copy: it goes into the browser's cookie. `app_role`: the role came from the ID
    token's app roles, not from the admin list (see `find_admin_session`)."""
    now = now or utcnow()
    sid = secrets.token_urlsafe(32)
    session.add(
        AdminSession(
            sid_hash=session_id_hash(sid),
            org_id=org.id,
            email=email.strip().lower(),
            role=Role(role).value,
            app_role=app_role,
            method=SignInMethod(method).value,
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    session.flush()
    return sid


def find_admin_session(
    session: Session, sid: str, *, now: datetime | None = None
) -> ActiveSession | None:
    """The live session `sid` names, or None: unknown, ended or expired. One query, by primary
    key. A session from the admin list takes the list's role of now, and ends with its admin's
    row; one from an app role keeps the role its ID token granted."""
    now = now or utcnow()
    row = session.execute(
        select(AdminSession, Organisation.slug, Admin.role)
        .join(Organisation, Organisation.id == AdminSession.org_id)
        .outerjoin(
            Admin, and_(Admin.org_id == AdminSession.org_id, Admin.email == AdminSession.email)
        )
        .where(AdminSession.sid_hash == session_id_hash(sid))
    ).one_or_none()
    if row is None:
        return None
    record, slug, listed_role = row
    if record.expires_at <= now:
        return None
    if record.app_role:
        role = record.role
    elif listed_role is None:  # taken off the admin list
        return None
    else:
        role = listed_role
    return ActiveSession(
        org=slug,
        email=record.email,
        role=Role(role),
        app_role=record.app_role,
        method=SignInMethod(record.method),
        created_at=record.created_at,
        expires_at=record.expires_at,
    )


def end_admin_session(session: Session, sid: str) -> bool:
    """End one session (sign-out); whether there was one."""
    result = session.execute(
        delete(AdminSession)
        .where(AdminSession.sid_hash == session_id_hash(sid))
        .execution_options(synchronize_session=False)
    )
    return result.rowcount > 0


def end_admin_sessions(
    session: Session, org: Organisation, email: str, *, now: datetime | None = None
) -> int:
    """End every session of `email` in `org`, on every browser; how many were live."""
    now = now or utcnow()
    ended = session.scalars(
        delete(AdminSession)
        .where(AdminSession.org_id == org.id, AdminSession.email == email.strip().lower())
        .returning(AdminSession.expires_at)
        .execution_options(synchronize_session=False)
    ).all()
    return sum(1 for expires_at in ended if expires_at > now)


def count_admin_sessions(
    session: Session, org: Organisation, email: str, *, now: datetime | None = None
) -> int:
    """How many live sessions `email` has in `org`."""
    now = now or utcnow()
    return session.scalar(
        select(func.count())
        .select_from(AdminSession)
        .where(
            AdminSession.org_id == org.id,
            AdminSession.email == email.strip().lower(),
            AdminSession.expires_at > now,
        )
    )


def purge_expired_admin_sessions(session: Session, *, now: datetime | None = None) -> int:
    """Delete every expired session (of every organisation); how many."""
    now = now or utcnow()
    result = session.execute(
        delete(AdminSession)
        .where(AdminSession.expires_at <= now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def session_id_hash(sid: str) -> str:
    """What the table keeps of a session id. The id is 256 random bits, so a plain SHA-256
    cannot be reversed by guessing."""
    return hashlib.sha256(sid.encode()).hexdigest()
