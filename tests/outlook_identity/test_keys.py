"""Entra's signing keys: fetched once, re-fetched when a token names a new key, but at most once a
minute however many unknown key ids arrive; unreachable keys are a 401, never a 5xx."""

from __future__ import annotations

import socket

import pytest

from server.entra import EntraSettings, EntraVerifier, Rejected

TENANT_A = "a1a1a1a1-0000-4000-8000-00000000000a"


@pytest.fixture
def verifier(microsoft, clock, outlook_config):
    return EntraVerifier(EntraSettings.from_config(outlook_config), clock=clock)


def test_the_keys_are_fetched_once_through_discovery(verifier, microsoft):
    for _ in range(5):
        assert verifier.verify(microsoft.access_token(TENANT_A)).tenant == TENANT_A

    assert microsoft.calls.count("discovery") == 1
    assert microsoft.calls.count("jwks") == 1


def test_a_configured_jwks_uri_skips_discovery(microsoft, clock, outlook_config):
    config = {**outlook_config, "OUTLOOK_JWKS_URI": f"{microsoft.base}/common/discovery/v2.0/keys"}
    verifier = EntraVerifier(EntraSettings.from_config(config), clock=clock)

    verifier.verify(microsoft.access_token(TENANT_A))

    assert microsoft.calls == ["jwks"]


def test_a_new_key_id_triggers_one_refetch_and_then_verifies(verifier, microsoft, clock):
    verifier.verify(microsoft.access_token(TENANT_A))
    microsoft.rotate()
    clock.now += 5

    verified = verifier.verify(microsoft.access_token(TENANT_A))

    assert verified.tenant == TENANT_A
    assert microsoft.calls.count("jwks") == 2
    verifier.verify(microsoft.access_token(TENANT_A))  # now known: no further fetch
    assert microsoft.calls.count("jwks") == 2


def test_unknown_key_ids_refetch_at_most_once_a_minute(verifier, microsoft, clock):
    verifier.verify(microsoft.access_token(TENANT_A))
    for n in range(20):
        with pytest.raises(Rejected, match="does not publish"):
            verifier.verify(microsoft.access_token(TENANT_A, kid=f"forged-{n}"))
        clock.now += 1
    assert microsoft.calls.count("jwks") == 2  # the first fetch and one forced re-fetch

    clock.now += 60
    with pytest.raises(Rejected):
        verifier.verify(microsoft.access_token(TENANT_A, kid="forged-late"))
    assert microsoft.calls.count("jwks") == 3


def test_the_keys_are_refreshed_after_a_day(verifier, microsoft, clock):
    verifier.verify(microsoft.access_token(TENANT_A))
    clock.now += 24 * 3600 + 1
    verifier.verify(microsoft.access_token(TENANT_A))
    assert microsoft.calls.count("jwks") == 2


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_keys_are_a_401_not_a_5xx(make_app, sqlite_url, microsoft, caplog):
    dead = f"https://127.0.0.1:{_closed_port()}/keys"
    app = make_app(sqlite_url, OUTLOOK_JWKS_URI=dead)
    token = microsoft.access_token(TENANT_A)

    response = app.test_client().post(
        "/v1/lint", json={"body": {"content": "hi"}}, headers={"Authorization": f"Bearer {token}"}
    )

    assert response.status_code == 401
    assert "signing keys could not be fetched" in response.get_json()["detail"]
    assert token not in caplog.text


def test_a_rotated_key_is_picked_up_by_the_running_app(app, microsoft):
    client = app.test_client()
    draft = {"body": {"content": "hi"}}
    first = microsoft.access_token(TENANT_A)
    headers = {"Authorization": f"Bearer {first}"}
    assert client.post("/v1/lint", json=draft, headers=headers).status_code == 200

    microsoft.rotate()
    second = microsoft.access_token(TENANT_A)
    response = client.post("/v1/lint", json=draft, headers={"Authorization": f"Bearer {second}"})

    assert response.status_code == 200
    assert microsoft.calls.count("jwks") == 2
