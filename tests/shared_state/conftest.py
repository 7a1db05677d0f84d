"""Fixtures for the shared-state tests: the machine's Redis with a key prefix per test, a Redis
of the test's own that it can stop and start, and apps that run the reply-all-storm rule.

The machine's Redis is `$TEST_REDIS_URL` (default 127.0.0.1:6379, which `.ci/run` starts). When
it is unreachable these tests are skipped with the reason, except under CI (`$CI` set), where
they fail. A Redis the test stops (`own_redis`, tests/support/shared_redis.py) is a
`redis-server` subprocess on a free port, with nothing saved to disk.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from servers import unreachable
from shared_redis import API_KEY, AUTH, ORG, SECRET_KEY, OwnRedis

from linters.registry import Registry
from linters.rules.reply_all_storm import ReplyAllStorm
from server import store
from server.app import create_app


@pytest.fixture
def own_redis(tmp_path) -> Iterator[OwnRedis]:
    if shutil.which("redis-server") is None:
        unreachable("redis-server is not installed", "`make redis` installs it")
    server = OwnRedis(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def storm_rules() -> Registry:
    return Registry({ReplyAllStorm.id: ReplyAllStorm()})


@pytest.fixture
def make_app(storm_rules):
    """make_app(database_url, **config): an app with the storm rule, an API key for ORG (made
    here when missing) and the tests' secret key."""

    def make(database_url: str, **config):
        settings = {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "API_KEYS": {API_KEY: ORG},
            "SECRET_KEY": SECRET_KEY,
            **config,
        }
        app = create_app(settings, registry=storm_rules)
        sessions = app.extensions["draftlint.storage"].sessions
        with sessions.begin() as db:
            try:
                store.get_org(db, ORG)
            except store.NotFound:
                store.create_org(db, ORG, "Corp", actor="setup")
        return app

    return make


@pytest.fixture
def lint():
    """lint(client, draft) -> the report, asserting a 200."""

    def post(client, draft: dict) -> dict:
        response = client.post("/v1/lint", json=draft, headers=AUTH)
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()

    return post
