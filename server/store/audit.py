"""The audit log: one entry per state change, written in the same transaction as the change, so
there is never a change without its entry or an entry for a change that was rolled back."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import AuditEntry, Organisation


def record(
    session: Session, org: Organisation, actor: str, action: str, target: str, change: dict
) -> AuditEntry:
    entry = AuditEntry(org_id=org.id, actor=actor, action=action, target=target, change=change)
    session.add(entry)
    session.flush()
    return entry


def list_entries(
    session: Session, org: Organisation, *, limit: int = 100, before_id: int | None = None
) -> list[AuditEntry]:
    """The organisation's entries, newest first; pass the last id seen as `before_id` to page."""
    query = select(AuditEntry).where(AuditEntry.org_id == org.id)
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    return list(session.scalars(query.order_by(AuditEntry.id.desc()).limit(limit)))
