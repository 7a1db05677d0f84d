"""Signing in: one-time links, Microsoft Entra ID through MSAL and Google through
google-auth-oauthlib, each run for real against the identity-provider stand-in of conftest.py;
the session cookie, CSRF and session fixation."""

import re
import time
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import parse_qs, urlsplit

import idp as idp_support
import pytest
from sign_in_links import redeem

from server import store
from server.admin import session as admin_session

TENANT = "7f6b1c2a-0000-4000-8000-00000000c0de"
DOMAIN = "corp.example"


@pytest.fixture
def app(make_app, sqlite_url):
    """These tests are about HTTP and tokens: one backend is enough (the API tests run both)."""
    return make_app(sqlite_url)


def _cookie(response, name="draftlint_session") -> str:
    for header in response.headers.getlist("Set-Cookie"):
        if header.startswith(f"{name}="):
            return header
    raise AssertionError(f"no {name} cookie in {response.headers.getlist('Set-Cookie')}")


def _who(client):
    response = client.get("/v1/admin/session")
    return response.get_json() if response.status_code == 200 else response.status_code


def _audit_actions(sessions, slug):
    with sessions() as db:
        return [e.action for e in store.list_entries(db, store.get_org(db, slug))]


def _entra_sign_in(client, idp, next_path=None):
    start = client.get("/admin/sign-in/microsoft" + (f"?next={next_path}" if next_path else ""))
    assert start.status_code == 302
    assert start.location.startswith(f"{idp.base}/entra/authorize?")
    back = urlsplit(idp.follow(start.location))
    assert back.path == "/admin/auth/microsoft/callback"
    return client.get(f"{back.path}?{back.query}")


def _google_sign_in(client, idp):
    start = client.get("/admin/sign-in/google")
    assert start.status_code == 302
    assert start.location.startswith(f"{idp.base}/google/authorize?")
    back = urlsplit(idp.follow(start.location))
    assert back.path == "/admin/auth/google/callback"
    return client.get(f"{back.path}?{back.query}")


# --- the sign-in page ----------------------------------------------------------------------


def test_sign_in_page_offers_the_configured_providers(app):
    html = app.test_client().get("/admin/sign-in").get_data(as_text=True)
    assert "Sign in with Microsoft" in html
    assert "Sign in with Google" in html


def test_sign_in_page_without_providers_says_how_to_get_in(make_app, sqlite_url):
    app = make_app(sqlite_url, ENTRA_CLIENT_ID=None, GOOGLE_CLIENT_ID=None)
    response = app.test_client().get("/admin/sign-in")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Sign in with" not in html
    assert "draftlint admin create" in html
    assert app.test_client().get("/admin/sign-in/microsoft").status_code == 404


# --- one-time links ------------------------------------------------------------------------


def test_one_time_link_signs_in_once(app, make_admin, link_for, sessions):
    make_admin(DOMAIN, "olga@corp.example", "editor")
    link = link_for(DOMAIN, "olga@corp.example")
    client = app.test_client()
    response = redeem(client, link)
    assert response.status_code == 303
    assert response.location == "/admin/"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert _who(client) | {"csrf_token": None} == {
        "org": DOMAIN,
        "email": "olga@corp.example",
        "role": "editor",
        "csrf_token": None,
    }
    again = redeem(app.test_client(), link)
    assert again.status_code == 404
    assert "unknown, used or expired" in again.get_data(as_text=True)
    assert "admin.sign-in" in _audit_actions(sessions, DOMAIN)
    assert "sign-in-link.use" in _audit_actions(sessions, DOMAIN)


def test_unknown_link_is_refused(app):
    client = app.test_client()
    assert redeem(client, "/admin/sign-in/" + "x" * 43).status_code == 404
    assert _who(client) == 401


def test_opening_a_link_spends_nothing_and_logs_no_token(app, make_admin, link_for, caplog):
    """Mail systems open links to scan them: only the page's button (a POST) signs in."""
    caplog.set_level("INFO")
    make_admin(DOMAIN, "olga@corp.example")
    link = link_for(DOMAIN, "olga@corp.example")
    token = link.rsplit("/", 1)[1]
    scanner = app.test_client()
    for _ in range(3):
        assert scanner.get(link).status_code == 200
    assert _who(scanner) == 401
    client = app.test_client()
    assert redeem(client, link).status_code == 303
    assert _who(client)["email"] == "olga@corp.example"
    assert "/admin/sign-in/<token>" in caplog.text
    assert token not in caplog.text


