"""A policy published through one app is served by another within a second when they share a
Redis (the publish generation, server/shared_state.py), on SQLite and on PostgreSQL; without
Redis each waits for its own database recheck (`POLICY_REFRESH_SECONDS`)."""

from __future__ import annotations

import time

from shared_redis import ORG, reply_all

from server import store

REFRESH = 30  # seconds: only the shared generation can explain a publish seen sooner


def publish(app, document: dict) -> int:
    """Publish `document` for ORG the way the admin API does: through the app's sessions."""
    sessions = app.extensions["draftlint.storage"].sessions
    registry = app.extensions["draftlint"].registry
    with sessions.begin() as db:
        org = store.get_org(db, ORG)
        draft = store.save_draft(
            db,
            org,
            document,
            if_match=store.get_draft(db, org).etag,
            actor="it@corp.example",
            registry=registry,
        )
        return store.publish(
            db, org, if_match=draft.etag, actor="it@corp.example", registry=registry
        ).number


def served_version(client, lint) -> int | None:
    return lint(client, reply_all("ana"))["policy"]["version"]


def wait_for_version(client, lint, version: int, limit: float) -> float:
    """Seconds until `client` lints under `version`; fails after `limit`."""
    started = time.monotonic()
    while served_version(client, lint) != version:
        assert time.monotonic() - started < limit, f"version {version} not served in {limit} s"
        time.sleep(0.02)
    return time.monotonic() - started


def test_a_publish_reaches_the_other_app_within_a_second(
    make_app, database_url, redis_url, redis_prefix, lint
):
    config = {
        "REDIS_URL": redis_url,
        "REDIS_KEY_PREFIX": redis_prefix,
        "RATE_LIMIT_KEY_PREFIX": redis_prefix,
        "POLICY_REFRESH_SECONDS": REFRESH,
    }
    publisher, other = make_app(database_url, **config), make_app(database_url, **config)
    client = other.test_client()
    assert served_version(client, lint) is None  # cached: nothing published

    for version in (1, 2):
        assert publish(publisher, {"rules": {"reply-all-storm": {"min_reply_alls": version}}})
        assert wait_for_version(client, lint, version, limit=1.0) < 1.0


def test_without_redis_the_other_app_waits_for_its_recheck(make_app, database_url, lint):
    publisher = make_app(database_url, POLICY_REFRESH_SECONDS=REFRESH)
    other = make_app(database_url, POLICY_REFRESH_SECONDS=REFRESH)
    client = other.test_client()
    assert served_version(client, lint) is None
    publish(publisher, {"rules": {"reply-all-storm": {"min_reply_alls": 3}}})
    time.sleep(1.2)
    assert served_version(client, lint) is None
