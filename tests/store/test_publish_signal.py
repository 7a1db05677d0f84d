"""PolicyCache with a publish signal (server/store/cache.py): a changed generation makes every
cached policy stale at once, the generation is read at most every `poll_seconds`, a signal that
cannot be read leaves the database period in charge, and `watch_publishes` bumps it after the
commit of a publish only."""

import pytest

from linters import Policy
from server import store
from server.store.cache import watch_publishes

OFF = {"rules": {"test-repeats-word": {"severity": "off"}}}


class Signal:
    """A publish generation held here: `bump()` changes it, `reads` counts the reads, and
    `down` makes it unreadable."""

    def __init__(self):
        self.number = 0
        self.reads = 0
        self.bumps = 0
        self.down = False

    def generation(self):
        self.reads += 1
        return None if self.down else self.number

    def bump(self):
        self.bumps += 1
        self.number += 1


@pytest.fixture
def default(rules):
    return Policy.build(registry=rules)


def _publish(sessions, org, document, rules):
    with sessions.begin() as session:
        etag = store.get_draft(session, org).etag
        draft = store.save_draft(session, org, document, if_match=etag, actor="a@x", registry=rules)
        return store.publish(session, org, if_match=draft.etag, actor="a@x", registry=rules)


def test_a_bumped_generation_is_served_at_once_not_after_the_period(
    sessions, make_org, default, rules, clock
):
    org = make_org("corp.example")
    signal = Signal()
    cache = store.PolicyCache(sessions, refresh_seconds=60, clock=clock, signal=signal)
    assert cache.policy_for("corp.example", default) is default

    _publish(sessions, org, OFF, rules)  # watched: the commit bumps the signal
    assert signal.bumps == 1
    clock.now += 0.4
    assert cache.policy_for("corp.example", default) is default  # not polled yet
    clock.now += 0.1
    assert cache.policy_for("corp.example", default).version == 1


def test_the_generation_is_read_at_most_every_poll_period(sessions, make_org, default, clock):
    make_org("corp.example")
    signal = Signal()
    cache = store.PolicyCache(sessions, clock=clock, signal=signal, poll_seconds=0.5)
    for _ in range(50):
        cache.policy_for("corp.example", default)
    assert signal.reads == 1
    clock.now += 0.5
    cache.policy_for("corp.example", default)
    cache.policy_for("other.example", default)
    assert signal.reads == 2


def test_an_unreadable_signal_leaves_the_database_period_in_charge(
    sessions, make_org, default, rules, clock
):
    org = make_org("corp.example")
    signal = Signal()
    cache = store.PolicyCache(sessions, refresh_seconds=2, clock=clock, signal=signal)
    assert cache.policy_for("corp.example", default) is default
    signal.down = True
    _publish(sessions, org, OFF, rules)
    clock.now += 1.9
    assert cache.policy_for("corp.example", default) is default
    clock.now += 0.1
    assert cache.policy_for("corp.example", default).version == 1


def test_only_a_committed_publish_bumps(sessions, make_org, rules):
    org = make_org("corp.example")
    signal = Signal()
    watch_publishes(sessions, signal)
    with sessions.begin() as session:  # a save is no publish
        etag = store.get_draft(session, org).etag
        draft = store.save_draft(session, org, OFF, if_match=etag, actor="a@x", registry=rules)
    assert signal.bumps == 0

    with pytest.raises(RuntimeError), sessions.begin() as session:
        store.publish(session, org, if_match=draft.etag, actor="a@x", registry=rules)
        session.flush()
        raise RuntimeError("the request failed after the publish was flushed")
    assert signal.bumps == 0

    with sessions.begin() as session:
        version = store.publish(session, org, if_match=draft.etag, actor="a@x", registry=rules)
        rolled = store.rollback(
            session,
            org,
            version.number,
            if_match=store.get_draft(session, org).etag,
            actor="a@x",
            registry=rules,
        )
    assert rolled.number == 2
    assert signal.bumps == 1  # one commit, however many versions it added
    with sessions.begin() as session:
        assert store.current_version(session, org).number == 2
    with sessions.begin() as session:  # a later commit without a publish
        store.get_draft(session, org)
    assert signal.bumps == 1