def test_the_button_needs_the_page_s_csrf_token(app, make_admin, link_for):
    make_admin(DOMAIN, "olga@corp.example")
    link = link_for(DOMAIN, "olga@corp.example")
    client = app.test_client()
    client.get(link)
    assert client.post(link, data={"csrf_token": "forged"}).status_code == 400
    assert _who(client) == 401
    assert redeem(client, link).status_code == 303  # not spent by the refused try


def test_link_printed_by_the_cli_works(app, sqlite_url, capsys):
    from server.cli import main

    args = ["admin", "create", "--org", "cli.example", "--email", "first@cli.example"]
    args += ["--database-url", sqlite_url, "--base-url", "https://draftlint.cli.example"]
    code = main(args)
    assert code == 0
    link = re.search(
        r"https://draftlint\.cli\.example(/admin/sign-in/\S+)", capsys.readouterr().out
    )
    client = app.test_client()
    assert redeem(client, link[1]).status_code == 303
    assert _who(client)["email"] == "first@cli.example"


def test_next_is_kept_but_only_within_the_console(app, make_admin, link_for):
    make_admin(DOMAIN, "olga@corp.example")
    client = app.test_client()
    assert redeem(
        client, link_for(DOMAIN, "olga@corp.example") + "?next=/admin/stats"
    ).location == ("/admin/stats")
    for evil in (
        "https://evil.example/admin/",
        "//evil.example/admin/",
        "/\\evil.example",
        "/v1/x",
    ):
        response = redeem(
            app.test_client(), link_for(DOMAIN, "olga@corp.example") + f"?next={evil}"
        )
        assert response.location == "/admin/", evil


# --- Microsoft Entra ID --------------------------------------------------------------------


def test_entra_sign_in_with_an_app_role(app, idp, make_admin, sessions):
    make_admin(DOMAIN, None, entra_tenant=TENANT)
    idp.claims = {
        "tid": TENANT,
        "preferred_username": "Anna@Corp.Example",
        "roles": ["Draftlint.Editor"],
    }
    client = app.test_client()
    response = _entra_sign_in(client, idp, next_path="/admin/policy")
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.location == "/admin/policy"
    who = _who(client)
    assert (who["org"], who["email"], who["role"]) == (DOMAIN, "anna@corp.example", "editor")
    # PKCE: MSAL sent an S256 challenge, and the stand-in's token endpoint checked the verifier.
    assert idp.authorize_requests[-1]["code_challenge_method"] == "S256"
    assert idp.token_requests[-1]["code_verifier"]
    assert "admin.sign-in" in _audit_actions(sessions, DOMAIN)


def test_entra_highest_app_role_wins(app, idp, make_admin):
    make_admin(DOMAIN, None, entra_tenant=TENANT)
    idp.claims = {
        "tid": TENANT,
        "preferred_username": "anna@corp.example",
        "roles": ["Draftlint.Viewer", "Draftlint.Owner", "Something.Else"],
    }
    client = app.test_client()
    assert _entra_sign_in(client, idp).status_code == 302
    assert _who(client)["role"] == "owner"


def test_entra_role_from_the_admin_list(app, idp, make_admin):
    make_admin(DOMAIN, "viv@corp.example", "viewer", entra_tenant=TENANT)
    idp.claims = {"tid": TENANT, "preferred_username": "viv@corp.example"}
    client = app.test_client()
    assert _entra_sign_in(client, idp).status_code == 302
    assert _who(client)["role"] == "viewer"


