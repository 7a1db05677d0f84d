"""The lint path's view of the database: published policies and the aliases that name an
organisation, one cache per process.

`PolicyCache.resolve(org, default)` answers from memory. At most once every `refresh_seconds`
per organisation it asks the database one indexed question, "what is the highest version
number?", and only when that number changed does it load and build the new document. So every
gunicorn worker sees a publish within `refresh_seconds` (default 2 s) plus one request, with no
sticky sessions, at the cost of one tiny query per org per worker per period.

Sooner with a `PublishSignal` (Redis, server/shared_state.py): `watch_publishes` bumps a
generation number after every commit that adds a policy version, and each cache reads that
number at most every `poll_seconds` (0.5 s); when it changed, every organisation's entry is
stale and the next request for it asks the database at once. A publish then reaches every
process within a second. When the signal cannot be read, the database period still holds.

`AliasCache.org_for(kind, value)` maps an Entra tenant id or a Google Workspace domain to its
organisation. It asks the database every time (an alias taken away stops working at once) and
keeps each answer for when the database cannot be asked.

Fail open (DESIGN.md: an outage of ours never stops anyone sending mail): when the database
cannot answer, the lint path goes on with what this process last knew, the organisation's last
policy and the tenant's or domain's last organisation, and where it knew nothing with the
defaults; `Resolved.fallback` and `AliasMatch.source` say which, so that the report can say so.
A `Breaker` shared by both keeps an outage from costing every request the connect timeout: after
a failure nothing on the lint path asks the database for `retry_seconds` (5 s), then one request
tries again. One warning is logged when an outage starts, one line when it ends.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal, Protocol, TypeVar

from marshmallow import ValidationError
from sqlalchemy import event, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from linters import Policy

from .. import metrics
from .models import AliasKind, Organisation, PolicyVersion
from .orgs import org_for_alias

log = logging.getLogger(__name__)

DEFAULT_REFRESH_SECONDS = 2.0
PUBLISH_POLL_SECONDS = 0.5  # how often a cache reads the publish generation, when it has one
DEFAULT_RETRY_SECONDS = 5.0
MAX_ALIASES = 10_000  # answers kept per process; a tenant or domain is a few dozen bytes

# `PolicyRef.fallback` and `.reason` (linters/model.py).
LAST_KNOWN = "last-known"
DEFAULTS = "defaults"
DATABASE_UNAVAILABLE = "database-unavailable"
POLICY_INVALID = "policy-invalid"

T = TypeVar("T")


class DatabaseUnavailable(Exception):
    """The database failed just now, or failed less than `retry_seconds` ago."""


class Breaker:
    """Whether the lint path should ask the database now: always while it answers; after a
    failure, once every `retry_seconds` (that one request finds out whether it is back, the
    others answer from memory at once)."""

    def __init__(
        self,
        *,
        retry_seconds: float = DEFAULT_RETRY_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.retry_seconds = retry_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._down_since: float | None = None
        self._retry_at = 0.0

    @property
    def down(self) -> bool:
        return self._down_since is not None

    def retry_after(self) -> float:
        """Seconds until the database is asked again (0 while it answers)."""
        if self._down_since is None:
            return 0.0
        return max(0.0, self._retry_at - self._clock())

    def allows(self) -> bool:
        if self._down_since is None:
            return True
        with self._lock:
            now = self._clock()
            if self._down_since is not None and now < self._retry_at:
                return False
            # This caller tries; the next one waits another period even if this one never says.
            self._retry_at = now + self.retry_seconds
            return True

    def succeeded(self) -> None:
        if self._down_since is None:
            return
        with self._lock:
            if self._down_since is None:
                return
            lasted = self._clock() - self._down_since
            self._down_since = None
        self.announce_recovery(lasted)

    def failed(self, error: BaseException) -> None:
        with self._lock:
            now = self._clock()
            self._retry_at = now + self.retry_seconds
            if self._down_since is not None:
                return
            self._down_since = now
        self.announce_failure(error)

    def announce_failure(self, error: BaseException) -> None:
        """Logged once when an outage starts (a subclass names what it costs)."""
        # The exception's text can hold the statement's parameters: log its type only.
        log.warning(
            "The database failed (%s): linting under the last policies known, the defaults "
            "where none is; trying it again every %g s.",
            type(error).__name__,
            self.retry_seconds,
        )

    def announce_recovery(self, lasted: float) -> None:
        log.info("The database answers again, after %.0f s.", lasted)

    def ask(self, query: Callable[[], T]) -> T:
        """`query()`'s answer, or DatabaseUnavailable without calling it (during an outage) or
        when it raises a database error."""
        if not self.allows():
            raise DatabaseUnavailable
        try:
            answer = query()
        except SQLAlchemyError as error:
            self.failed(error)
            raise DatabaseUnavailable(type(error).__name__) from None
        self.succeeded()
        return answer


@dataclass(frozen=True, slots=True)
class Resolved:
    """The policy to lint under, and why it is not the organisation's current one (if not):
    `fallback` LAST_KNOWN or DEFAULTS, `reason` DATABASE_UNAVAILABLE or POLICY_INVALID."""

    policy: Policy
    fallback: str | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class _Entry:
    checked_at: float
    version: int | None  # None: nothing published, lint under the defaults
    policy: Policy | None  # None: the defaults
    known: bool = True  # read from the database at least once
    invalid: bool = False  # `version` fails the loaded rules: the defaults instead
    unavailable: bool = False  # the last check could not ask the database
    generation: int | None = None  # the publish generation it was read under (PublishSignal)

    def resolved(self, default: Policy) -> Resolved:
        policy = default if self.policy is None else self.policy
        if self.unavailable:
            if self.known:
                return Resolved(policy, LAST_KNOWN, DATABASE_UNAVAILABLE)
            return Resolved(default, DEFAULTS, DATABASE_UNAVAILABLE)
        if self.invalid:
            return Resolved(default, DEFAULTS, POLICY_INVALID)
        return Resolved(policy)


class PublishSignal(Protocol):
    """A number shared by every process that changes whenever a policy is published."""

    def generation(self) -> int | None:
        """The number now; None when it cannot be read (then the database period holds)."""

    def bump(self) -> None:
        """Change it: a policy was published."""


_PUBLISHED = "draftlint.policy-published"


def watch_publishes(sessions: sessionmaker[Session], signal: PublishSignal) -> None:
    """Call `signal.bump()` after every commit through `sessions` that added a policy version
    (a publish or a rollback, from the admin API, the console or a script)."""

    @event.listens_for(sessions, "after_flush")
    def _note(session: Session, _context) -> None:
        # Still the flush's own view: `new` lists what it inserted.
        if any(isinstance(instance, PolicyVersion) for instance in session.new):
            session.info[_PUBLISHED] = True

    @event.listens_for(sessions, "after_commit")
    def _announce(session: Session) -> None:
        if session.info.pop(_PUBLISHED, False):
            signal.bump()

    @event.listens_for(sessions, "after_rollback")
    def _forget(session: Session) -> None:
        session.info.pop(_PUBLISHED, None)


class PolicyCache:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        refresh_seconds: float = DEFAULT_REFRESH_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        breaker: Breaker | None = None,
        signal: PublishSignal | None = None,
        poll_seconds: float = PUBLISH_POLL_SECONDS,
    ):
        self._sessions = sessions
        self._refresh_seconds = refresh_seconds
        self._clock = clock
        self._breaker = breaker or Breaker(clock=clock)
        self._entries: dict[str, _Entry] = {}
        # One refresh at a time per process: threads arriving meanwhile do not queue up
        # duplicate queries, they use the entry they have.
        self._refreshing = threading.Lock()
        self._signal = signal
        self._poll_seconds = poll_seconds
        self._generation: int | None = None
        self._polled_at = float("-inf")
        self._polling = threading.Lock()  # one reader of the generation at a time
        if signal is not None:
            watch_publishes(sessions, signal)

    def policy_for(self, org: str, default: Policy) -> Policy:
        """`org`'s published policy, or `default` (its registry builds the policy) if none."""
        return self.resolve(org, default).policy

    def resolve(self, org: str, default: Policy) -> Resolved:
        """`policy_for`, saying whether (and why) the answer is not `org`'s current policy."""
        entry = self._entries.get(org)
        now = self._clock()
        generation = self._current_generation(now)
        stale = (
            entry is None
            or now - entry.checked_at >= self._refresh_seconds
            or (generation is not None and entry.generation != generation)
        )
        metrics.cache_lookup("policy", hit=not stale)
        if stale and self._refreshing.acquire(blocking=entry is None):
            try:
                entry = replace(self._refresh(org, entry, default, now), generation=generation)
                self._entries[org] = entry
            finally:
                self._refreshing.release()
        return entry.resolved(default)

    def _current_generation(self, now: float) -> int | None:
        """The publish generation as last read, read again if `poll_seconds` have passed (by
        one thread; the others go on with the number they have)."""
        if self._signal is None:
            return None
        if now - self._polled_at >= self._poll_seconds and self._polling.acquire(blocking=False):
            try:
                self._polled_at = now
                generation = self._signal.generation()
                if generation is not None:
                    self._generation = generation
            finally:
                self._polling.release()
        return self._generation

    def _refresh(self, org: str, entry: _Entry | None, default: Policy, now: float) -> _Entry:
        def unchanged(version: int) -> bool:
            return entry is not None and entry.known and version == entry.version

        try:
            version, document = self._breaker.ask(lambda: self._read(org, unchanged))
        except DatabaseUnavailable:
            if entry is None:
                return _Entry(now, None, None, known=False, unavailable=True)
            return _Entry(now, entry.version, entry.policy, entry.known, entry.invalid, True)
        if version is None:
            return _Entry(now, None, None)
        if unchanged(version):
            return _Entry(now, version, entry.policy, invalid=entry.invalid)
        try:
            policy = Policy.build(document, registry=default.registry, org=org, version=version)
        except ValidationError as exc:
            log.error(
                "Version %s of %s's policy fails the loaded rules (%s); using the defaults.",
                version,
                org,
                exc.messages,
            )
            return _Entry(now, version, None, invalid=True)
        return _Entry(now, version, policy)

    def _read(self, org: str, unchanged: Callable[[int], bool]) -> tuple[int | None, dict | None]:
        """The published version number, and its document unless it is `unchanged`."""
        with self._sessions() as session:
            version = _published_number(session, org)
            if version is None or unchanged(version):
                return version, None
            return version, _document(session, org, version)


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


