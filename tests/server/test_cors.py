"""The JSON API answers CORS for the add-in's own origin only: classic Outlook on Windows calls
/v1 from its JavaScript-only runtime with a preflight (Authorization is not a simple header)."""

from __future__ import annotations

import pytest

from server.app import create_app

BASE = "https://lint.corp.example"
KEY = "cors-test-key-0123456789"
DRAFT = {"body": {"content": "Thanks all!", "type": "text"}}


@pytest.fixture
def client(registry, tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "PUBLIC_BASE_URL": BASE,
            "API_KEYS": {KEY: "corp.example"},
            "DATABASE_URL": f"sqlite:///{tmp_path / 'cors.sqlite3'}",
        },
        registry=registry,
    )
    return app.test_client()


def _preflight(client, origin: str, path: str = "/v1/lint"):
    return client.options(
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )


@pytest.mark.parametrize("path", ["/v1/lint", "/v1/events"])
def test_the_add_in_origin_may_call_the_api(client, path):
    preflight = _preflight(client, BASE, path)
    assert preflight.status_code == 200  # before authentication: a preflight has no token
    assert preflight.headers["Access-Control-Allow-Origin"] == BASE
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    headers = preflight.headers["Access-Control-Allow-Headers"]
    allowed = {h.strip().lower() for h in headers.split(",")}
    assert {"authorization", "content-type"} <= allowed
    assert "Origin" in preflight.headers["Vary"]


def test_the_answer_is_readable_by_the_add_in_origin(client):
    response = client.post(
        "/v1/lint", json=DRAFT, headers={"Origin": BASE, "Authorization": f"Bearer {KEY}"}
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == BASE
    refused = client.post("/v1/lint", json=DRAFT, headers={"Origin": BASE})
    assert refused.status_code == 401  # CORS opens the door to the add-in, not past the token
    assert refused.headers["Access-Control-Allow-Origin"] == BASE  # so it can read the 401


@pytest.mark.parametrize(
    "origin", ["https://evil.example", "http://lint.corp.example", "https://lint.corp.example:8443"]
)
def test_other_origins_get_no_cors_headers(client, origin):
    preflight = _preflight(client, origin)
    assert "Access-Control-Allow-Origin" not in preflight.headers
    response = client.post(
        "/v1/lint", json=DRAFT, headers={"Origin": origin, "Authorization": f"Bearer {KEY}"}
    )
    assert "Access-Control-Allow-Origin" not in response.headers


def test_pages_outside_the_api_get_no_cors_headers(client):
    response = client.get("/healthz", headers={"Origin": BASE})
    assert "Access-Control-Allow-Origin" not in response.headers
