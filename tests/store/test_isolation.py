"""One organisation's functions never return another's rows."""

from datetime import date

import pytest

from server import store

DAY = date(2025, 5, 1)


@pytest.fixture
def two_orgs(sessions, make_org, rules):
    """Org A with nothing of its own; org B with everything: admin, alias, versions, counts."""
    a, b = make_org("a.example"), make_org("b.example")
    with sessions.begin() as session:
        store.add_admin(session, b, "boss@b.example", "owner", actor="x@b.example")
        store.add_alias(session, b, "google-domain", "b.example", actor="x@b.example")
        for times in (2, 3):
            etag = store.get_draft(session, b).etag
            document = {"rules": {"test-repeats-word": {"times": times}}}
            store.save_draft(session, b, document, if_match=etag, actor="x@b", registry=rules)
            etag = store.get_draft(session, b).etag
            store.publish(session, b, if_match=etag, actor="x@b", registry=rules)
        store.record_events(session, b, [(DAY, "large-audience", "hint", "shown", 5)])
    return a, b


def test_org_a_sees_none_of_org_bs_rows(sessions, two_orgs):
    a, b = two_orgs
    with sessions() as session:
        assert store.get_draft(session, a).document == {}
        assert store.list_versions(session, a) == []
        assert store.current_version(session, a) is None
        for number in (1, 2):
            with pytest.raises(store.NotFound):
                store.get_version(session, a, number)
        with pytest.raises(store.NotFound):
            store.diff_versions(session, a, 1, 2)
        assert store.list_admins(session, a) == []
        assert store.get_admin(session, a, "boss@b.example") is None
        assert [e.target for e in store.list_entries(session, a)] == ["org/a.example"]
        assert store.counts_per_rule_per_day(session, a, DAY, DAY) == []
        assert set(store.counts_per_outcome(session, a, DAY, DAY).values()) == {0}

        assert [v.number for v in store.list_versions(session, b)] == [2, 1]  # B's are there


def test_org_a_cannot_change_org_bs_rows(sessions, two_orgs, rules):
    a, b = two_orgs
    with pytest.raises(store.NotFound), sessions.begin() as session:
        store.rollback(session, a, 1, if_match='"draft-0"', actor="x@a", registry=rules)
    with pytest.raises(store.NotFound), sessions.begin() as session:
        store.issue_sign_in_token(session, a, "boss@b.example", actor="x@a")
    with sessions.begin() as session:  # A's draft is at revision 0 like B's once was; B's is not
        store.save_draft(session, a, {}, if_match='"draft-0"', actor="x@a", registry=rules)
        store.publish(session, a, if_match='"draft-1"', actor="x@a", registry=rules)

    with sessions() as session:
        assert [v.number for v in store.list_versions(session, b)] == [2, 1]
        assert store.get_draft(session, b).etag == '"draft-4"'
        assert [v.number for v in store.list_versions(session, a)] == [1]
