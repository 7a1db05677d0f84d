"""The database goes away under a running app (DESIGN.md: fail open).

Lint keeps answering: under the organisation's last policy this process saw, else the defaults,
and the report says which (`policy.fallback`, `policy.reason`). /v1/events, which only counts,
answers 503 with Retry-After. While the database is down, requests do not each wait for it: a
breaker skips it for a few seconds after a failure. One warning per outage, never a draft's word.

The database is taken away for real (tests/conftest.py `database_outage`): PostgreSQL behind a
TCP forwarder that stops listening, a SQLite file whose folder is renamed away.
"""

import logging
import socket
import time
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from linters import Policy
from server import store
from server.app import create_app
from server.store.cache import AliasCache, AliasMatch, Breaker, PolicyCache

API_KEY = "key-of-corp-0123456789abcdef"
ORG = "corp.example"
SECRET_WORDS = "OK, OK: the merger closes on Friday"
DRAFT = {"compose_type": "reply", "body": {"type": "text", "content": SECRET_WORDS}}
EVENTS = {"events": [{"rule": "test-repeats-word", "severity": "warning", "outcome": "shown"}]}
RETRY = 0.3  # the breaker's period in these tests, instead of 5 s
DEGRADED = {"fallback": "last-known", "reason": "database-unavailable"}
DEFAULTS = {"org": None, "version": None, "fallback": "defaults", "reason": "database-unavailable"}


@pytest.fixture
def make_app(database_outage, rules):
    """The app on the outage's database with organisation corp.example (API_KEY) and, unless
    `publish` is None, a published policy: "OK" must appear twice to count."""

    def make(*, publish: dict | None = None, orgs=(ORG,)):
        app = create_app(
            {
                "TESTING": True,
                "DATABASE_URL": database_outage.url,
                "API_KEYS": {API_KEY: ORG},
                "POLICY_REFRESH_SECONDS": 0.05,
            },
            registry=rules,
        )
        app.extensions["draftlint.storage"].breaker.retry_seconds = RETRY
        sessions = app.extensions["draftlint.storage"].sessions
        for slug in orgs:
            with sessions.begin() as db:
                org = store.create_org(db, slug, slug.title(), actor="setup")
                if publish is not None:
                    draft = store.get_draft(db, org)
                    draft = store.save_draft(
                        db, org, publish, if_match=draft.etag, actor="setup", registry=rules
                    )
                    store.publish(db, org, if_match=draft.etag, actor="setup", registry=rules)
        return app

    return make


TWICE = {"rules": {"test-repeats-word": {"times": 2, "severity": "hint"}}}


def _lint(client, draft=DRAFT):
    response = client.post("/v1/lint", json=draft, headers={"Authorization": f"Bearer {API_KEY}"})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def _after_the_breaker_period():
    time.sleep(RETRY + 0.1)


def test_a_lint_keeps_the_last_known_policy_and_says_so(make_app, database_outage):
    app = make_app(publish=TWICE)
    client = app.test_client()
    before = _lint(client)
    assert before["policy"] == {"org": ORG, "version": 1}
    assert [f["severity"] for f in before["findings"]] == ["hint"]  # the published policy

    database_outage.cut(app)
    time.sleep(0.1)  # past the refresh period: the policy is asked for again
    during = [_lint(client) for _ in range(3)]

    for report in during:
        assert report["policy"] == {"org": ORG, "version": 1, **DEGRADED}
        assert [f["severity"] for f in report["findings"]] == ["hint"]

    database_outage.restore()
    _after_the_breaker_period()
    assert _lint(client)["policy"] == {"org": ORG, "version": 1}


def test_an_organisation_never_seen_lints_under_the_defaults_and_says_so(make_app, database_outage):
    app = make_app(publish=TWICE)
    database_outage.cut(app)

    report = _lint(app.test_client())

    assert report["policy"] == DEFAULTS
    assert [f["severity"] for f in report["findings"]] == ["warning"]  # the rule's default


