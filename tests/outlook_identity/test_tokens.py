"""Entra access tokens on /v1: a valid one lints under its organisation's policy; anything forged,
expired, for another API or from an unknown tenant is a 401 problem naming what is wrong."""

from __future__ import annotations

import logging
import time

import jwt
import pytest

from server.app import create_app
from server.outlook.settings import OutlookSettings
from server.outlook.verify import EntraVerifier

TENANT_A = "a1a1a1a1-0000-4000-8000-00000000000a"
TENANT_B = "b2b2b2b2-0000-4000-8000-00000000000b"
TENANT_UNMAPPED = "c3c3c3c3-0000-4000-8000-00000000000c"
API_KEY = "script-key-0123456789abcdef"
APP_ID_URI = "api://lint.corp.example/6c1f3f1e-7a55-4b8e-9d2a-0d7e5c1b2a01"  # the stand-in's
BODY = "Sounds good to me, see you all at the offsite"
SMALL_REPLY = {
    "compose_type": "reply_all",
    "from": {"email": "peter@alpha.example"},
    "to": [{"email": "boss@alpha.example"}],
    "cc": [{"email": "anna@alpha.example"}, {"email": "ben@alpha.example"}],
    "body": {"content": BODY},
    "in_reply_to": {"from": {"email": "boss@alpha.example"}},
}


def _post(client, token: str, draft: dict = SMALL_REPLY):
    return client.post("/v1/lint", json=draft, headers={"Authorization": f"Bearer {token}"})


def test_a_valid_token_lints_under_its_organisations_policy(
    make_app, database_url, microsoft, publish
):
    app = make_app(database_url)
    publish(app, "alpha.example", {"rules": {"large-audience": {"threshold": 2}}})
    client = app.test_client()

    alpha = _post(client, microsoft.access_token(TENANT_A))
    beta = _post(client, microsoft.access_token(TENANT_B))

    assert alpha.status_code == 200, alpha.get_json()
    assert alpha.get_json()["policy"] == {"org": "alpha.example", "version": 1}
    assert "large-audience" in [f["rule"] for f in alpha.get_json()["findings"]]
    assert beta.status_code == 200, beta.get_json()
    assert beta.get_json()["policy"]["org"] != "alpha.example"
    assert "large-audience" not in [f["rule"] for f in beta.get_json()["findings"]]


def test_an_unmapped_tenant_is_refused_on_both_backends(make_app, database_url, microsoft):
    response = _post(make_app(database_url).test_client(), microsoft.access_token(TENANT_UNMAPPED))

    assert response.status_code == 401
    assert "tenant is not set up" in response.get_json()["detail"]


def test_the_application_id_uri_is_an_accepted_audience(app, microsoft):
    token = microsoft.access_token(TENANT_A, aud=APP_ID_URI)
    assert _post(app.test_client(), token).status_code == 200


def test_an_expiry_within_the_clock_skew_is_accepted(app, microsoft):
    now = int(time.time())
    token = microsoft.access_token(TENANT_A, iat=now - 3600, nbf=now - 3600, exp=now - 30)
    assert _post(app.test_client(), token).status_code == 200


def _forgeries(microsoft):
    now = int(time.time())
    a = TENANT_A
    return {
        "signed with a rogue key": (
            microsoft.access_token(a, key=microsoft.rogue_key),
            "signature does not verify",
        ),
        "alg none": (microsoft.access_token(a, algorithm="none"), "must be signed with RS256"),
        "HMAC instead of RSA": (
            jwt.encode(
                {"tid": a, "aud": "x"}, "a-shared-secret-of-32-bytes-len!", algorithm="HS256"
            ),
            "must be signed with RS256",
        ),
        "unknown key id": (microsoft.access_token(a, kid="no-such-key"), "does not publish"),
        "no key id": (microsoft.access_token(a, kid=""), "names no signing key"),
        "wrong audience": (microsoft.access_token(a, aud="api://someone-else"), "(aud)"),
        "Graph's audience": (
            microsoft.access_token(a, aud="https://graph.microsoft.com"),
            "(aud)",
        ),
        "issuer of the real Entra": (
            microsoft.access_token(a, iss=f"https://login.microsoftonline.com/{a}/v2.0"),
            "(iss)",
        ),
        "issuer of another tenant": (
            microsoft.access_token(a, iss=microsoft.issuer(TENANT_B)),
            "(iss)",
        ),
        "v1.0 issuer": (microsoft.access_token(a, iss=f"https://sts.windows.net/{a}/"), "(iss)"),
        "expired": (
            microsoft.access_token(a, iat=now - 7200, nbf=now - 7200, exp=now - 3600),
            "expired",
        ),
        "not valid yet": (microsoft.access_token(a, nbf=now + 600), "not valid yet"),
        "no scope": (microsoft.access_token(a, scp=None), "'access_as_user' scope"),
        "another scope": (microsoft.access_token(a, scp="Mail.Read User.Read"), "'access_as_user'"),
        "no tenant": (microsoft.access_token(a, tid=None), "no 'tid' claim"),
        "tenant not a GUID": (
            microsoft.access_token("contoso", tid="contoso"),
            "not a GUID",
        ),
        "no expiry": (microsoft.access_token(a, exp=None), "no 'exp' claim"),
        "no user object id": (microsoft.access_token(a, oid=None), "(oid)"),
        "user object id not a GUID": (microsoft.access_token(a, oid="peter"), "(oid)"),
        "user object id a number": (microsoft.access_token(a, oid=12345), "(oid)"),
        "user object id with a newline": (
            microsoft.access_token(a, oid="00000000-0000-4000-8000-000000000001\n"),
            "(oid)",
        ),
        "not a JWT": ("abc.def.ghi", "not a valid JWT"),
        "too long": ("a" * 20_000 + ".b.c", "too long"),
    }