@pytest.mark.parametrize(
    ("case", "claims", "tamper", "rogue"),
    [
        ("no role", {"preferred_username": "nobody@corp.example"}, {}, False),
        ("unknown tenant", {"tid": "11111111-dead-beef-0000-000000000000"}, {}, False),
        ("wrong audience", {}, {"aud": "some-other-app"}, False),
        ("expired", {}, {"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200}, False),
        ("bad signature", {}, {}, True),
        ("wrong issuer", {}, {"iss": "https://evil.example/v2.0"}, False),
        ("no tenant", {}, {"tid": None}, False),
    ],
)
def test_entra_refusals(app, idp, make_admin, case, claims, tamper, rogue):
    make_admin(DOMAIN, "anna@corp.example", "owner", entra_tenant=TENANT)
    idp.claims = {
        "tid": TENANT,
        "preferred_username": "anna@corp.example",
        "roles": [] if case == "no role" else ["Draftlint.Owner"],
        **claims,
    }
    idp.tamper = tamper
    idp.sign_with_rogue_key = rogue
    client = app.test_client()
    response = _entra_sign_in(client, idp)
    assert response.status_code == 403, case
    assert _who(client) == 401


def test_entra_callback_with_a_forged_state_is_refused(app, idp, make_admin):
    make_admin(DOMAIN, None, entra_tenant=TENANT)
    idp.claims = {
        "tid": TENANT,
        "preferred_username": "a@corp.example",
        "roles": ["Draftlint.Owner"],
    }
    client = app.test_client()
    start = client.get("/admin/sign-in/microsoft")
    back = urlsplit(idp.follow(start.location))
    query = parse_qs(back.query)
    response = client.get(f"{back.path}?code={query['code'][0]}&state=forged")
    assert response.status_code == 403
    assert _who(client) == 401


def test_entra_callback_without_a_flow_in_the_session(app):
    assert app.test_client().get("/admin/auth/microsoft/callback?code=x&state=y").status_code == 400


# --- Google --------------------------------------------------------------------------------


def test_google_sign_in(app, idp, make_admin, sessions):
    make_admin(DOMAIN, "gina@corp.example", "editor", google_domain=DOMAIN)
    idp.claims = {"email": "gina@corp.example", "hd": DOMAIN}
    client = app.test_client()
    response = _google_sign_in(client, idp)
    assert response.status_code == 302, response.get_data(as_text=True)
    who = _who(client)
    assert (who["org"], who["email"], who["role"]) == (DOMAIN, "gina@corp.example", "editor")
    assert idp.authorize_requests[-1]["code_challenge_method"] == "S256"
    assert idp.authorize_requests[-1]["nonce"]
    assert "admin.sign-in" in _audit_actions(sessions, DOMAIN)


@pytest.mark.parametrize(
    ("case", "claims", "tamper", "rogue"),
    [
        ("not an admin", {"email": "someone@corp.example"}, {}, False),
        ("unknown domain", {"hd": "other.example"}, {}, False),
        ("personal account", {"hd": None}, {}, False),
        ("wrong audience", {}, {"aud": "another-client.apps.googleusercontent.com"}, False),
        ("expired", {}, {"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200}, False),
        ("bad signature", {}, {}, True),
        ("wrong issuer", {}, {"iss": "https://evil.example"}, False),
        ("wrong nonce", {}, {"nonce": "replayed"}, False),
        ("unverified e-mail", {}, {"email_verified": False}, False),
    ],
)
def test_google_refusals(app, idp, make_admin, case, claims, tamper, rogue):
    make_admin(DOMAIN, "gina@corp.example", "owner", google_domain=DOMAIN)
    idp.claims = {"email": "gina@corp.example", "hd": DOMAIN, **claims}
    idp.tamper = tamper
    idp.sign_with_rogue_key = rogue
    client = app.test_client()
    response = _google_sign_in(client, idp)
    assert response.status_code == 403, case
    assert _who(client) == 401


# --- the providers' signing keys (server/keys.py) -------------------------------------------


def _owner_signs_in(face, app, idp, make_admin):
    """The owner of DOMAIN, who signs in with `face`: a function that does it on a new client
    and returns the callback's response and the client."""
    if face == "entra":
        make_admin(DOMAIN, None, entra_tenant=TENANT)
        idp.claims = {
            "tid": TENANT,
            "preferred_username": "anna@corp.example",
            "roles": ["Draftlint.Owner"],
        }
    else:
        make_admin(DOMAIN, "gina@corp.example", "owner", google_domain=DOMAIN)
        idp.claims = {"email": "gina@corp.example", "hd": DOMAIN}

    def sign_in():
        client = app.test_client()
        flow = _entra_sign_in if face == "entra" else _google_sign_in
        return flow(client, idp), client

    return sign_in


KEY_ENDPOINTS = {"entra": "entra-keys", "google": "google-certs"}


@pytest.mark.parametrize("face", ["entra", "google"])
def test_the_signing_keys_are_fetched_once_for_all_sign_ins(app, idp, make_admin, face):
    sign_in = _owner_signs_in(face, app, idp, make_admin)
    for _ in range(3):
        response, client = sign_in()
        assert response.status_code == 302
        assert _who(client)["role"] == "owner"
    assert idp.key_calls == [KEY_ENDPOINTS[face]]


@pytest.mark.parametrize("face", ["entra", "google"])
def test_a_rotated_signing_key_is_fetched_at_once(app, idp, make_admin, face):
    sign_in = _owner_signs_in(face, app, idp, make_admin)
    assert sign_in()[0].status_code == 302
    idp.rotate()
    response, client = sign_in()
    assert response.status_code == 302
    assert _who(client)["role"] == "owner"
    assert idp.key_calls == [KEY_ENDPOINTS[face]] * 2


@pytest.mark.parametrize("face", ["entra", "google"])
@pytest.mark.parametrize("outage", ["down", "captive portal"])
def test_unavailable_signing_keys_are_a_503_not_a_refusal(app, idp, make_admin, face, outage):
    """The provider signed the person in, and we cannot check its token: "try again", not
    "you are not an admin"."""
    name = KEY_ENDPOINTS[face]
    if outage == "down":
        idp.key_fail.add(name)
    else:
        idp.key_answers[name] = b"<html><body>Sign in to the hotel Wi-Fi</body></html>"
        idp.key_cache_control[name] = "public, max-age=86400"
    response, client = _owner_signs_in(face, app, idp, make_admin)()
    assert response.status_code == 503, response.get_data(as_text=True)
    assert "unavailable right now; try again" in response.get_data(as_text=True)
    assert _who(client) == 401
    assert idp.key_calls == [name]


@pytest.mark.parametrize("face", ["entra", "google"])
def test_an_unreachable_database_after_the_provider_is_a_503_not_a_refusal(
    app, idp, make_admin, face, tmp_path
):
    sign_in = _owner_signs_in(face, app, idp, make_admin)
    # The database goes away: its file moved off, the pooled connections closed.
    (tmp_path / "migrated.sqlite3").rename(tmp_path / "away.sqlite3")
    (tmp_path / "migrated.sqlite3").mkdir()  # a folder where the file was: it cannot be opened
    app.extensions["draftlint.storage"].database.dispose()
    response, _ = sign_in()
    assert response.status_code == 503, response.get_data(as_text=True)
    assert "cannot reach its database" in response.get_data(as_text=True)
    assert response.headers["Retry-After"]


@pytest.mark.parametrize("setting", ["ENTRA_JWKS_URI", "GOOGLE_CERTS_URL"])
def test_a_keys_url_over_plain_http_stops_the_start(make_app, sqlite_url, idp, setting):
    plain = idp_support.idp_config(idp)[setting].replace("https://", "http://")
    with pytest.raises(ValueError, match=f"{setting} must be an https:// URL"):
        make_app(sqlite_url, **{setting: plain})


# --- the session ---------------------------------------------------------------------------


def test_session_cookie_flags(app, make_admin, link_for):
    make_admin(DOMAIN, "olga@corp.example")
    response = redeem(app.test_client(), link_for(DOMAIN, "olga@corp.example"))
    cookie = _cookie(response)
    assert "; Secure" in cookie
    assert "; HttpOnly" in cookie
    assert "; SameSite=Lax" in cookie
    expires = parsedate_to_datetime(re.search(r"Expires=([^;]+)", cookie)[1])
    assert timedelta(hours=7) < expires - datetime.now(UTC) <= timedelta(hours=8)


def test_dev_mode_cookie_is_not_secure_and_dev_admin_is_signed_in(make_app, sqlite_url):
    app = make_app(sqlite_url, DEV_MODE=True, TESTING=False)
    client = app.test_client()
    me = client.get("/v1/admin/session")
    assert me.get_json() | {"csrf_token": None} == {
        "org": "local",
        "email": "admin@local",
        "role": "owner",
        "csrf_token": None,
    }
    assert "; Secure" not in _cookie(me)
    # ... and the console works out of the box: the organisation exists.
    assert client.get("/v1/admin/policy/draft").status_code == 200


def test_dev_mode_admin_only_on_loopback(make_app, sqlite_url):
    app = make_app(sqlite_url, DEV_MODE=True)
    remote = app.test_client().get(
        "/v1/admin/session", environ_overrides={"REMOTE_ADDR": "192.0.2.7"}
    )
    assert remote.status_code == 401


def test_session_expires_after_eight_hours(app, make_admin, link_for, monkeypatch):
    make_admin(DOMAIN, "olga@corp.example")
    client = app.test_client()
    redeem(client, link_for(DOMAIN, "olga@corp.example"))
    assert _who(client)["email"] == "olga@corp.example"
    later = time.time() + 8 * 3600 + 60
    monkeypatch.setattr(admin_session, "_now", lambda: later)
    assert _who(client) == 401


def test_sign_out(app, make_admin, link_for, sessions):
    make_admin(DOMAIN, "olga@corp.example")
    client = app.test_client()
    redeem(client, link_for(DOMAIN, "olga@corp.example"))
    csrf = _who(client)["csrf_token"]
    assert client.post("/admin/sign-out").status_code == 403  # no CSRF token
    assert _who(client)["email"] == "olga@corp.example"
    response = client.post("/admin/sign-out", data={"csrf_token": csrf})
    assert response.status_code == 302
    assert response.location == "/admin/sign-in"
    assert _who(client) == 401
    assert _audit_actions(sessions, DOMAIN)[0] == "admin.sign-out"


def test_session_fixation(app, idp, make_admin, link_for):
    """A cookie planted before sign-in (here: one holding a sign-in in progress) is worth
    nothing after it: sign-in issues a new cookie, a new session id and a new CSRF token."""
    make_admin(DOMAIN, "olga@corp.example", entra_tenant=TENANT)
    client = app.test_client()
    planted = _cookie(client.get("/admin/sign-in/microsoft")).split(";")[0]
    signed = _cookie(redeem(client, link_for(DOMAIN, "olga@corp.example"))).split(";")[0]
    assert signed != planted
    first_csrf = _who(client)["csrf_token"]

    attacker = app.test_client()
    attacker.set_cookie("draftlint_session", planted.partition("=")[2])
    assert _who(attacker) == 401

    with client.session_transaction() as flask_session:  # read only: the session id
        first_id = flask_session["sid"]
    redeem(client, link_for(DOMAIN, "olga@corp.example"))
    with client.session_transaction() as flask_session:
        assert flask_session["sid"] != first_id
        assert "entra_flow" not in flask_session
    assert _who(client)["csrf_token"] != first_csrf


def test_a_tampered_cookie_is_not_a_session(app, make_admin, link_for):
    make_admin(DOMAIN, "olga@corp.example")
    client = app.test_client()
    value = (
        _cookie(redeem(client, link_for(DOMAIN, "olga@corp.example")))
        .split(";")[0]
        .partition("=")[2]
    )
    forged = app.test_client()
    forged.set_cookie(
        "draftlint_session", value[:-4] + ("AAAA" if not value.endswith("AAAA") else "BBBB")
    )
    assert _who(forged) == 401


# --- CSRF ----------------------------------------------------------------------------------


@pytest.mark.parametrize("token", [None, "", "wrong-token"])
def test_csrf_missing_or_wrong_is_refused(signed_in, token):
    admin = signed_in(DOMAIN, "olga@corp.example")
    headers = {"If-Match": '"draft-0"'}
    if token is not None:
        headers["X-CSRF-Token"] = token
    response = admin.client.put("/v1/admin/policy/draft", json={}, headers=headers)
    assert response.status_code == 403
    assert response.mimetype == "application/problem+json"
    assert "CSRF" in response.get_json()["detail"]
    form = admin.client.post("/admin/sign-out", data={"csrf_token": token or ""})
    assert form.status_code == 403
    assert form.mimetype == "text/html"


def test_csrf_token_of_another_session_is_refused(signed_in):
    olga = signed_in(DOMAIN, "olga@corp.example")
    peter = signed_in(DOMAIN, "peter@corp.example")
    response = olga.client.put(
        "/v1/admin/policy/draft",
        json={},
        headers={"If-Match": '"draft-0"', "X-CSRF-Token": peter.csrf},
    )
    assert response.status_code == 403


def test_csrf_token_as_form_field_is_accepted(signed_in):
    admin = signed_in(DOMAIN, "olga@corp.example")
    response = admin.client.post("/admin/sign-out", data={"csrf_token": admin.csrf})
    assert response.status_code == 302


def test_secret_key_missing_in_production_disables_the_admin_side(
    make_app, sqlite_url, monkeypatch
):
    monkeypatch.delenv("DRAFTLINT_SECRET_KEY", raising=False)
    app = make_app(sqlite_url, TESTING=False)
    client = app.test_client()
    assert client.get("/v1/admin/session").status_code == 503
    assert client.get("/admin/sign-in").status_code == 503
    assert client.get("/healthz").status_code == 200
