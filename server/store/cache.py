"""The lint path's view of published policies: one cache per process, no shared state.

`PolicyCache.policy_for(org, default)` answers from memory. At most once every `refresh_seconds`
per organisation it asks the database one indexed question, "what is the highest version
number?", and only when that number changed does it load and build the new document. So every
gunicorn worker sees a publish within `refresh_seconds` (default 2 s) plus one request, with no
sticky sessions and no message bus, at the cost of one tiny query per org per worker per period.

Fail open: when the database cannot answer, the last policy built keeps being used (the
defaults if none was), and the next check comes a period later rather than on every request.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from marshmallow import ValidationError
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from linters import Policy

from .models import Organisation, PolicyVersion

log = logging.getLogger(__name__)

DEFAULT_REFRESH_SECONDS = 2.0


@dataclass(frozen=True, slots=True)
class _Entry:
    checked_at: float
    version: int | None  # None: nothing published, lint under the defaults
    policy: Policy | None


class PolicyCache:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        refresh_seconds: float = DEFAULT_REFRESH_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._sessions = sessions
        self._refresh_seconds = refresh_seconds
        self._clock = clock
        self._entries: dict[str, _Entry] = {}
        # One refresh at a time per process: threads arriving meanwhile do not queue up
        # duplicate queries, they use the entry they have.
        self._refreshing = threading.Lock()

    def policy_for(self, org: str, default: Policy) -> Policy:
        """`org`'s published policy, or `default` (its registry builds the policy) if none."""
        entry = self._entries.get(org)
        now = self._clock()
        stale = entry is None or now - entry.checked_at >= self._refresh_seconds
        if stale and self._refreshing.acquire(blocking=entry is None):
            try:
                entry = self._refresh(org, entry, default, now)
                self._entries[org] = entry
            finally:
                self._refreshing.release()
        return entry.policy or default

    def _refresh(self, org: str, entry: _Entry | None, default: Policy, now: float) -> _Entry:
        known = entry.version if entry else None
        try:
            with self._sessions() as session:
                version = _published_number(session, org)
                if version is None:
                    return _Entry(now, None, None)
                if version == known and entry is not None:
                    return _Entry(now, version, entry.policy)
                document = _document(session, org, version)
        except SQLAlchemyError as exc:
            # The exception's text can hold the statement's parameters: log its type only.
            log.warning(
                "Policy refresh for %s failed (%s); linting under the last policy known.",
                org,
                type(exc).__name__,
            )
            return _Entry(now, known, entry.policy if entry else None)
        try:
            policy = Policy.build(document, registry=default.registry, org=org, version=version)
        except ValidationError as exc:
            log.error(
                "Version %s of %s's policy fails the loaded rules (%s); using the defaults.",
                version,
                org,
                exc.messages,
            )
            return _Entry(now, version, None)
        return _Entry(now, version, policy)


def _published_number(session: Session, org: str) -> int | None:
    return session.scalar(
        select(func.max(PolicyVersion.number))
        .join(Organisation, Organisation.id == PolicyVersion.org_id)
        .where(Organisation.slug == org)
    )


def _document(session: Session, org: str, number: int) -> dict:
    return session.scalar(
        select(PolicyVersion.document)
        .join(Organisation, Organisation.id == PolicyVersion.org_id)
        .where(Organisation.slug == org, PolicyVersion.number == number)
    )