def test_dev_mode_lints_through_an_outage(database_outage, rules):
    config = {"DEV_MODE": True, "TESTING": True, "POLICY_REFRESH_SECONDS": 0.05}
    app = create_app({**config, "DATABASE_URL": database_outage.url}, registry=rules)
    client = app.test_client()
    assert client.post("/v1/lint", json=DRAFT).get_json()["policy"] == {
        "org": None,
        "version": None,
    }
    database_outage.cut(app)
    time.sleep(0.1)

    response = client.post("/v1/lint", json=DRAFT)

    assert response.status_code == 200
    assert response.get_json()["policy"] == {"org": None, "version": None, **DEGRADED}


def test_events_answer_503_with_retry_after_and_count_again_afterwards(make_app, database_outage):
    app = make_app()
    client = app.test_client()
    auth = {"Authorization": f"Bearer {API_KEY}"}
    assert client.post("/v1/events", json=EVENTS, headers=auth).status_code == 200

    database_outage.cut(app)
    first = client.post("/v1/events", json=EVENTS, headers=auth)  # finds out
    second = client.post("/v1/events", json=EVENTS, headers=auth)  # knows already

    for response in (first, second):
        assert response.status_code == 503
        assert response.mimetype == "application/problem+json"
        assert "not counted" in response.get_json()["detail"]
        assert 1 <= int(response.headers["Retry-After"]) <= 5

    database_outage.restore()
    _after_the_breaker_period()
    assert client.post("/v1/events", json=EVENTS, headers=auth).status_code == 200
    today = datetime.now(UTC).date()
    with app.extensions["draftlint.storage"].sessions() as db:
        counts = store.counts_per_outcome(db, store.get_org(db, ORG), today, today)
    assert counts["shown"] == 2  # the two refused reports were not counted


def test_events_in_dev_mode_answer_503_too(database_outage, rules):
    app = create_app(
        {"DEV_MODE": True, "TESTING": True, "DATABASE_URL": database_outage.url}, registry=rules
    )
    database_outage.cut(app)

    response = app.test_client().post("/v1/events", json=EVENTS)

    assert response.status_code == 503
    assert response.headers["Retry-After"]


def test_one_warning_per_outage_and_no_word_of_the_draft(make_app, database_outage, caplog):
    app = make_app(publish=TWICE, orgs=(ORG, "other.example"))
    client = app.test_client()
    _lint(client)

    with caplog.at_level(logging.INFO):
        database_outage.cut(app)
        time.sleep(0.1)
        for _ in range(5):
            _lint(client)
            client.post("/v1/events", json=EVENTS, headers={"Authorization": f"Bearer {API_KEY}"})
            time.sleep(RETRY / 2)  # some of these retry the database, and fail again
        database_outage.restore()
        _after_the_breaker_period()
        _lint(client)

    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]
    assert "The database failed" in warnings[0].getMessage()
    assert "answers again" in caplog.text
    assert "merger" not in caplog.text and "Friday" not in caplog.text


