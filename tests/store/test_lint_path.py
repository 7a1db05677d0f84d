"""A publish reaches the lint path: the app lints under the caller's org's published policy."""

import socket
import threading
import time

from server import store
from server.app import create_app

API_KEY = "key-of-org-x-0123456789"
DRAFT = {"compose_type": "reply", "body": {"type": "text", "content": "OK, OK."}}


def _lint(client, headers=None):
    response = client.post("/v1/lint", json=DRAFT, headers=headers or {})
    assert response.status_code == 200
    return response.get_json()


def _publish(sessions, slug, document, rules):
    with sessions.begin() as session:
        org = store.get_org(session, slug)
        etag = store.get_draft(session, org).etag
        draft = store.save_draft(session, org, document, if_match=etag, actor="a@x", registry=rules)
        return store.publish(session, org, if_match=draft.etag, actor="a@x", registry=rules)


def _wait_for(check, seconds: float = 3.0):
    deadline = time.monotonic() + seconds
    while not (result := check()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return result


def test_an_api_key_caller_sees_a_publish_within_the_refresh_period(
    database_url, database, sessions, make_org, rules
):
    make_org("x.example")
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "API_KEYS": {API_KEY: "x.example"},
            "POLICY_REFRESH_SECONDS": 0.2,
        },
        registry=rules,
    )
    client = app.test_client()
    auth = {"Authorization": f"Bearer {API_KEY}"}

    before = _lint(client, auth)
    assert [f["rule"] for f in before["findings"]] == ["test-repeats-word"]
    assert before["policy"] == {"org": None, "version": None}  # the built-in defaults

    published_at = time.monotonic()
    _publish(sessions, "x.example", {"rules": {"test-repeats-word": {"severity": "off"}}}, rules)
    after = _wait_for(lambda: (report := _lint(client, auth))["findings"] == [] and report)

    assert after, "the publish never reached the lint path"
    assert time.monotonic() - published_at < 1.0
    assert after["policy"] == {"org": "x.example", "version": 1}


def test_dev_mode_migrates_on_start_and_lints_as_org_local(database_url, rules):
    app = create_app(
        {"DEV_MODE": True, "DATABASE_URL": database_url, "POLICY_REFRESH_SECONDS": 0},
        registry=rules,
    )
    client = app.test_client()
    assert _lint(client)["policy"] == {"org": None, "version": None}

    engine = store.connect(database_url)
    sessions = store.session_factory(engine)
    with sessions.begin() as session:
        store.create_org(session, "local", "Local development", actor="dev")
    _publish(sessions, "local", {"rules": {"test-repeats-word": {"times": 3}}}, rules)

    report = _lint(client)
    assert (report["findings"], report["policy"]) == ([], {"org": "local", "version": 1})
    engine.dispose()


def test_without_a_migrated_database_linting_still_works_under_the_defaults(database_url, rules):
    config = {"TESTING": True, "DATABASE_URL": database_url, "API_KEYS": {API_KEY: "x.example"}}
    client = create_app(config, registry=rules).test_client()

    report = _lint(client, {"Authorization": f"Bearer {API_KEY}"})

    assert report["policy"] == {
        "org": None,
        "version": None,
        "fallback": "defaults",
        "reason": "database-unavailable",
    }
    assert report["findings"]


def test_a_database_that_never_answers_costs_a_lint_seconds_not_a_worker(rules):
    """A PostgreSQL port that accepts connections and never says a word: the server's engine
    gives up within its connect timeout, and the lint answers under the defaults."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)  # accepted by the kernel, never read or answered
    port = silent.getsockname()[1]
    config = {
        "TESTING": True,
        "DATABASE_URL": f"postgresql+psycopg://draftlint@127.0.0.1:{port}/draftlint",
        "API_KEYS": {API_KEY: "x.example"},
    }
    client = create_app(config, registry=rules).test_client()
    result = {}

    def lint_once():
        result["report"] = _lint(client, {"Authorization": f"Bearer {API_KEY}"})

    worker = threading.Thread(target=lint_once, daemon=True)
    try:
        worker.start()
        worker.join(timeout=20)  # unbounded, libpq would wait for the kernel's TCP timeout
        assert not worker.is_alive(), "the lint waited on the silent database"
        assert result["report"]["policy"] == {
            "org": None,
            "version": None,
            "fallback": "defaults",
            "reason": "database-unavailable",
        }
    finally:
        silent.close()
