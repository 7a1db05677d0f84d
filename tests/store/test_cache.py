"""PolicyCache: the lint path's per-process view of each organisation's published policy."""

import logging

import pytest
import sqlalchemy as sa

from linters import Policy, Severity
from server import store

OFF = {"rules": {"test-repeats-word": {"severity": "off"}}}


@pytest.fixture
def default(rules):
    return Policy.build(registry=rules)


@pytest.fixture
def queries(database):
    """The SQL statements the database has run since the test started."""
    statements = []
    sa.event.listen(database, "before_cursor_execute", lambda *args: statements.append(args[2]))
    return statements


def _publish(sessions, org, document, rules):
    with sessions.begin() as session:
        etag = store.get_draft(session, org).etag
        draft = store.save_draft(session, org, document, if_match=etag, actor="a@x", registry=rules)
        return store.publish(session, org, if_match=draft.etag, actor="a@x", registry=rules)


def test_nothing_published_means_the_defaults(sessions, make_org, default, clock):
    make_org("corp.example")
    cache = store.PolicyCache(sessions, clock=clock)

    assert cache.policy_for("corp.example", default) is default
    assert cache.policy_for("unknown.example", default) is default


def test_a_publish_is_seen_after_the_refresh_period_not_before(
    sessions, make_org, default, rules, clock
):
    org = make_org("corp.example")
    cache = store.PolicyCache(sessions, refresh_seconds=2.0, clock=clock)
    assert cache.policy_for("corp.example", default) is default

    _publish(sessions, org, OFF, rules)
    clock.now += 1.9
    assert cache.policy_for("corp.example", default) is default
    clock.now += 0.1
    policy = cache.policy_for("corp.example", default)

    assert (policy.org, policy.version) == ("corp.example", 1)
    assert policy.rules["test-repeats-word"].severity is Severity.OFF
    assert policy.registry is rules


def test_one_small_query_per_period_and_a_rebuild_only_on_change(
    sessions, make_org, default, rules, clock, queries
):
    org = make_org("corp.example")
    _publish(sessions, org, OFF, rules)
    cache = store.PolicyCache(sessions, refresh_seconds=2.0, clock=clock)
    queries.clear()

    first = cache.policy_for("corp.example", default)
    assert len(queries) == 2  # the version number, then the document
    for _ in range(100):
        assert cache.policy_for("corp.example", default) is first
    assert len(queries) == 2

    clock.now += 2
    assert cache.policy_for("corp.example", default) is first  # unchanged: not rebuilt
    assert len(queries) == 3


def test_a_database_outage_keeps_the_last_policy_and_is_logged_without_detail(
    sessions, make_org, default, rules, clock, caplog
):
    org = make_org("corp.example")
    _publish(sessions, org, OFF, rules)
    cache = store.PolicyCache(sessions, clock=clock)
    published = cache.policy_for("corp.example", default)

    def broken_session():
        raise sa.exc.OperationalError("SELECT secret", {"slug": "p@ssw0rd"}, Exception("down"))

    cache._sessions = broken_session
    clock.now += 5
    with caplog.at_level(logging.WARNING):
        assert cache.policy_for("corp.example", default) is published
        assert cache.policy_for("new.example", default) is default
    assert "OperationalError" in caplog.text
    assert "p@ssw0rd" not in caplog.text


def test_a_published_version_the_loaded_rules_reject_falls_back_to_the_defaults(
    sessions, make_org, default, rules, clock, caplog
):
    org = make_org("corp.example")
    _publish(sessions, org, OFF, rules)
    without_rule = Policy.build(registry=type(rules)({}))  # the rule has since been removed

    with caplog.at_level(logging.ERROR):
        policy = store.PolicyCache(sessions, clock=clock).policy_for("corp.example", without_rule)

    assert policy is without_rule
    assert "Version 1 of corp.example's policy fails the loaded rules" in caplog.text
