"""The reply-all-storm counts (server/thread_activity.py) through /v1/lint: shared by every app
on one Redis, one count per author, forgotten after the window, nothing of the mail in Redis,
and a Redis outage costs the rule (named in `failed_rules`), never the lint."""

from __future__ import annotations

import logging
import socket
import time

import pytest
import redis
from shared_redis import ORG, reply_all, storm

from server import store

THREAD_ACTIVITY = "draftlint.thread_activity"
SHARED = "draftlint.shared"


@pytest.fixture
def on_redis(make_app, sqlite_url, redis_url, redis_prefix):
    """on_redis(**config): an app on the machine's Redis under this test's key prefix."""

    def make(**config):
        return make_app(
            sqlite_url,
            REDIS_URL=redis_url,
            REDIS_KEY_PREFIX=redis_prefix,
            RATE_LIMIT_KEY_PREFIX=redis_prefix,
            **config,
        )

    return make


def test_the_counts_span_two_apps_on_one_redis(on_redis, lint):
    first, second = on_redis().test_client(), on_redis().test_client()
    for i, author in enumerate(["ana", "ben", "cas", "dee", "eli"]):
        client = (first, second)[i % 2]
        report = lint(client, reply_all(author))
        assert not storm(report), author
        assert "reply-all-storm" not in report["failed_rules"]

    (finding,) = storm(lint(second, reply_all("fay")))
    assert finding["message"] == (
        "5 people have already replied to all 2,401 recipients in the last hour."
    )
    assert finding["data"]["repliers"] == 5
    assert [fix["id"] for fix in finding["fixes"]] == ["reply-to-sender-only"]
    (finding,) = storm(lint(first, reply_all("gus")))
    assert finding["data"]["repliers"] == 6  # fay counted too, through the other app


def test_an_author_counts_once_and_never_against_themselves(on_redis, lint):
    client = on_redis().test_client()
    for _ in range(3):  # the same replies linted again and again (send, cancel, send)
        for author in ["ana", "ben", "cas", "dee"]:
            lint(client, reply_all(author))
    # Four others, however often they linted: not yet a storm for a fifth.
    assert not storm(lint(client, reply_all("eli")))
    # Ana again: the other four (ben, cas, dee, eli), not ana herself.
    assert not storm(lint(client, reply_all("ana")))
    (finding,) = storm(lint(client, reply_all("fay")))
    assert finding["data"]["repliers"] == 5
    (finding,) = storm(lint(client, reply_all("ana")))
    assert finding["data"]["repliers"] == 5  # ben, cas, dee, eli, fay


def test_taking_the_fix_takes_the_author_out_again(on_redis, lint):
    client = on_redis().test_client()
    for author in ["ana", "ben", "cas", "dee", "eli"]:
        lint(client, reply_all(author))
    assert storm(lint(client, reply_all("fay")))
    # Eli narrows their reply to the sender ("Reply to Facilities only") and sends it.
    lint(client, reply_all("eli", cc=[]))
    assert storm(lint(client, reply_all("gus")))[0]["data"]["repliers"] == 5  # ana..dee, fay


def test_other_threads_and_other_organisations_count_apart(on_redis, lint):
    client = on_redis().test_client()
    for author in ["ana", "ben", "cas", "dee", "eli"]:
        lint(client, reply_all(author, thread="conversation-1"))
    assert not storm(lint(client, reply_all("fay", thread="conversation-2")))
    assert storm(lint(client, reply_all("fay", thread="conversation-1")))


def test_the_window_forgets(on_redis, lint):
    app = on_redis()
    client = app.test_client()
    counter = app.extensions[THREAD_ACTIVITY]
    now = time.time()
    counter._clock = lambda: now
    for author in ["ana", "ben", "cas", "dee", "eli"]:
        lint(client, reply_all(author))
    counter._clock = lambda: now + 59 * 60
    assert storm(lint(client, reply_all("fay")))
    counter._clock = lambda: now + 61 * 60  # ana..eli are over an hour old; fay is not
    assert not storm(lint(client, reply_all("gus")))
    counter._clock = lambda: now + 61 * 60 + 1
    assert not storm(lint(client, reply_all("hal")))


def test_a_rule_turned_off_keeps_nothing(on_redis, lint, redis_url, redis_prefix):
    app = on_redis()
    sessions = app.extensions["draftlint.storage"].sessions
    with sessions.begin() as db:
        org = store.get_org(db, ORG)
        draft = store.save_draft(
            db,
            org,
            {"rules": {"reply-all-storm": {"severity": "off"}}},
            if_match=store.get_draft(db, org).etag,
            actor="it@corp.example",
            registry=app.extensions["draftlint"].registry,
        )
        store.publish(db, org, if_match=draft.etag, actor="it@corp.example")
    client = app.test_client()
    for author in ["ana", "ben", "cas", "dee", "eli", "fay"]:
        assert not storm(lint(client, reply_all(author)))
    keys = redis.Redis.from_url(redis_url).keys(f"{redis_prefix}:storm:*")
    assert keys == []


