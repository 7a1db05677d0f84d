"""Concurrent writers, each on its own session and connection, as two admins or two workers."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from server import store

ACTOR = "editor@corp.example"


def _race(count: int, work) -> list:
    """Run `work(i)` in `count` threads released together; each result or exception."""
    start = threading.Barrier(count)

    def run(i):
        start.wait()
        try:
            return work(i)
        except Exception as exc:
            return exc

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


@pytest.fixture
def org(make_org):
    return make_org("corp.example")


def test_two_publishes_of_the_same_draft_make_one_version_and_one_stale_write(sessions, org, rules):
    etag = '"draft-0"'

    def publish(i):
        with sessions.begin() as session:
            return store.publish(session, org, if_match=etag, actor=f"admin{i}@x", registry=rules)

    results = _race(2, publish)

    versions = [r for r in results if isinstance(r, store.PolicyVersion)]
    stale = [r for r in results if isinstance(r, store.StaleWrite)]
    assert (len(versions), len(stale)) == (1, 1), results
    with sessions() as session:
        assert [v.number for v in store.list_versions(session, org)] == [1]


def test_publishers_retrying_on_stale_writes_lose_and_duplicate_nothing(sessions, org, rules):
    def publish_until_done(i):
        for _ in range(50):
            try:
                with sessions.begin() as session:
                    etag = store.get_draft(session, org).etag
                    return store.publish(
                        session, org, if_match=etag, actor=f"admin{i}@x", registry=rules
                    ).number
            except store.StaleWrite:
                continue
        raise AssertionError("never got through")

    numbers = _race(4, publish_until_done)

    assert sorted(numbers) == [1, 2, 3, 4]
    with sessions() as session:
        versions = store.list_versions(session, org)
        actions = [e.action for e in store.list_entries(session, org)]
    assert [v.number for v in versions] == [4, 3, 2, 1]
    assert actions.count("policy.publish") == 4


def test_concurrent_saves_never_lose_an_update_silently(sessions, org, rules):
    def save(i):
        document = {"rules": {"test-repeats-word": {"times": i + 1}}}
        with sessions.begin() as session:
            store.save_draft(
                session, org, document, if_match='"draft-0"', actor=ACTOR, registry=rules
            )
        return document

    results = _race(2, save)

    [saved] = [r for r in results if isinstance(r, dict)]
    assert sum(isinstance(r, store.StaleWrite) for r in results) == 1
    with sessions() as session:
        draft = store.get_draft(session, org)
    assert (draft.document, draft.etag) == (saved, '"draft-1"')  # the winner's, whole


def test_a_sign_in_link_works_once_even_when_raced(sessions, org):
    with sessions.begin() as session:
        store.add_admin(session, org, "a@corp.example", "owner", actor=ACTOR)
        token = store.issue_sign_in_token(session, org, "a@corp.example", actor=ACTOR)

    def redeem(_):
        with sessions.begin() as session:
            return store.redeem_sign_in_token(session, token).email

    results = _race(2, redeem)

    assert sorted(type(r).__name__ for r in results) == ["NotFound", "str"]