FORGERIES = [
    "signed with a rogue key",
    "alg none",
    "HMAC instead of RSA",
    "unknown key id",
    "no key id",
    "wrong audience",
    "Graph's audience",
    "issuer of the real Entra",
    "issuer of another tenant",
    "v1.0 issuer",
    "expired",
    "not valid yet",
    "no scope",
    "another scope",
    "no tenant",
    "tenant not a GUID",
    "no expiry",
    "no user object id",
    "user object id not a GUID",
    "user object id a number",
    "user object id with a newline",
    "not a JWT",
    "too long",
]


@pytest.mark.parametrize("forgery", FORGERIES)
def test_forged_tokens_are_401_naming_the_problem(app, microsoft, forgery, caplog):
    token, expected = _forgeries(microsoft)[forgery]
    caplog.set_level(logging.DEBUG)

    response = _post(app.test_client(), token)

    assert response.status_code == 401
    assert response.content_type == "application/problem+json"
    assert response.headers["WWW-Authenticate"].lower().startswith("bearer")
    detail = response.get_json()["detail"]
    assert expected in detail
    assert token not in detail
    assert token not in caplog.text
    assert BODY not in caplog.text


def test_an_api_key_still_works_beside_entra_tokens(app, publish):
    publish(app, "alpha.example", {"rules": {"large-audience": {"threshold": 2}}})
    response = _post(app.test_client(), API_KEY)
    assert response.status_code == 200
    assert response.get_json()["policy"] == {"org": "alpha.example", "version": 1}
    assert _post(app.test_client(), "not-a-key").get_json()["detail"] == "Unknown API key."


def test_dev_mode_needs_no_token(microsoft, sqlite_url):
    app = create_app({"TESTING": True, "DEV_MODE": True, "DATABASE_URL": sqlite_url})
    assert app.test_client().post("/v1/lint", json=SMALL_REPLY).status_code == 200


def test_without_a_client_id_entra_tokens_are_refused(make_app, sqlite_url, microsoft):
    app = make_app(sqlite_url, OUTLOOK_CLIENT_ID="")
    response = _post(app.test_client(), microsoft.access_token(TENANT_A))
    assert response.status_code == 401
    assert "does not accept Entra access tokens" in response.get_json()["detail"]


def test_a_valid_token_stays_out_of_the_logs(app, microsoft, caplog):
    caplog.set_level(logging.DEBUG)
    token = microsoft.access_token(TENANT_A)

    assert _post(app.test_client(), token).status_code == 200
    assert token not in caplog.text
    assert token.split(".")[2] not in caplog.text  # not even the signature
    assert BODY not in caplog.text


def test_the_openapi_document_declares_both_schemes(app):
    spec = app.test_client().get("/openapi.json").get_json()
    schemes = spec["components"]["securitySchemes"]
    assert schemes["entraToken"]["bearerFormat"] == "JWT"
    lint = spec["paths"]["/v1/lint"]["post"]
    assert {"entraToken": []} in lint["security"] and {"apiKey": []} in lint["security"]


def test_the_other_v1_endpoints_accept_entra_tokens_too(app, microsoft):
    client = app.test_client()
    headers = {"Authorization": f"Bearer {microsoft.access_token(TENANT_A)}"}
    assert client.get("/v1/rules", headers=headers).status_code == 200
    assert client.post("/v1/parse", json=SMALL_REPLY, headers=headers).status_code == 200


def test_the_user_object_id_is_kept_in_one_spelling(microsoft, outlook_config):
    oid = "ABCDEF01-2345-4678-89AB-CDEF01234567"
    verifier = EntraVerifier(OutlookSettings.from_config(outlook_config))

    assert verifier.verify(microsoft.access_token(TENANT_A, oid=oid)).user == oid.lower()
