"""Entra's signing keys: fetched once, re-fetched when a token names a new key, but at most once a
minute however many unknown key ids arrive. Keys that cannot be had (unreachable, or a document
that is not what it should be) are our outage: a 503 problem, never a 401 nor a 500. With keys in
hand, a refresh that is slow or fails holds up no one whose key is known. The rules are
server/keys.py's, the same for Google's certificates and admin sign-in (tests/server/test_keys.py
checks them on every source); these tests check them through the Outlook verifier and app."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from server.outlook.settings import OutlookSettings
from server.outlook.verify import EntraVerifier, KeysUnavailable, Rejected

TENANT_A = "a1a1a1a1-0000-4000-8000-00000000000a"


@pytest.fixture
def verifier(microsoft, clock, outlook_config):
    return EntraVerifier(OutlookSettings.from_config(outlook_config), clock=clock)


def test_the_keys_are_fetched_once_through_discovery(verifier, microsoft):
    for _ in range(5):
        assert verifier.verify(microsoft.access_token(TENANT_A)).tenant == TENANT_A

    assert microsoft.calls.count("discovery") == 1
    assert microsoft.calls.count("jwks") == 1


def test_a_configured_jwks_uri_skips_discovery(microsoft, clock, outlook_config):
    config = {**outlook_config, "OUTLOOK_JWKS_URI": f"{microsoft.base}/common/discovery/v2.0/keys"}
    verifier = EntraVerifier(OutlookSettings.from_config(config), clock=clock)

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


def _eventually(condition, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_the_keys_are_refreshed_after_a_day(verifier, microsoft, clock):
    microsoft.cache_control["jwks"] = "max-age=86400, private"  # as Entra answers
    verifier.verify(microsoft.access_token(TENANT_A))
    clock.now += 24 * 3600 - 1
    verifier.verify(microsoft.access_token(TENANT_A))
    time.sleep(0.1)
    assert microsoft.calls.count("jwks") == 1  # fresh for the day
    clock.now += 2
    verifier.verify(microsoft.access_token(TENANT_A))  # served from the keys in hand...
    assert _eventually(lambda: microsoft.calls.count("jwks") == 2)  # ...refreshed behind it
    time.sleep(0.1)
    verifier.verify(microsoft.access_token(TENANT_A))
    assert microsoft.calls.count("jwks") == 2


@pytest.mark.parametrize("setting", ["OUTLOOK_OPENID_CONFIG", "OUTLOOK_JWKS_URI"])
def test_a_keys_url_over_plain_http_is_refused(outlook_config, setting):
    config = {**outlook_config, setting: "http://login.example/common/keys"}
    with pytest.raises(ValueError, match=f"{setting} must be an https:// URL"):
        OutlookSettings.from_config(config)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _lint(app, token: str):
    return app.test_client().post(
        "/v1/lint", json={"body": {"content": "hi"}}, headers={"Authorization": f"Bearer {token}"}
    )


def _assert_keys_unreachable(response) -> None:
    assert response.status_code == 503, response.get_data(as_text=True)
    assert response.content_type == "application/problem+json"
    problem = response.get_json()
    assert problem["status"] == 503
    assert "signing keys are unreachable; try again" in problem["detail"]
    assert int(response.headers["Retry-After"]) > 0
    assert "WWW-Authenticate" not in response.headers  # not a sign-in problem


def test_unreachable_keys_are_a_503_not_a_401(make_app, sqlite_url, microsoft, caplog):
    dead = f"https://127.0.0.1:{_closed_port()}/keys"
    app = make_app(sqlite_url, OUTLOOK_JWKS_URI=dead)
    token = microsoft.access_token(TENANT_A)

    _assert_keys_unreachable(_lint(app, token))
    assert token not in caplog.text


@pytest.mark.parametrize("down", ["discovery", "jwks"])
def test_discovery_or_keys_failing_are_a_503(make_app, sqlite_url, microsoft, down):
    microsoft.fail.add(down)
    app = make_app(sqlite_url)

    _assert_keys_unreachable(_lint(app, microsoft.access_token(TENANT_A)))


@pytest.mark.parametrize(
    "endpoint, document",
    [
        ("discovery", {"issuer": "https://login.example/{tenantid}/v2.0"}),  # no jwks_uri
        ("discovery", {"jwks_uri": 42}),
        ("discovery", {"jwks_uri": ""}),
        ("discovery", ["not", "an", "object"]),
        ("jwks", {"keys": []}),
        ("jwks", {"keys": "nope"}),
        ("jwks", {"keys": [1, "two", None]}),
        ("jwks", {"no": "keys"}),
        ("jwks", {"keys": [{"kty": "EC", "kid": "ec-only", "crv": "P-256"}]}),
        ("jwks", {"keys": [{"kty": "RSA", "kid": "k", "n": "!!", "e": "AQAB"}]}),
    ],
)
def test_a_malformed_discovery_document_or_key_set_is_a_503_not_a_500(
    make_app, sqlite_url, microsoft, endpoint, document
):
    microsoft.documents[endpoint] = document
    app = make_app(sqlite_url)

    _assert_keys_unreachable(_lint(app, microsoft.access_token(TENANT_A)))
    assert microsoft.calls.count(endpoint) == 1


def test_without_keys_a_failed_fetch_is_not_retried_for_a_few_seconds(verifier, microsoft, clock):
    microsoft.fail.add("jwks")
    for _ in range(5):
        with pytest.raises(KeysUnavailable):
            verifier.verify(microsoft.access_token(TENANT_A))
    assert microsoft.calls.count("jwks") == 1

    microsoft.fail.clear()
    clock.now += 11
    assert verifier.verify(microsoft.access_token(TENANT_A)).tenant == TENANT_A


def test_with_keys_in_hand_a_failing_daily_refresh_lets_valid_tokens_through(
    verifier, microsoft, clock
):
    verifier.verify(microsoft.access_token(TENANT_A))
    microsoft.fail.add("jwks")
    clock.now += 24 * 3600 + 1

    for _ in range(3):
        assert verifier.verify(microsoft.access_token(TENANT_A)).tenant == TENANT_A
        assert _eventually(lambda: microsoft.calls.count("jwks") == 2)
    clock.now += 11  # the failed refresh is tried again, and fails again: still fine
    assert verifier.verify(microsoft.access_token(TENANT_A)).tenant == TENANT_A
    assert _eventually(lambda: microsoft.calls.count("jwks") == 3)
    assert verifier.verify(microsoft.access_token(TENANT_A)).tenant == TENANT_A


def test_with_keys_in_hand_a_failing_refetch_for_a_new_key_lets_known_keys_through(
    make_app, sqlite_url, microsoft
):
    app = make_app(sqlite_url)
    old = microsoft.access_token(TENANT_A)
    assert _lint(app, old).status_code == 200
    microsoft.rotate()
    new = microsoft.access_token(TENANT_A)
    microsoft.fail.add("jwks")

    # We cannot tell whether Microsoft publishes the new key: try again, not "sign in again".
    _assert_keys_unreachable(_lint(app, new))
    _assert_keys_unreachable(_lint(app, new))  # within the minute: not fetched again
    assert microsoft.calls.count("jwks") == 2
    assert _lint(app, old).status_code == 200  # the key in hand still works
    assert _lint(app, old).status_code == 200


def test_a_slow_refetch_holds_up_only_the_token_that_needs_it(verifier, microsoft, clock):
    known = microsoft.access_token(TENANT_A)
    verifier.verify(known)
    microsoft.rotate()
    rolled = microsoft.access_token(TENANT_A)
    microsoft.stall["jwks"] = 1.0
    clock.now += 5
    results: list = []
    waiting = threading.Thread(target=lambda: results.append(verifier.verify(rolled)))
    waiting.start()
    assert _eventually(lambda: microsoft.calls.count("jwks") == 2)

    started = time.perf_counter()
    for _ in range(5):
        assert verifier.verify(known).tenant == TENANT_A
    assert time.perf_counter() - started < 0.5  # not behind the re-fetch
    assert waiting.is_alive()

    waiting.join(timeout=5)
    assert [r.tenant for r in results] == [TENANT_A]  # the rolled key arrived and verified
    assert microsoft.calls.count("jwks") == 2


def test_requests_that_arrive_before_any_keys_wait_for_one_fetch(verifier, microsoft):
    microsoft.stall["discovery"] = 0.3
    results: list = []
    threads = [
        threading.Thread(
            target=lambda: results.append(verifier.verify(microsoft.access_token(TENANT_A)))
        )
        for _ in range(5)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    assert [r.tenant for r in results] == [TENANT_A] * 5
    assert microsoft.calls.count("discovery") == 1
    assert microsoft.calls.count("jwks") == 1


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
