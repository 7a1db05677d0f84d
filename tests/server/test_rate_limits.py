"""Rate limits (server/limits.py): /v1 per caller, /gmail per user, admin sign-in per address;
429 problem JSON with Retry-After; probes never limited; counts shared through Redis; linting
carries on when Redis is down.

The Redis tests use `$TEST_REDIS_URL` (default the local server on 127.0.0.1:6379, which
`.ci/run` starts); unreachable, they are skipped, except under CI (`$CI` set), where they fail.
Each test counts under a key prefix of its own and deletes its keys afterwards.
"""

import logging
import re
import socket

import pytest
import redis

from server.app import create_app
from server.config import from_environment

DRAFT = {"body": {"content": "Thanks"}}
KEY_A = "key-a-0123456789abcdef"
KEY_B = "key-b-0123456789abcdef"
KEYS = {KEY_A: "corp.example", KEY_B: "corp.example"}
# Three base64url parts: the shape of an Entra access token (none verifies here).
JWT_1 = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlMQ"
JWT_2 = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIyIn0.c2lnbmF0dXJlMg"


def _app(sqlite_url, registry, **config):
    return create_app({"TESTING": True, "DATABASE_URL": sqlite_url, **config}, registry=registry)


def _bearer(token: str, address: str = "127.0.0.1") -> dict:
    return {
        "headers": {"Authorization": f"Bearer {token}"},
        "environ_base": {"REMOTE_ADDR": address},
    }


def _lint(client, **kwargs):
    return client.post("/v1/lint", json=DRAFT, **kwargs).status_code


def _assert_too_many(response, limit: str):
    assert response.status_code == 429
    assert response.content_type == "application/problem+json"
    body = response.get_json()
    assert body["type"] == "about:blank"
    assert body["title"] == "Too Many Requests"
    assert body["status"] == 429
    assert limit in body["detail"]
    seconds = int(response.headers["Retry-After"])
    assert 1 <= seconds <= 60
    assert f"Try again in {seconds} s" in body["detail"]


# --- /v1 ----------------------------------------------------------------------------------------


def test_over_the_limit_is_429_problem_json_with_retry_after(sqlite_url, registry):
    # Dev mode keeps the limits.
    app = _app(sqlite_url, registry, DEV_MODE=True, RATE_LIMIT_API="3/minute")
    client = app.test_client()
    assert [_lint(client) for _ in range(3)] == [200, 200, 200]
    _assert_too_many(client.post("/v1/lint", json=DRAFT), "3 per 1 minute")
    # One budget for all of /v1, not one per operation.
    _assert_too_many(client.get("/v1/rules"), "3 per 1 minute")


def test_each_api_key_has_its_own_budget(sqlite_url, registry):
    app = _app(sqlite_url, registry, API_KEYS=KEYS, RATE_LIMIT_API="2/minute")
    client = app.test_client()
    assert [_lint(client, **_bearer(KEY_A)) for _ in range(3)] == [200, 200, 429]
    # The other key, from the same address, is another caller.
    assert [_lint(client, **_bearer(KEY_B)) for _ in range(3)] == [200, 200, 429]


def test_a_key_keeps_its_budget_from_any_address(sqlite_url, registry):
    app = _app(sqlite_url, registry, API_KEYS=KEYS, RATE_LIMIT_API="2/minute")
    client = app.test_client()
    assert _lint(client, **_bearer(KEY_A, "10.0.0.1")) == 200
    assert _lint(client, **_bearer(KEY_A, "10.0.0.2")) == 200
    assert _lint(client, **_bearer(KEY_A, "10.0.0.3")) == 429


def test_unknown_keys_count_against_the_client_address(sqlite_url, registry):
    """Guessing keys does not get a fresh budget per guess: an unknown key is no caller."""
    app = _app(sqlite_url, registry, API_KEYS=KEYS, RATE_LIMIT_API="2/minute")
    client = app.test_client()
    guesses = [_lint(client, **_bearer(f"guess-{n}-0123456789", "10.0.0.9")) for n in range(3)]
    assert guesses == [401, 401, 429]
    assert (
        client.post("/v1/lint", json=DRAFT, environ_base={"REMOTE_ADDR": "10.0.0.9"}).status_code
        == 429
    )
    # Another address, and a real key from the same address, are not affected.
    assert _lint(client, **_bearer("guess-x-0123456789", "10.0.0.10")) == 401
    assert _lint(client, **_bearer(KEY_A, "10.0.0.9")) == 200


