"""Organisations, the identity-provider names that map to them, their admins, and one-time
sign-in links."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from . import audit
from .admin_sessions import end_admin_sessions
from .errors import AlreadyExists, NotFound
from .models import Admin, AliasKind, OrgAlias, Organisation, PolicyDraft, Role, SignInToken, utcnow

SLUG = re.compile(r"[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?")
SIGN_IN_LINK_LIFETIME = timedelta(hours=24)


def create_org(session: Session, slug: str, name: str, *, actor: str) -> Organisation:
    """A new organisation with an empty draft policy (the defaults) and nothing published."""
    if not SLUG.fullmatch(slug):
        raise ValueError(f"organisation slug {slug!r}: use lower-case letters, digits, . and -")
    org = Organisation(slug=slug, name=name)
    session.add(org)
    _flush_or_exists(session, f"organisation {slug!r}")
    session.add(PolicyDraft(org_id=org.id, document={}, revision=0, updated_by=actor))
    audit.record(session, org, actor, "org.create", f"org/{slug}", {"name": name})
    return org


def get_org(session: Session, slug: str) -> Organisation:
    org = session.scalar(select(Organisation).where(Organisation.slug == slug))
    if org is None:
        raise NotFound(f"no organisation {slug!r}")
    return org


def add_alias(
    session: Session, org: Organisation, kind: AliasKind | str, value: str, *, actor: str
) -> OrgAlias:
    """Map an Entra tenant id or a Google Workspace domain to `org`; each maps to one org."""
    kind = AliasKind(kind)
    alias = OrgAlias(org_id=org.id, kind=kind.value, value=value.strip().lower())
    session.add(alias)
    _flush_or_exists(session, f"{kind.value} {alias.value!r}")
    audit.record(
        session, org, actor, "alias.add", f"alias/{kind.value}/{alias.value}", {"kind": kind.value}
    )
    return alias


def org_for_alias(session: Session, kind: AliasKind | str, value: str) -> Organisation | None:
    """The organisation a token's tenant id or hosted domain belongs to, if any."""
    return session.scalar(
        select(Organisation)
        .join(OrgAlias, OrgAlias.org_id == Organisation.id)
        .where(OrgAlias.kind == AliasKind(kind).value, OrgAlias.value == value.strip().lower())
    )


def add_admin(
    session: Session, org: Organisation, email: str, role: Role | str, *, actor: str
) -> Admin:
    role = Role(role)
    admin = Admin(org_id=org.id, email=_normalise_email(email), role=role.value)
    session.add(admin)
    _flush_or_exists(session, f"admin {admin.email!r}")
    audit.record(session, org, actor, "admin.add", f"admin/{admin.email}", {"role": role.value})
    return admin


def get_admin(session: Session, org: Organisation, email: str) -> Admin | None:
    return session.scalar(
        select(Admin).where(Admin.org_id == org.id, Admin.email == _normalise_email(email))
    )


def list_admins(session: Session, org: Organisation) -> list[Admin]:
    return list(session.scalars(select(Admin).where(Admin.org_id == org.id).order_by(Admin.email)))


@dataclass(frozen=True, slots=True)
class Removal:
    """What `remove_admin` did."""

    email: str
    role: Role | None  # the role on the admin list; None: not on it (an app-role admin)
    sessions: int  # live sessions ended


def remove_admin(
    session: Session, org: Organisation, email: str, *, actor: str, now: datetime | None = None
) -> Removal:
    """Take `email` off the organisation's admin list, end every session of theirs and void
    their unused sign-in links. Someone who is not on the list but signed in through an Entra
    app role only has their sessions ended (the app role itself lives in Entra). NotFound when
    there is neither an admin nor a session to end."""
    email = _normalise_email(email)
    admin = get_admin(session, org, email)
    role = Role(admin.role) if admin is not None else None
    ended = end_admin_sessions(session, org, email, now=now)
    if admin is None and ended == 0:
        raise NotFound(f"no admin {email!r} in {org.slug}, and no session of theirs to end")
    if admin is not None:
        session.delete(admin)
        session.execute(
            delete(SignInToken)
            .where(SignInToken.org_id == org.id, SignInToken.email == email)
            .execution_options(synchronize_session=False)
        )
        session.flush()
    audit.record(
        session,
        org,
        actor,
        "admin.remove",
        f"admin/{email}",
        {"role": role.value if role else None, "sessions": ended},
    )
    return Removal(email=email, role=role, sessions=ended)


def issue_sign_in_token(
    session: Session,
    org: Organisation,
    email: str,
    *,
    actor: str,
    lifetime: timedelta = SIGN_IN_LINK_LIFETIME,
    now: datetime | None = None,
) -> str:
    """A one-time sign-in token for an existing admin. Only its hash is stored, so this return
    value is the only copy: put it in the link and hand the link over."""
    admin = get_admin(session, org, email)
    if admin is None:
        raise NotFound(f"no admin {email!r} in {org.slug}")
    token = secrets.token_urlsafe(32)
    now = now or utcnow()
    session.add(
        SignInToken(
            token_hash=_token_hash(token),
            org_id=org.id,
            email=admin.email,
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    audit.record(
        session,
        org,
        actor,
        "sign-in-link.issue",
        f"admin/{admin.email}",
        {"expires_at": (now + lifetime).isoformat()},
    )
    return token


def redeem_sign_in_token(session: Session, token: str, *, now: datetime | None = None) -> Admin:
    """The admin a token signs in, marking it used; NotFound if unknown, used or expired.

    The mark is a conditional UPDATE, so two requests racing with the same link cannot both win.
    """
    now = now or utcnow()
    claimed = session.execute(
        update(SignInToken)
        .where(
            SignInToken.token_hash == _token_hash(token),
            SignInToken.used_at.is_(None),
            SignInToken.expires_at > now,
        )
        .values(used_at=now)
        .returning(SignInToken.org_id, SignInToken.email)
        .execution_options(synchronize_session=False)
    ).one_or_none()
    if claimed is None:
        raise NotFound("this sign-in link is unknown, used or expired")
    admin = session.scalar(
        select(Admin).where(Admin.org_id == claimed.org_id, Admin.email == claimed.email)
    )
    if admin is None:
        raise NotFound("the admin this link was issued to has been removed")
    audit.record(session, admin.org, admin.email, "sign-in-link.use", f"admin/{admin.email}", {})
    return admin


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _normalise_email(email: str) -> str:
    return email.strip().lower()


def _flush_or_exists(session: Session, what: str) -> None:
    try:
        session.flush()
    except IntegrityError as exc:
        raise AlreadyExists(f"{what} exists already") from exc
