"""What the app loads once at start: the rule registry and the default policy built from it."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import current_app

from linters import Policy, lint
from linters.registry import Registry, default_registry

from .problems import http_error

log = logging.getLogger(__name__)

EXTENSION = "draftlint"


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
        # One throw-away lint builds the lexicon tries and parsers now, not on a user's request.
        lint(
            {"compose_type": "reply_all", "body": {"type": "html", "content": "<p>ok</p>"}}, policy
        )
        return Engine(registry, policy)
    except Exception:  # a broken built-in rule: make it visible, not fatal
        log.exception("Could not load the lint rules; /readyz will report 503.")
        return None


def current_engine() -> Engine:
    engine = current_app.extensions.get(EXTENSION)
    if engine is None:
        raise http_error(503, "The lint rules failed to load; see the server log.")
    return engine