def test_a_silent_database_costs_one_request_the_timeout_not_every_request(rules):
    """A port that accepts connections and never answers: the first look-up waits out the
    connect timeout; those after it answer at once from memory until the breaker's period."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(64)
    config = {
        "TESTING": True,
        "DATABASE_URL": f"postgresql+psycopg://draftlint@127.0.0.1:{silent.getsockname()[1]}/x",
        "API_KEYS": {API_KEY: ORG},
        "POLICY_REFRESH_SECONDS": 0.01,
    }
    try:
        client = create_app(config, registry=rules).test_client()
        assert _lint(client)["policy"] == DEFAULTS  # waited for the connect timeout

        started = time.monotonic()
        for _ in range(5):
            time.sleep(0.02)  # past the refresh period each time
            assert _lint(client)["policy"] == DEFAULTS
        assert time.monotonic() - started < 1.0
    finally:
        silent.close()


# --- the parts, on their own ----------------------------------------------------------------


class Failing:
    """A sessionmaker whose sessions fail like a database that refuses connections."""

    def __init__(self, sessions):
        self.sessions = sessions
        self.down = False
        self.calls = 0

    def __call__(self):
        self.calls += 1
        if self.down:
            raise sa.exc.OperationalError("SELECT", {}, ConnectionRefusedError("refused"))
        return self.sessions()


def test_the_breaker_lets_one_request_through_per_period(caplog, clock):
    breaker = Breaker(retry_seconds=5, clock=clock)
    assert breaker.allows() and not breaker.down

    with caplog.at_level(logging.INFO):
        breaker.failed(ConnectionRefusedError())
        assert not breaker.allows()
        assert breaker.retry_after() == 5
        clock.now += 5
        assert breaker.allows()  # the one that tries
        assert not breaker.allows()  # the others do not, meanwhile
        breaker.failed(ConnectionRefusedError())  # still down: no second warning
        clock.now += 5
        assert breaker.allows()
        breaker.succeeded()

    assert breaker.allows() and not breaker.down and breaker.retry_after() == 0
    assert [r.levelname for r in caplog.records] == ["WARNING", "INFO"]
    assert "ConnectionRefusedError" in caplog.records[0].getMessage()


def test_policy_cache_says_which_fallback(sessions, make_org, rules, clock):
    default = Policy.build(registry=rules)
    org = make_org(ORG)
    with sessions.begin() as db:
        draft = store.get_draft(db, org)
        draft = store.save_draft(db, org, TWICE, if_match=draft.etag, actor="a", registry=rules)
        store.publish(db, org, if_match=draft.etag, actor="a", registry=rules)
    failing = Failing(sessions)
    cache = PolicyCache(failing, refresh_seconds=2, clock=clock, breaker=Breaker(clock=clock))
    current = cache.resolve(ORG, default)
    assert (current.policy.version, current.fallback, current.reason) == (1, None, None)

    failing.down = True
    clock.now += 2
    last = cache.resolve(ORG, default)
    never = cache.resolve("new.example", default)
    calls = failing.calls
    clock.now += 2
    cache.resolve(ORG, default)  # within the breaker's period: the database is not asked

    assert (last.policy, last.fallback, last.reason) == (
        current.policy,
        "last-known",
        "database-unavailable",
    )
    assert (never.policy, never.fallback) == (default, "defaults")
    assert failing.calls == calls

    failing.down = False
    clock.now += 5
    assert cache.resolve(ORG, default).fallback is None


def test_alias_cache_answers_from_memory_while_the_database_is_down(sessions, make_org, clock):
    make_org(ORG)
    with sessions.begin() as db:
        store.add_alias(db, store.get_org(db, ORG), "google-domain", ORG, actor="a")
    failing = Failing(sessions)
    aliases = AliasCache(failing, Breaker(clock=clock))
    assert aliases.org_for("google-domain", "CORP.example") == AliasMatch(ORG)
    assert aliases.org_for("google-domain", "nobody.example").slug is None

    failing.down = True
    assert aliases.org_for("google-domain", ORG).source == "last-known"
    assert aliases.org_for("google-domain", ORG).slug == ORG
    assert aliases.org_for("google-domain", "nobody.example") == AliasMatch(None, "last-known")
    assert aliases.org_for("google-domain", "new.example") == AliasMatch(None, "unknown")


def test_a_published_policy_the_rules_reject_is_reported_as_defaults(
    sessions, make_org, rules, clock
):
    org = make_org(ORG)
    with sessions.begin() as db:
        draft = store.get_draft(db, org)
        draft = store.save_draft(db, org, TWICE, if_match=draft.etag, actor="a", registry=rules)
        store.publish(db, org, if_match=draft.etag, actor="a", registry=rules)
    without_rule = Policy.build(registry=type(rules)({}))  # the rule has since been removed

    resolved = PolicyCache(sessions, clock=clock).resolve(ORG, without_rule)

    assert (resolved.policy, resolved.fallback, resolved.reason) == (
        without_rule,
        "defaults",
        "policy-invalid",
    )
