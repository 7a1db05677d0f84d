"""Sessions live in the store and can be ended: sign-out, sign out everywhere, `draftlint admin
remove`, a role lowered on the admin list, expiry, and what a request sees when the database is
down. Each test runs on SQLite and on PostgreSQL (`database_url` of tests/conftest.py)."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa
from sign_in_links import redeem

from server import store
from server.cli import main
from server.store.models import Admin as AdminRow
from server.store.models import AdminSession

ORG = "corp.example"
TENANT = "7f6b1c2a-0000-4000-8000-00000000c0de"
COOKIE = "draftlint_session"
# Nothing listens on port 1: connecting is refused at once, as with a database that is down.
UNREACHABLE_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:1/test"


def _who(client):
    response = client.get("/v1/admin/session")
    return response.get_json() if response.status_code == 200 else response.status_code


def _copy_cookie(app, client):
    """A second browser holding a copy of `client`'s session cookie (a stolen cookie)."""
    thief = app.test_client()
    thief.set_cookie(COOKIE, client.get_cookie(COOKIE).value)
    return thief


def _sid(client) -> str:
    with client.session_transaction() as flask_session:  # read only
        return flask_session["sid"]


def _session_rows(sessions) -> list[AdminSession]:
    with sessions() as db:
        return list(db.scalars(sa.select(AdminSession)))


def _audit_actions(sessions, slug=ORG) -> list[str]:
    with sessions() as db:
        return [e.action for e in store.list_entries(db, store.get_org(db, slug))]


def _remove(database_url: str, email: str, org: str = ORG) -> int:
    """`draftlint admin remove`, as an operator runs it on the same database."""
    return main(["admin", "remove", "--org", org, "--email", email, "--database-url", database_url])


def _entra_sign_in(client, idp):
    start = client.get("/admin/sign-in/microsoft")
    assert start.status_code == 302
    back = urlsplit(idp.follow(start.location))
    response = client.get(f"{back.path}?{back.query}")
    assert response.status_code == 302, response.get_data(as_text=True)


# --- sign-out and sign out everywhere ------------------------------------------------------


def test_a_copied_cookie_stops_working_after_sign_out(app, signed_in):
    olga = signed_in(ORG, "olga@corp.example")
    thief = _copy_cookie(app, olga.client)
    assert _who(thief)["email"] == "olga@corp.example"

    olga.client.post("/admin/sign-out", data={"csrf_token": olga.csrf})

    assert _who(thief) == 401
    assert thief.get("/admin/policy").status_code == 302


def test_sign_out_everywhere_from_the_console_ends_every_browser(app, signed_in, sessions):
    laptop = signed_in(ORG, "olga@corp.example")
    phone = signed_in(ORG, "olga@corp.example")
    thief = _copy_cookie(app, phone.client)
    peter = signed_in(ORG, "peter@corp.example")

    page = laptop.client.get("/admin/session")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "on 2 browsers" in html
    form = re.search(r'<form method="post" action="(/admin/sign-out-everywhere)">', html)
    assert form, html
    # A cross-site form post (no CSRF token) ends nothing.
    assert laptop.client.post(form[1]).status_code == 403
    assert _who(phone.client)["email"] == "olga@corp.example"

    csrf = re.search(r'name="csrf_token" value="([^"]+)"', html)[1]
    response = laptop.client.post(form[1], data={"csrf_token": csrf})

    assert response.status_code == 302
    assert response.location == "/admin/sign-in"
    for client in (laptop.client, phone.client, thief):
        assert _who(client) == 401
    assert _who(peter.client)["email"] == "peter@corp.example"  # someone else's stays
    assert {row.email for row in _session_rows(sessions)} == {"peter@corp.example"}
    assert _audit_actions(sessions)[0] == "admin.sign-out-everywhere"


def test_sign_out_everywhere_through_the_api(app, signed_in):
    laptop = signed_in(ORG, "vic@corp.example", "viewer")  # every role may end its own sessions
    phone = signed_in(ORG, "vic@corp.example", "viewer")
    path = "/v1/admin/session/sign-out-everywhere"

    assert app.test_client().post(path).status_code == 401
    refused = laptop.client.post(path)  # no CSRF token
    assert refused.status_code == 403
    assert _who(phone.client)["email"] == "vic@corp.example"

    response = laptop.client.post(path, headers=laptop.headers())

    assert response.status_code == 200
    assert response.get_json() == {"ended": 2}
    assert _who(laptop.client) == 401
    assert _who(phone.client) == 401


def test_sign_out_everywhere_is_in_the_openapi_document(app):
    paths = app.test_client().get("/openapi.json").get_json()["paths"]
    assert "post" in paths["/v1/admin/session/sign-out-everywhere"]


# --- removing an admin, lowering a role ----------------------------------------------------


