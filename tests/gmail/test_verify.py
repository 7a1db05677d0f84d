"""Request verification: only Google's add-on runtime, for our deployment, for a user of a known
organisation, gets through. Tokens are minted with the stand-in's keys and checked against its
certificates over HTTPS; nothing in the app is patched."""

import dataclasses

import pytest

from server.gmail.verify import CertificatesUnavailable, Refused, Verifier

BASE = "https://lint.corp.example"
COMPOSE = f"{BASE}/gmail/compose"
EVENT = {"gmail": {"toRecipients": ["peter@corp.example"]}}


def _refusals(google):
    """(name, options for `post`): every way a request must be refused."""
    support = google.support
    return {
        "no token": {"system": "", "headers": {}},
        "not bearer": {"headers": {"Authorization": "Basic " + google.system_token(COMPOSE)}},
        "garbage token": {"headers": {"Authorization": "Bearer not.a.jwt"}},
        "rogue key": {
            "system": google.mint(
                {
                    "aud": COMPOSE,
                    "email": support.ADDON_SERVICE_ACCOUNT,
                    "email_verified": True,
                },
                rogue=True,
            )
        },
        "wrong audience": {"system": google.system_token("https://evil.example/gmail/compose")},
        "audience of another base": {"system": google.system_token(f"{BASE}.evil/gmail/compose")},
        # The two tokens' audiences differ: the system token's is the endpoint URL, the user's
        # is the deployment's OAuth client id. Neither is accepted with the other's.
        "system token for the OAuth client": {
            "system": google.system_token(support.OAUTH_CLIENT_ID)
        },
        "wrong service account": {
            "system": google.system_token(
                COMPOSE, email="service-999@gcp-sa-gsuiteaddons.iam.gserviceaccount.com"
            )
        },
        "email not verified": {"system": google.system_token(COMPOSE, email_verified=False)},
        "no email": {"system": google.system_token(COMPOSE, email=None)},
        "wrong issuer": {"system": google.system_token(COMPOSE, iss="https://evil.example")},
        "expired": {
            "system": google.mint(
                {"aud": COMPOSE, "email": support.ADDON_SERVICE_ACCOUNT, "email_verified": True},
                lifetime=-600,
            )
        },
        "no user token": {"user": None},
        "bad user token": {"user": "not-a-token"},
        "user token rogue key": {
            "user": google.mint(
                {
                    "aud": support.OAUTH_CLIENT_ID,
                    "email": "ana@corp.example",
                    "email_verified": True,
                    "hd": "corp.example",
                },
                rogue=True,
            )
        },
        "user token for another client": {"user": google.user_token(aud="other-client")},
        "user token for the endpoint URL": {"user": google.user_token(aud=COMPOSE)},
        "user token expired": {
            "user": google.mint(
                {
                    "aud": support.OAUTH_CLIENT_ID,
                    "email": "ana@corp.example",
                    "email_verified": True,
                    "hd": "corp.example",
                },
                lifetime=-600,
            )
        },
        "user email not verified": {"user": google.user_token(email_verified=False)},
        "personal account (no hd)": {"user": google.user_token("ana@gmail.com", hd=None)},
        "unknown domain": {"user": google.user_token("bob@other.example")},
    }


REFUSALS = [
    "no token",
    "not bearer",
    "garbage token",
    "rogue key",
    "wrong audience",
    "audience of another base",
    "system token for the OAuth client",
    "wrong service account",
    "email not verified",
    "no email",
    "wrong issuer",
    "expired",
    "no user token",
    "bad user token",
    "user token rogue key",
    "user token for another client",
    "user token for the endpoint URL",
    "user token expired",
    "user email not verified",
    "personal account (no hd)",
    "unknown domain",
]


def test_refusal_list_is_complete(google):
    assert set(REFUSALS) == set(_refusals(google))


@pytest.mark.parametrize("case", REFUSALS)
@pytest.mark.parametrize("endpoint", ["homepage", "compose", "fix", "why"])
def test_refused_with_401_problem(case, endpoint, app, post, google, caplog):
    options = _refusals(google)[case]
    response = post(app.test_client(), endpoint, EVENT, **options)
    assert response.status_code == 401, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["status"] == 401 and problem["detail"]
    assert response.headers["WWW-Authenticate"].lower().startswith("bearer")
    # No token, and no address of the draft, reaches the log or the answer.
    for token in (options.get("system"), options.get("user")):
        if token:
            assert token not in caplog.text and token not in problem["detail"]
    assert "peter@corp.example" not in caplog.text