def test_a_refused_request_logs_no_client_address(sqlite_url, registry, caplog):
    caplog.set_level(logging.DEBUG)
    app = _app(sqlite_url, registry, API_KEYS=KEYS, RATE_LIMIT_API="1/minute")
    client = app.test_client()
    assert [_lint(client, **_bearer(KEY_A, "192.0.2.77")) for _ in range(2)] == [200, 429]
    assert [_lint(client, environ_base={"REMOTE_ADDR": "192.0.2.77"}) for _ in range(2)] == [
        401,
        429,
    ]
    assert "192.0.2.77" not in caplog.text
    assert "POST /v1/lint 429" in caplog.text  # the access log has it


def test_each_bearer_token_has_its_own_budget(sqlite_url, registry):
    # Entra is not configured: both tokens are refused, each counted on its own.
    app = _app(sqlite_url, registry, API_KEYS=KEYS, RATE_LIMIT_API="1/minute")
    client = app.test_client()
    assert [_lint(client, **_bearer(JWT_1)) for _ in range(2)] == [401, 429]
    assert [_lint(client, **_bearer(JWT_2)) for _ in range(2)] == [401, 429]


def test_probes_openapi_pages_and_static_files_are_never_limited(sqlite_url, registry):
    app = _app(
        sqlite_url,
        registry,
        API_KEYS=KEYS,
        RATE_LIMIT_API="1/minute",
        RATE_LIMIT_GMAIL="1/minute",
        RATE_LIMIT_SIGN_IN="1/minute",
    )
    client = app.test_client()
    paths = ("/healthz", "/readyz", "/openapi.json", "/", "/static/style.css", "/admin/sign-in")
    for _ in range(5):
        for path in paths:
            response = client.get(path)
            assert response.status_code == 200, path
            response.close()
    # ... and they spent nothing of the /v1 budget.
    assert _lint(client, **_bearer(KEY_A)) == 200


def test_cors_preflights_are_not_counted(sqlite_url, registry):
    base = "https://lint.corp.example"
    app = _app(sqlite_url, registry, API_KEYS=KEYS, RATE_LIMIT_API="1/minute", PUBLIC_BASE_URL=base)
    client = app.test_client()
    preflight = {
        "Origin": base,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type",
    }
    for _ in range(3):
        assert client.options("/v1/lint", headers=preflight).status_code == 200
    assert _lint(client, **_bearer(KEY_A)) == 200


def test_off_switches_a_limit_off(sqlite_url, registry):
    app = _app(sqlite_url, registry, DEV_MODE=True, RATE_LIMIT_API="off")
    client = app.test_client()
    assert {_lint(client) for _ in range(20)} == {200}


# --- /gmail and admin sign-in -------------------------------------------------------------------


def _gmail_event(user_token: str | None) -> dict:
    event = {"commonEventObject": {"hostApp": "GMAIL"}, "gmail": {}}
    if user_token:
        event["authorizationEventObject"] = {"userIdToken": user_token}
    return event


def test_gmail_counts_per_user(sqlite_url, registry):
    # Dev mode: the event is not verified, but it is counted by its user ID token.
    app = _app(sqlite_url, registry, DEV_MODE=True, RATE_LIMIT_GMAIL="2/minute")
    client = app.test_client()

    def homepage(user_token):
        return client.post("/gmail/homepage", json=_gmail_event(user_token))

    assert [homepage("user-one").status_code for _ in range(2)] == [200, 200]
    _assert_too_many(homepage("user-one"), "2 per 1 minute")
    assert homepage("user-two").status_code == 200
    # Without a user token the client address is counted; a body that is not JSON as well.
    assert homepage(None).status_code == 200
    assert client.post("/gmail/homepage", data=b"{", content_type="text/plain").status_code == 415
    _assert_too_many(homepage(None), "2 per 1 minute")


def test_sign_in_counts_per_address_and_answers_a_page(sqlite_url, registry):
    app = _app(sqlite_url, registry, RATE_LIMIT_SIGN_IN="2/minute")
    client = app.test_client()
    here = {"environ_base": {"REMOTE_ADDR": "10.0.0.7"}}
    # The link's button: refused for its CSRF token, but counted; so is a provider's start.
    assert client.post("/admin/sign-in/one-time-token", data={}, **here).status_code == 400
    assert client.get("/admin/sign-in/microsoft", **here).status_code == 404  # not configured
    response = client.post("/admin/sign-in/one-time-token", data={}, **here)
    assert response.status_code == 429
    assert response.mimetype == "text/html"
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Too many sign-in attempts" in response.get_data(as_text=True)
    assert client.get("/admin/auth/google/callback", **here).status_code == 429
    # Opening a link spends nothing and is not counted, nor is the plain page.
    assert client.get("/admin/sign-in/one-time-token", **here).status_code == 200
    assert client.get("/admin/sign-in", **here).status_code == 200
    # Another address has a budget of its own.
    there = {"environ_base": {"REMOTE_ADDR": "10.0.0.8"}}
    assert client.post("/admin/sign-in/one-time-token", data={}, **there).status_code == 400