def test_admin_remove_signs_the_admin_out_at_once(app, signed_in, database_url, capsys, sessions):
    olga = signed_in(ORG, "olga@corp.example", "editor")
    olga_again = signed_in(ORG, "olga@corp.example", "editor")
    peter = signed_in(ORG, "peter@corp.example")

    code = _remove(database_url, "Olga@corp.example")

    assert code == 0
    assert capsys.readouterr().out == (
        "Removed olga@corp.example (editor) from corp.example; ended 2 sessions.\n"
    )
    for client in (olga.client, olga_again.client):
        assert _who(client) == 401
        page = client.get("/admin/policy")
        assert page.status_code == 302
        assert page.location.startswith("/admin/sign-in?next=")
    assert _who(peter.client)["email"] == "peter@corp.example"
    with sessions() as db:
        assert store.get_admin(db, store.get_org(db, ORG), "olga@corp.example") is None


def test_admin_remove_voids_the_removed_admins_unused_links(
    app, make_admin, link_for, database_url, capsys
):
    make_admin(ORG, "olga@corp.example")
    link = link_for(ORG, "olga@corp.example")
    assert _remove(database_url, "olga@corp.example") == 0
    assert "ended 0 sessions" in capsys.readouterr().out

    make_admin(ORG, "olga@corp.example")  # added back later: the old link must not work
    assert redeem(app.test_client(), link).status_code == 404


def test_admin_remove_ends_the_sessions_of_an_app_role_admin(
    app, idp, make_admin, database_url, capsys
):
    make_admin(ORG, None, entra_tenant=TENANT)
    idp.claims = {
        "tid": TENANT,
        "preferred_username": "anna@corp.example",
        "roles": ["Draftlint.Owner"],
    }
    client = app.test_client()
    _entra_sign_in(client, idp)
    assert _who(client)["role"] == "owner"

    code = _remove(database_url, "anna@corp.example")

    assert code == 0
    out = capsys.readouterr().out
    assert "anna@corp.example is not on corp.example's admin list" in out
    assert "Entra app role. Ended 1 session." in out
    assert _who(client) == 401


def test_admin_remove_of_nobody_exits_2_and_changes_nothing(
    app, make_admin, database_url, capsys, sessions
):
    make_admin(ORG, "olga@corp.example")
    before = _audit_actions(sessions)

    assert _remove(database_url, "nobody@corp.example") == 2
    assert capsys.readouterr().err == (
        "draftlint: no admin 'nobody@corp.example' in corp.example, and no session of theirs "
        "to end: nothing was changed\n"
    )
    assert _remove(database_url, "x@nowhere.example", org="nowhere.example") == 2
    assert capsys.readouterr().err == "draftlint: no organisation 'nowhere.example'\n"
    assert _audit_actions(sessions) == before


def test_a_lowered_role_applies_on_the_next_request(signed_in, sessions):
    olga = signed_in(ORG, "olga@corp.example", "owner")
    assert _who(olga.client)["role"] == "owner"

    with sessions.begin() as db:  # the admin list changes under a live session
        org = store.get_org(db, ORG)
        db.scalar(sa.select(AdminRow).where(AdminRow.org_id == org.id)).role = "viewer"

    assert _who(olga.client)["role"] == "viewer"
    draft = olga.client.get("/v1/admin/policy/draft")
    write = olga.client.put(
        "/v1/admin/policy/draft",
        json={},
        headers=olga.headers(**{"If-Match": draft.headers["ETag"]}),
    )
    assert write.status_code == 403
    assert "you are viewer" in write.get_json()["detail"]
    assert "(viewer)" in olga.client.get("/admin/policy").get_data(as_text=True)


def test_an_app_role_session_keeps_the_role_its_token_granted(app, idp, make_admin):
    """The admin list does not lower an Entra app role (sign-in takes the app role first), and
    an app-role admin with no row on the list is signed in all the same."""
    make_admin(ORG, "anna@corp.example", "viewer", entra_tenant=TENANT)
    idp.claims = {
        "tid": TENANT,
        "preferred_username": "anna@corp.example",
        "roles": ["Draftlint.Editor"],
    }
    client = app.test_client()
    _entra_sign_in(client, idp)
    assert _who(client)["role"] == "editor"
    idp.claims = {
        "tid": TENANT,
        "preferred_username": "ben@corp.example",
        "roles": ["Draftlint.Viewer"],
    }
    ben = app.test_client()
    _entra_sign_in(ben, idp)
    assert _who(ben)["role"] == "viewer"
    assert _who(client)["role"] == "editor"


# --- what the store keeps, and expiry ------------------------------------------------------