@dataclass(frozen=True, slots=True)
class AliasMatch:
    """An alias's organisation. `source`: "current" (the database's answer now), "last-known"
    (the database could not be asked; the last answer this process had) or "unknown" (it could
    not be asked and this process never had an answer: `slug` is None and means nothing)."""

    slug: str | None  # None: no organisation has this alias
    source: Literal["current", "last-known", "unknown"] = "current"


class AliasCache:
    def __init__(self, sessions: sessionmaker[Session], breaker: Breaker):
        self._sessions = sessions
        self._breaker = breaker
        self._known: dict[tuple[str, str], str | None] = {}
        self._lock = threading.Lock()

    def org_for(self, kind: AliasKind | str, value: str) -> AliasMatch:
        key = (AliasKind(kind).value, value.strip().lower())
        try:
            slug = self._breaker.ask(lambda: self._read(*key))
        except DatabaseUnavailable:
            with self._lock:
                if key in self._known:
                    return AliasMatch(self._known[key], "last-known")
            return AliasMatch(None, "unknown")
        with self._lock:
            if key not in self._known and len(self._known) >= MAX_ALIASES:
                del self._known[next(iter(self._known))]  # the oldest answer
            self._known[key] = slug
        return AliasMatch(slug)

    def _read(self, kind: str, value: str) -> str | None:
        with self._sessions() as session:
            org = org_for_alias(session, kind, value)
            return org.slug if org is not None else None