# --- settings -----------------------------------------------------------------------------------


def test_settings_come_from_the_environment():
    found = from_environment(
        {
            "DRAFTLINT_RATE_LIMIT_API": "100/minute",
            "DRAFTLINT_RATE_LIMIT_GMAIL": "off",
            "DRAFTLINT_RATE_LIMIT_SIGN_IN": "5/minute;20/hour",
            "DRAFTLINT_RATE_LIMIT_STORAGE": "redis://127.0.0.1:6379/3",
        }
    )
    assert found == {
        "RATE_LIMIT_API": "100/minute",
        "RATE_LIMIT_GMAIL": "off",
        "RATE_LIMIT_SIGN_IN": "5/minute;20/hour",
        "RATE_LIMIT_STORAGE": "redis://127.0.0.1:6379/3",
    }


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("RATE_LIMIT_API", "lots"),
        ("RATE_LIMIT_API", "0/minute"),
        ("RATE_LIMIT_GMAIL", "600"),
        ("RATE_LIMIT_STORAGE", "memcached://127.0.0.1:11211"),
        ("RATE_LIMIT_STORAGE", "127.0.0.1:6379"),
    ],
)
def test_a_bad_setting_stops_the_start(name, value, sqlite_url, registry):
    with pytest.raises(ValueError, match=re.escape(f"$DRAFTLINT_{name}")):
        from_environment({f"DRAFTLINT_{name}": value})
    with pytest.raises(ValueError, match=name):
        _app(sqlite_url, registry, **{name: value})


# --- Redis --------------------------------------------------------------------------------------


def test_two_apps_on_one_redis_share_the_count(sqlite_url, registry, redis_url, redis_prefix):
    config = {
        "API_KEYS": KEYS,
        "RATE_LIMIT_API": "3/minute",
        "RATE_LIMIT_STORAGE": redis_url,
        "RATE_LIMIT_KEY_PREFIX": redis_prefix,
    }
    first = _app(sqlite_url, registry, **config).test_client()
    second = _app(sqlite_url, registry, **config).test_client()
    assert _lint(first, **_bearer(KEY_A)) == 200
    assert _lint(second, **_bearer(KEY_A)) == 200
    assert _lint(first, **_bearer(KEY_A)) == 200
    _assert_too_many(second.post("/v1/lint", json=DRAFT, **_bearer(KEY_A)), "3 per 1 minute")
    assert _lint(first, **_bearer(KEY_A)) == 429
    assert _lint(first, **_bearer(KEY_B)) == 200
    # The counters are keyed by a digest of the key, never by the key.
    client = redis.Redis.from_url(redis_url)
    keys = [key.decode() for key in client.scan_iter(match=f"*{redis_prefix}*")]
    client.close()
    assert len(keys) == 2
    assert not [key for key in keys if KEY_A in key or KEY_B in key]


def _unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_linting_carries_on_when_redis_is_unreachable(sqlite_url, registry, caplog):
    app = _app(
        sqlite_url,
        registry,
        API_KEYS=KEYS,
        RATE_LIMIT_API="3/minute",
        RATE_LIMIT_STORAGE=f"redis://127.0.0.1:{_unused_port()}/0",
    )
    client = app.test_client()
    with caplog.at_level(logging.WARNING, logger="flask-limiter"):
        assert [_lint(client, **_bearer(KEY_A)) for _ in range(3)] == [200, 200, 200]
    assert "falling back to in-memory storage" in caplog.text
    # Meanwhile the process counts in memory: the limit still holds.
    _assert_too_many(client.post("/v1/lint", json=DRAFT, **_bearer(KEY_A)), "3 per 1 minute")


@pytest.mark.parametrize(("hops", "pooled"), [(0, True), (1, False)])
def test_behind_a_proxy_each_forwarded_address_has_its_own_budget(
    sqlite_url, registry, hops, pooled
):
    """Without PROXY_HOPS every sign-in through the proxy spends the proxy's one budget."""
    app = _app(sqlite_url, registry, RATE_LIMIT_SIGN_IN="1/minute", PROXY_HOPS=hops)
    client = app.test_client()

    def sign_in(client_address):
        return client.post(
            "/admin/sign-in/one-time-token",
            data={},
            environ_base={"REMOTE_ADDR": "10.0.0.2"},  # the proxy
            headers={"X-Forwarded-For": client_address},
        ).status_code

    assert sign_in("203.0.113.7") == 400
    assert sign_in("203.0.113.8") == (429 if pooled else 400)