@pytest.mark.parametrize("endpoint", ["homepage", "compose"])
def test_accepted_for_each_endpoint_url(endpoint, app, post, google, cards_check):
    response = post(app.test_client(), endpoint, EVENT)
    assert response.status_code == 200, response.get_data(as_text=True)
    cards_check.check_card(cards_check.card_of(response.get_json(), wrapped=False))


def test_token_for_one_endpoint_is_accepted_at_another(app, post, google):
    """Google issues the token for the URL it calls; all our endpoint URLs are one deployment."""
    system = google.system_token(f"{BASE}/gmail/why")
    response = post(app.test_client(), "compose", EVENT, system=system)
    assert response.status_code == 200


def test_certificates_fetched_once(app, post, google):
    client = app.test_client()
    for _ in range(3):
        assert post(client, "compose", EVENT).status_code == 200
    assert google.count("/oauth2/v1/certs") == 1


def test_certificates_unreachable_is_503(app, post, google):
    google.fail["certs"] = 500
    response = post(app.test_client(), "compose", EVENT)
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert "certificates" in response.get_json()["detail"]


def test_not_configured_refuses(make_app, sqlite_url, post, google):
    app = make_app(sqlite_url, GMAIL_ADDON_SERVICE_ACCOUNT="", GMAIL_OAUTH_CLIENT_ID="")
    response = post(app.test_client(), "compose", EVENT)
    assert response.status_code == 401
    assert "not configured" in response.get_json()["detail"]


def test_public_base_url_decides_the_audience(make_app, sqlite_url, post, google):
    """Behind a proxy the request's own URL differs from the public one the token names."""
    app = make_app(sqlite_url, PUBLIC_BASE_URL="https://other.corp.example")
    assert post(app.test_client(), "compose", EVENT).status_code == 401
    token = google.system_token("https://other.corp.example/gmail/compose")
    assert post(app.test_client(), "compose", EVENT, system=token).status_code == 200


def test_organisation_from_hosted_domain_on_each_backend(make_app, database_url, post, google):
    """The domain maps to its organisation through the store, on SQLite and PostgreSQL."""
    app = make_app(database_url)
    client = app.test_client()
    assert post(client, "compose", EVENT).status_code == 200
    other = google.user_token("bob@other.example")
    assert post(client, "compose", EVENT, user=other).status_code == 401


def test_dev_mode_needs_no_token(make_app, sqlite_url, google, cards_check):
    app = make_app(sqlite_url, DEV_MODE=True, org=False)
    response = app.test_client().post("/gmail/compose", json=EVENT)
    assert response.status_code == 200
    cards_check.check_card(cards_check.card_of(response.get_json(), wrapped=False))


def _with_clock(app, clock) -> Verifier:
    """The app's Gmail verifier rebuilt on `clock` (the same settings, a fresh key cache)."""
    services = app.extensions["draftlint.gmail"]
    verifier = Verifier(services.settings, clock=clock)
    app.extensions["draftlint.gmail"] = dataclasses.replace(services, verifier=verifier)
    return verifier


def test_rotated_keys_are_fetched_again_at_most_once_a_minute(app, google, clock):
    """Google rotates its signing keys: a token signed with a key id we have not fetched makes
    us fetch the certificates again at once, but not again within the minute."""
    verifier = _with_clock(app, clock)
    sessions = app.extensions["draftlint.storage"].sessions
    with sessions() as db:
        token = "Bearer " + google.system_token(COMPOSE)
        assert verifier.caller(token, google.user_token(), [COMPOSE], db).org == "corp.example"
        google.rotate()
        clock.now += 5
        token = "Bearer " + google.system_token(COMPOSE)
        user = verifier.caller(token, google.user_token(), [COMPOSE], db)
        assert (user.org, user.email, user.domain) == (
            "corp.example",
            "ana@corp.example",
            "corp.example",
        )
        assert google.count("/oauth2/v1/certs") == 2
        google.rotate()
        clock.now += 5  # within the minute of the last forced fetch: refused, nothing fetched
        token = "Bearer " + google.system_token(COMPOSE)
        with pytest.raises(Refused):
            verifier.caller(token, google.user_token(), [COMPOSE], db)
        assert google.count("/oauth2/v1/certs") == 2
        clock.now += 60
        assert verifier.caller(token, google.user_token(), [COMPOSE], db).org == "corp.example"
        assert google.count("/oauth2/v1/certs") == 3