def test_the_session_row_holds_no_raw_session_id(signed_in, sessions):
    olga = signed_in(ORG, "olga@corp.example", "editor")
    sid = _sid(olga.client)
    assert len(sid) >= 43  # 256 random bits

    [row] = _session_rows(sessions)
    assert row.sid_hash == hashlib.sha256(sid.encode()).hexdigest()
    assert (row.email, row.role, row.method, row.app_role) == (
        "olga@corp.example",
        "editor",
        "link",
        False,
    )
    assert row.expires_at - row.created_at == timedelta(hours=8)
    with sessions() as db:
        dumped = [repr(tuple(r)) for r in db.execute(sa.select(AdminSession.__table__))]
    assert len(dumped) == 1
    assert sid not in dumped[0]


def test_the_cookie_holds_no_identity(signed_in):
    olga = signed_in(ORG, "olga@corp.example")
    with olga.client.session_transaction() as flask_session:
        assert set(flask_session) <= {"sid", "csrf", "_permanent"}


def test_an_expired_session_row_is_refused_and_purged_at_the_next_sign_in(signed_in, sessions):
    olga = signed_in(ORG, "olga@corp.example")
    with sessions.begin() as db:  # the row says it is over, whatever the cookie says
        db.execute(
            sa.update(AdminSession).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )

    assert _who(olga.client) == 401
    assert len(_session_rows(sessions)) == 1

    signed_in(ORG, "peter@corp.example")
    assert [row.email for row in _session_rows(sessions)] == ["peter@corp.example"]


def test_signing_in_again_ends_the_previous_session(app, signed_in, link_for, sessions):
    olga = signed_in(ORG, "olga@corp.example")
    thief = _copy_cookie(app, olga.client)
    redeem(olga.client, link_for(ORG, "olga@corp.example"))
    assert _who(olga.client)["email"] == "olga@corp.example"
    assert _who(thief) == 401
    assert len(_session_rows(sessions)) == 1


# --- the database down ---------------------------------------------------------------------


def test_database_unreachable_on_an_admin_request_is_a_clean_503(make_app, database_url):
    up = make_app(database_url, SECRET_KEY="revocation-test-key")
    down = make_app(UNREACHABLE_DATABASE, SECRET_KEY="revocation-test-key")
    with up.extensions["draftlint.storage"].sessions.begin() as db:
        org = store.create_org(db, ORG, ORG, actor="setup")
        store.add_admin(db, org, "olga@corp.example", "owner", actor="setup")
        token = store.issue_sign_in_token(db, org, "olga@corp.example", actor="setup")
    browser = up.test_client()
    assert redeem(browser, f"/admin/sign-in/{token}").status_code == 303
    cookie = browser.get_cookie(COOKIE).value
    client = down.test_client()
    client.set_cookie(COOKIE, cookie)

    for path in ("/v1/admin/session", "/v1/admin/policy/draft"):
        api = client.get(path)
        assert api.status_code == 503, path
        assert api.mimetype == "application/problem+json"
        assert "cannot reach its database" in api.get_json()["detail"]
        assert api.headers["Retry-After"]
    page = client.get("/admin/policy")
    assert page.status_code == 503
    assert page.mimetype == "text/html"
    assert "cannot reach its database" in page.get_data(as_text=True)
    assert client.post("/admin/sign-out").status_code == 503
    # Not taken for "signed out": the session id is kept, and works once the database is back.
    assert _sid(client) == _sid(browser)
    assert _who(browser)["email"] == "olga@corp.example"


def test_a_sign_in_link_redeemed_while_the_database_is_unreachable_is_a_clean_503(
    make_app, database_url
):
    up = make_app(database_url, SECRET_KEY="revocation-test-key")
    with up.extensions["draftlint.storage"].sessions.begin() as db:
        org = store.create_org(db, ORG, ORG, actor="setup")
        store.add_admin(db, org, "olga@corp.example", "owner", actor="setup")
        token = store.issue_sign_in_token(db, org, "olga@corp.example", actor="setup")
    down = make_app(UNREACHABLE_DATABASE, SECRET_KEY="revocation-test-key")

    answer = redeem(down.test_client(), f"/admin/sign-in/{token}")
    assert answer.status_code == 503
    assert "cannot reach its database" in answer.get_data(as_text=True)
    assert answer.headers["Retry-After"]
    # The link is not spent: it signs in once the database is back.
    assert redeem(up.test_client(), f"/admin/sign-in/{token}").status_code == 303


def test_database_unreachable_without_a_session_still_asks_to_sign_in(make_app):
    client = make_app(UNREACHABLE_DATABASE).test_client()
    assert client.get("/v1/admin/session").status_code == 401
    assert client.get("/admin/policy").status_code == 302


def test_dev_mode_with_the_database_unreachable_is_a_503(make_app):
    client = make_app(UNREACHABLE_DATABASE, DEV_MODE=True, TESTING=False).test_client()
    response = client.get("/v1/admin/session")
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert client.get("/admin/policy").status_code == 503