def test_without_redis_one_process_counts_in_its_memory(make_app, sqlite_url, lint):
    app = make_app(sqlite_url)
    client = app.test_client()
    for author in ["ana", "ben", "cas", "dee", "eli"]:
        assert not storm(lint(client, reply_all(author)))
    assert storm(lint(client, reply_all("fay")))
    # Another process (another app) without Redis knows nothing of it.
    assert not storm(lint(make_app(sqlite_url).test_client(), reply_all("gus")))


def test_a_client_cannot_claim_a_storm_the_server_did_not_count(on_redis, lint):
    client = on_redis().test_client()
    claimed = {"repliers": 50, "audience": 2400, "window_minutes": 60}
    assert not storm(lint(client, reply_all("ana", thread_activity=claimed)))
    # Without a thread the server counts nothing, and the caller's own fact stands.
    unthreaded = reply_all("ana", thread_activity=claimed)
    del unthreaded["thread_id"]
    assert storm(lint(client, unthreaded))


def test_redis_down_answers_and_names_the_rule_then_recovers(
    make_app, sqlite_url, own_redis, lint, caplog
):
    app = make_app(sqlite_url, REDIS_URL=own_redis.url)
    app.extensions[SHARED].breaker.retry_seconds = 0.2
    client = app.test_client()
    assert lint(client, reply_all("ana"))["failed_rules"] == []

    own_redis.stop()
    with caplog.at_level(logging.INFO, logger="server.shared_state"):
        started = time.monotonic()
        reports = [lint(client, reply_all(author)) for author in ["ben", "cas", "dee"]]
        took = time.monotonic() - started
        assert [r["failed_rules"] for r in reports] == [["reply-all-storm"]] * 3
        assert all(not storm(r) for r in reports)
        assert took < 1.0  # a refused connection, then the breaker: no waiting
        ours = [r for r in caplog.records if r.name == "server.shared_state"]
        warnings = [r for r in ours if r.levelno == logging.WARNING]
        assert len(warnings) == 1, [r.getMessage() for r in warnings]
        assert "Redis failed (ConnectionError)" in warnings[0].getMessage()
        assert "reply-all-storm is skipped" in warnings[0].getMessage()

        own_redis.start()  # empty: what it counted before is gone
        time.sleep(0.3)
        assert lint(client, reply_all("eli"))["failed_rules"] == []
        ours = [r for r in caplog.records if r.name == "server.shared_state"]
        assert any("Redis answers again" in r.getMessage() for r in ours)
    assert own_redis.client().keys("draftlint:storm:*")


def test_a_hung_redis_costs_a_lint_at_most_the_timeout(make_app, sqlite_url, lint):
    # A server that accepts the connection and never answers (a stalled Redis).
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    port = listener.getsockname()[1]
    try:
        app = make_app(
            sqlite_url, REDIS_URL=f"redis://127.0.0.1:{port}/0", RATE_LIMIT_STORAGE="memory://"
        )
        client = app.test_client()
        started = time.monotonic()
        report = lint(client, reply_all("ana"))
        first = time.monotonic() - started
        assert report["failed_rules"] == ["reply-all-storm"]
        assert first < 0.5  # TIMEOUT (50 ms) for the script, and the policy poll's
        started = time.monotonic()
        for author in ["ben", "cas", "dee"]:
            assert lint(client, reply_all(author))["failed_rules"] == ["reply-all-storm"]
        assert time.monotonic() - started < 0.3  # the breaker keeps Redis away meanwhile
    finally:
        listener.close()


CANARY = "canary4e1b7d"


def test_nothing_of_the_mail_reaches_redis(on_redis, lint, redis_url, redis_prefix):
    client = on_redis().test_client()
    for i in range(7):
        draft = reply_all(
            f"{CANARY}-{i}",
            thread=f"AAQk-{CANARY}-conversation",
            subject=f"Re: {CANARY} parking",
            body={"content": f"Me too {CANARY}"},
            to=[{"email": f"boss.{CANARY}@corp.example", "name": f"Boss {CANARY}"}],
        )
        lint(client, draft)
    assert storm(lint(client, reply_all(f"{CANARY}-x", thread=f"AAQk-{CANARY}-conversation")))

    server = redis.Redis.from_url(redis_url)
    keys = list(server.scan_iter(match=f"{redis_prefix}*"))
    assert any(b":storm:" in key for key in keys)
    dumped = []
    for key in keys:
        kind = server.type(key)
        if kind == b"zset":
            value = server.zrange(key, 0, -1, withscores=True)
        elif kind == b"hash":
            value = server.hgetall(key)
        elif kind == b"string":
            value = server.get(key)
        else:
            value = kind
        dumped.append(f"{key!r} {value!r}")
    text = "\n".join(dumped).lower()
    assert CANARY not in text
    assert "corp.example" not in text  # not even the organisation
    assert "conversation" not in text and "parking" not in text