@pytest.mark.parametrize(
    "token",
    ["not.a.jwt", "x", "eyJhbGciOiJub25lIn0.eyJhdWQiOiJ4In0.", "eyJhbGciOiJIUzI1NiJ9.e30.c2ln"],
    ids=["garbage", "one segment", "alg none", "HS256"],
)
def test_a_malformed_token_is_refused_without_asking_google(app, post, google, token):
    google.fail["certs"] = 500  # bad input is refused (401) even while Google is unreachable
    headers = {"Authorization": f"Bearer {token}"}
    response = post(app.test_client(), "compose", EVENT, headers=headers)
    assert response.status_code == 401
    assert google.count("/oauth2/v1/certs") == 0


@pytest.mark.parametrize(
    "answer",
    [
        b"<html><body>Sign in to the proxy</body></html>",
        b'{"error": "captive portal"}',
        b'{"google-stand-in-key": "not a certificate"}',
        b"{}",
        b'["-----BEGIN CERTIFICATE-----"]',
        b"[" * 100_000,
    ],
    ids=["html page", "other json", "not a pem", "empty object", "a list", "nested"],
)
def test_an_answer_that_is_not_certificates_is_not_kept(answer, app, post, google, clock):
    """A 200 that is not Google's certificates (a proxy's page, with a long max-age) is not
    cached: the request is a 503 like any outage, tried again ten seconds later, not refused for
    hours."""
    _with_clock(app, clock)
    client = app.test_client()
    google.certs_answer = answer
    for _ in range(2):
        response = post(client, "compose", EVENT)
        assert response.status_code == 503, response.get_data(as_text=True)
        assert response.mimetype == "application/problem+json"
        assert "certificates" in response.get_json()["detail"]
    assert google.count("/oauth2/v1/certs") == 1  # not asked again within ten seconds
    google.certs_answer = None
    clock.now += 11
    assert post(client, "compose", EVENT).status_code == 200
    assert post(client, "compose", EVENT).status_code == 200
    assert google.count("/oauth2/v1/certs") == 2  # the real certificates are kept


def test_the_key_cache_keeps_only_certificates(app, google, clock):
    """The cache itself: a non-certificate 200 is an outage (CertificatesUnavailable, the 503
    path) and is not kept; the real answer is kept for its max-age."""
    kid = google.kid
    keys = Verifier(app.extensions["draftlint.gmail"].settings, clock=clock).keys
    google.certs_answer = b'{"kid": 42}'
    with pytest.raises(CertificatesUnavailable):
        keys.get(kid)
    google.certs_answer = None
    clock.now += 11
    first = keys.get(kid)
    assert first is not None and keys.get(kid) is first
    clock.now += 3599  # the stand-in's max-age is an hour
    assert keys.get(kid) is first
    assert google.count("/oauth2/v1/certs") == 2


@pytest.mark.parametrize("endpoint", ["homepage", "compose", "fix", "why"])
def test_without_public_base_url_every_request_is_refused(
    endpoint, make_app, sqlite_url, post, google, monkeypatch
):
    """The audience must not come from the request's Host header, which the caller chooses:
    without a configured PUBLIC_BASE_URL nothing is verified, even a token for the Host."""
    monkeypatch.delenv("DRAFTLINT_PUBLIC_BASE_URL", raising=False)
    app = make_app(sqlite_url, PUBLIC_BASE_URL="")
    client = app.test_client()
    for host in ("localhost", "evil.example"):
        token = google.system_token(f"http://{host}/gmail/{endpoint}")
        response = client.post(
            f"/gmail/{endpoint}",
            json={"authorizationEventObject": {"userIdToken": google.user_token()}},
            headers={"Authorization": f"Bearer {token}", "Host": host},
        )
        assert response.status_code == 401, response.get_data(as_text=True)
        assert response.mimetype == "application/problem+json"
        assert response.get_json()["detail"] == (
            "The Gmail add-on is not configured on this server (PUBLIC_BASE_URL)."
        )
        assert response.headers["WWW-Authenticate"].lower().startswith("bearer")
    assert google.count("/oauth2/v1/certs") == 0


def test_public_base_url_from_the_environment(make_app, sqlite_url, post, google, monkeypatch):
    monkeypatch.setenv("DRAFTLINT_PUBLIC_BASE_URL", BASE + "/")
    app = make_app(sqlite_url, PUBLIC_BASE_URL="")
    assert post(app.test_client(), "compose", EVENT).status_code == 200


def test_dev_mode_needs_no_public_base_url(make_app, sqlite_url, cards_check, monkeypatch):
    monkeypatch.delenv("DRAFTLINT_PUBLIC_BASE_URL", raising=False)
    app = make_app(sqlite_url, DEV_MODE=True, org=False, PUBLIC_BASE_URL="")
    response = app.test_client().post("/gmail/compose", json=EVENT)
    assert response.status_code == 200
    card = cards_check.card_of(response.get_json(), wrapped=False)
    cards_check.check_card(card)
