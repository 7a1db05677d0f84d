"""What the app loads once at start: the rule registry and the default policy built from it, and
the database connection with the lint path's caches (published policies, organisation aliases)
and the breaker they share (server/store/cache.py)."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import Engine as Database
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from linters import Policy, lint
from linters.registry import Registry, default_registry

from .problems import http_error
from .store import PolicyCache, connect, session_factory, upgrade
from .store.cache import AliasCache, Breaker, PublishSignal

log = logging.getLogger(__name__)

EXTENSION = "draftlint"
STORAGE = "draftlint.storage"


@dataclass(frozen=True)
class Engine:
    registry: Registry
    default_policy: Policy


def load_engine(registry: Registry | None = None) -> Engine | None:
    """Load the rules; None if that fails, so the process stays alive (healthz) but not ready
    (readyz), and the orchestrator keeps traffic away instead of restarting it in a loop."""
    try:
        registry = registry or default_registry()
        policy = Policy.build(registry=registry)
        # Linting every rule's own examples once loads each lexicon and builds each matcher now,
        # at start-up, instead of on the first person's request.
        for rule in registry:
            for example in rule.examples:
                lint(example.draft, policy)
        return Engine(registry, policy)
    except Exception:  # a broken built-in rule: make it visible, not fatal
        log.exception("Could not load the lint rules; /readyz will report 503.")
        return None


def current_engine() -> Engine:
    engine = current_app.extensions.get(EXTENSION)
    if engine is None:
        raise http_error(503, "The lint rules failed to load; see the server log.")
    return engine


@dataclass(frozen=True)
class Storage:
    database: Database
    sessions: sessionmaker[Session]
    policies: PolicyCache
    aliases: AliasCache
    # Shared by the lint path's look-ups and /v1/events: after a database failure they skip the
    # database for a few seconds instead of each waiting out the connect timeout.
    breaker: Breaker


def open_storage(
    url: str, *, migrate: bool, refresh_seconds: float, signal: PublishSignal | None = None
) -> Storage:
    """Connect (lazily: nothing is opened until the first query) and, if `migrate`, bring the
    schema to the newest revision first, as dev mode does; production runs `draftlint db upgrade`.
    `signal`: the publish generation the replicas share (server/shared_state.py), if any.
    """
    database = connect(url, bounded=True)
    if migrate:
        try:
            ensure_sqlite_folder(url)
            upgrade(database)
        except Exception:  # fail open: linting works without a database, under the defaults
            log.exception("Could not migrate the database; linting under the default policy.")
        # No pooled connection may outlive this call: a forked worker must not share it.
        database.dispose()
    sessions = session_factory(database)
    breaker = Breaker()
    return Storage(
        database,
        sessions,
        PolicyCache(sessions, refresh_seconds=refresh_seconds, breaker=breaker, signal=signal),
        AliasCache(sessions, breaker),
        breaker,
    )


def ensure_sqlite_folder(url: str) -> None:
    """SQLite creates the file, not the folder it goes in (the app's instance folder)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        os.makedirs(os.path.dirname(os.path.abspath(parsed.database)), exist_ok=True)


def current_storage() -> Storage:
    return current_app.extensions[STORAGE]
