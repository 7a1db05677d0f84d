"""Admin console sessions in the store: only a hash of the id is kept, expiry, ending one, all of
an admin's, and `remove_admin`; on SQLite and PostgreSQL."""

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from server import store
from server.store.models import AdminSession, SignInToken

T0 = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.fixture
def org(make_org, sessions):
    org = make_org("corp.example")
    with sessions.begin() as session:
        store.add_admin(session, org, "olga@corp.example", "owner", actor="cli")
        store.add_admin(session, org, "peter@corp.example", "editor", actor="cli")
    return org


def start(sessions, org, email="olga@corp.example", role="owner", **options) -> str:
    options.setdefault("method", "link")
    options.setdefault("now", T0)
    with sessions.begin() as session:
        return store.start_admin_session(session, org, email, role, **options)


def find(sessions, sid, now=T0 + HOUR):
    with sessions() as session:
        return store.find_admin_session(session, sid, now=now)


def rows(sessions) -> list[AdminSession]:
    with sessions() as session:
        return list(session.scalars(sa.select(AdminSession).order_by(AdminSession.email)))


def test_only_a_hash_of_the_session_id_is_stored(sessions, org, all_rows):
    sid = start(sessions, org, " Olga@Corp.Example ")

    assert sid not in all_rows()
    [row] = rows(sessions)
    assert row.sid_hash == hashlib.sha256(sid.encode()).hexdigest()
    assert row.email == "olga@corp.example"
    found = find(sessions, sid)
    assert (found.org, found.email, found.role, found.method) == (
        "corp.example",
        "olga@corp.example",
        store.Role.OWNER,
        store.SignInMethod.LINK,
    )
    assert (found.created_at, found.expires_at) == (T0, T0 + 8 * HOUR)
    assert find(sessions, sid[:-1] + ("A" if sid[-1] != "A" else "B")) is None
    assert find(sessions, row.sid_hash) is None  # the hash is not a session id


def test_a_session_expires_8_hours_after_sign_in_and_is_purged(sessions, org):
    sid = start(sessions, org)
    late = start(sessions, org, "peter@corp.example", "editor", now=T0 + 2 * HOUR)

    assert find(sessions, sid, now=T0 + 8 * HOUR - timedelta(seconds=1)) is not None
    assert find(sessions, sid, now=T0 + 8 * HOUR) is None

    with sessions.begin() as session:
        assert store.purge_expired_admin_sessions(session, now=T0 + 8 * HOUR) == 1
    assert [row.email for row in rows(sessions)] == ["peter@corp.example"]
    assert find(sessions, late, now=T0 + 8 * HOUR) is not None


def test_ending_one_session_or_all_of_an_admins(sessions, org, make_org):
    other = make_org("other.example")
    with sessions.begin() as session:
        store.add_admin(session, other, "olga@corp.example", "owner", actor="cli")
    laptop, phone, stale = (start(sessions, org, now=T0 + n * HOUR) for n in (0, 0, -9))
    peter = start(sessions, org, "peter@corp.example", "editor")
    elsewhere = start(sessions, other)

    with sessions.begin() as session:
        assert store.end_admin_session(session, laptop) is True
        assert store.end_admin_session(session, laptop) is False
    assert find(sessions, laptop) is None
    assert find(sessions, phone) is not None

    with sessions.begin() as session:
        assert store.count_admin_sessions(session, org, "olga@corp.example", now=T0 + HOUR) == 1
        # The expired one goes too, but is not counted as ended.
        assert store.end_admin_sessions(session, org, "OLGA@corp.example", now=T0 + HOUR) == 1
    assert find(sessions, phone) is None
    assert find(sessions, stale, now=T0 - 8 * HOUR) is None
    assert find(sessions, peter) is not None
    assert find(sessions, elsewhere) is not None  # the same address in another organisation


def test_an_admin_list_session_follows_the_list(sessions, org):
    sid = start(sessions, org, "peter@corp.example", "editor")

    with sessions.begin() as session:
        store.get_admin(session, org, "peter@corp.example").role = "viewer"
    assert find(sessions, sid).role == store.Role.VIEWER

    with sessions.begin() as session:
        session.delete(store.get_admin(session, org, "peter@corp.example"))
    assert find(sessions, sid) is None


def test_an_app_role_session_keeps_its_role(sessions, org):
    nobody = start(sessions, org, "anna@corp.example", "editor", method="entra", app_role=True)
    listed = start(sessions, org, "peter@corp.example", "owner", method="entra", app_role=True)

    assert find(sessions, nobody).role == store.Role.EDITOR  # on no list, signed in all the same
    assert find(sessions, listed).role == store.Role.OWNER  # the list says editor; the token won
    assert find(sessions, listed).app_role is True


def test_remove_admin_ends_their_sessions_and_voids_their_links(sessions, org, make_org):
    other = make_org("other.example")
    with sessions.begin() as session:
        store.add_admin(session, other, "peter@corp.example", "owner", actor="cli")
        store.issue_sign_in_token(session, org, "peter@corp.example", actor="cli")
        store.issue_sign_in_token(session, other, "peter@corp.example", actor="cli")
    first = start(sessions, org, "peter@corp.example")
    elsewhere = start(sessions, other, "peter@corp.example")
    olga = start(sessions, org)

    with sessions.begin() as session:
        removal = store.remove_admin(session, org, " Peter@Corp.Example", actor="olga@x", now=T0)

    assert removal == store.Removal("peter@corp.example", store.Role.EDITOR, 1)
    assert find(sessions, first) is None
    assert find(sessions, elsewhere) is not None
    assert find(sessions, olga) is not None
    with sessions() as session:
        assert store.get_admin(session, org, "peter@corp.example") is None
        assert store.get_admin(session, other, "peter@corp.example") is not None
        tokens = session.scalars(sa.select(SignInToken.org_id)).all()
        assert tokens == [other.id]
        entry = store.list_entries(session, org)[0]
    assert (entry.actor, entry.action, entry.target, entry.change) == (
        "olga@x",
        "admin.remove",
        "admin/peter@corp.example",
        {"role": "editor", "sessions": 1},
    )


def test_remove_admin_of_an_app_role_admin_ends_their_sessions(sessions, org):
    anna = start(sessions, org, "anna@corp.example", "owner", method="entra", app_role=True)

    with sessions.begin() as session:
        removal = store.remove_admin(session, org, "anna@corp.example", actor="cli", now=T0)

    assert removal == store.Removal("anna@corp.example", None, 1)
    assert find(sessions, anna) is None
    with sessions() as session:
        assert store.list_entries(session, org)[0].change == {"role": None, "sessions": 1}


def test_remove_admin_of_nobody_is_not_found(sessions, org):
    with pytest.raises(store.NotFound), sessions.begin() as session:
        store.remove_admin(session, org, "nobody@corp.example", actor="cli")
    with sessions() as session:
        assert store.list_entries(session, org)[0].action == "admin.add"


def test_sessions_go_with_their_organisation(sessions, org):
    sid = start(sessions, org)
    with sessions.begin() as session:
        session.delete(store.get_org(session, "corp.example"))
    assert find(sessions, sid) is None
    assert rows(sessions) == []
