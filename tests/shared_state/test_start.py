"""What the server says at start about its shared state, and the settings behind it:
`REDIS_URL` (the rate limiter's storage unless set apart) and `REPLICAS`."""

from __future__ import annotations

import json
import logging
import os
import re

import pytest
from shared_redis import API_KEY, AUTH, ORG, Server, free_port, reply_all

from server.cli import main
from server.config import from_environment
from server.shared_state import check_at_start, per_process


def test_several_processes_without_redis_are_told_what_each_keeps():
    warning = per_process({"POLICY_REFRESH_SECONDS": 2}, workers=2)
    assert warning.startswith("No DRAFTLINT_REDIS_URL, and 2 processes (2 workers x 1 replicas)")
    for kept in (
        "reply-all-storm counts",
        "rate-limit counts (a caller may get up to 2 times each limit)",
        "published policies (each process rechecks the database every 2 s",
        "group sizes",
    ):
        assert kept in warning
    six = per_process({"REPLICAS": 3, "RATE_LIMIT_STORAGE": "redis://r:6379/1"}, workers=2)
    assert "6 processes (2 workers x 3 replicas)" in six
    assert "rate-limit" not in six  # those are shared already


@pytest.mark.parametrize(
    ("config", "workers"),
    [({}, 1), ({"REPLICAS": 1}, 1), ({"REDIS_URL": "redis://r:6379/0", "REPLICAS": 4}, 2)],
)
def test_one_process_or_redis_needs_no_warning(config, workers):
    assert per_process(config, workers=workers) is None


def test_start_says_whether_redis_answers(make_app, sqlite_url, redis_url, caplog):
    with caplog.at_level(logging.INFO, logger="server.shared_state"):
        check_at_start(make_app(sqlite_url, REDIS_URL=redis_url), workers=2)
        nowhere = f"redis://:secret-pw@127.0.0.1:{free_port()}/5"
        check_at_start(make_app(sqlite_url, REDIS_URL=nowhere), workers=2)
    messages = [r.getMessage() for r in caplog.records if r.name == "server.shared_state"]
    assert messages[0] == f"Sharing state through Redis at {redis_url.split('//')[1]}."
    assert re.fullmatch(
        r"Redis at 127\.0\.0\.1:\d+/5 does not answer \(ConnectionError\): .*", messages[1]
    )
    assert "secret-pw" not in caplog.text


def test_draftlint_serve_warns_without_redis(tmp_path):
    database_url = f"sqlite:///{tmp_path / 'draftlint.sqlite3'}"
    assert main(["db", "upgrade", "--database-url", database_url]) == 0
    admin = ["admin", "create", "--org", ORG, "--email", "it@corp.example"]
    assert main([*admin, "--database-url", database_url]) == 0
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DRAFTLINT_")},
        "DATABASE_URL": database_url,
        "DRAFTLINT_API_KEYS": json.dumps({API_KEY: ORG}),
    }
    server = Server(env, tmp_path, "serve", workers=2)
    try:
        server.wait_ready()
        # One process counts what it lints, in its memory: the rule works without Redis.
        assert server.lint(reply_all("ana"))["failed_rules"] == []
    finally:
        server.stop()
    log = server.log()
    assert "No DRAFTLINT_REDIS_URL, and 2 processes (2 workers x 1 replicas)" in log
    assert AUTH["Authorization"] not in log


def test_the_redis_url_is_checked():
    with pytest.raises(ValueError, match=re.escape("$DRAFTLINT_REDIS_URL")):
        from_environment({"DRAFTLINT_REDIS_URL": "127.0.0.1:6379"})
    with pytest.raises(ValueError, match=re.escape("$DRAFTLINT_REPLICAS")):
        from_environment({"DRAFTLINT_REPLICAS": "0"})
    given = {"DRAFTLINT_REDIS_URL": "rediss://r:6380/2", "DRAFTLINT_REPLICAS": "3"}
    assert from_environment(given) == {"REDIS_URL": "rediss://r:6380/2", "REPLICAS": 3}


def test_the_rate_limits_count_in_the_redis_url_unless_set_apart(
    make_app, sqlite_url, redis_url, redis_prefix
):
    config = {
        "REDIS_URL": redis_url,
        "REDIS_KEY_PREFIX": redis_prefix,
        "RATE_LIMIT_KEY_PREFIX": redis_prefix,
        "RATE_LIMIT_API": "2/minute",
    }
    first = make_app(sqlite_url, **config).test_client()
    second = make_app(sqlite_url, **config).test_client()
    apart = make_app(sqlite_url, **config, RATE_LIMIT_STORAGE="memory://").test_client()

    def status(client):
        return client.post("/v1/lint", json=reply_all("ana"), headers=AUTH).status_code

    assert [status(first), status(second), status(first)] == [200, 200, 429]
    assert [status(apart), status(apart), status(apart)] == [200, 200, 429]
