"""Outside dev mode every /v1 request needs an API key; probes and the page do not."""

import pytest

from server.app import create_app

DRAFT = {"body": {"content": "OK"}}


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Basic dGVzdDp0ZXN0",
        "Bearer wrong-key",
        "test-key-0123456789",
    ],
)
def test_requests_without_a_valid_key_are_401(secured_app, authorization):
    headers = {"Authorization": authorization} if authorization is not None else {}
    client = secured_app.test_client()
    for method, path in (("post", "/v1/lint"), ("post", "/v1/parse"), ("get", "/v1/rules")):
        response = getattr(client, method)(path, json=DRAFT, headers=headers)
        assert response.status_code == 401, (path, authorization)
        assert response.content_type == "application/problem+json"
        assert response.headers["WWW-Authenticate"].lower().startswith("bearer")


def test_a_valid_key_is_accepted(secured_app, api_key):
    client = secured_app.test_client()
    for scheme in ("Bearer", "bearer"):
        response = client.post(
            "/v1/lint", json=DRAFT, headers={"Authorization": f"{scheme} {api_key}"}
        )
        assert response.status_code == 200


def test_authentication_comes_before_reading_the_body(secured_app):
    response = secured_app.test_client().post("/v1/lint", data="{", content_type="text/plain")
    assert response.status_code == 401


def test_probes_openapi_and_page_need_no_key(secured_app):
    client = secured_app.test_client()
    for path in ("/healthz", "/readyz", "/openapi.json", "/"):
        assert client.get(path).status_code == 200, path


def test_no_configured_keys_means_every_v1_request_is_refused(registry, monkeypatch):
    monkeypatch.delenv("DRAFTLINT_API_KEYS", raising=False)
    client = create_app(registry=registry).test_client()
    response = client.post("/v1/lint", json=DRAFT, headers={"Authorization": "Bearer anything"})
    assert response.status_code == 401


def test_keys_can_come_from_the_environment(registry, monkeypatch):
    monkeypatch.setenv("DRAFTLINT_API_KEYS", '{"env-key-0123456789": "corp.example"}')
    client = create_app(registry=registry).test_client()
    response = client.post(
        "/v1/lint", json=DRAFT, headers={"Authorization": "Bearer env-key-0123456789"}
    )
    assert response.status_code == 200


def test_dev_mode_needs_no_key(client):
    assert client.post("/v1/lint", json=DRAFT).status_code == 200


@pytest.mark.parametrize("address", ["192.0.2.10", "2001:db8::1", "not-an-address"])
def test_dev_mode_is_no_free_pass_from_another_machine(client, address):
    """A proxy or a port forward in front of `serve --dev` must not open it to the network."""
    remote = {"REMOTE_ADDR": address}
    response = client.post("/v1/lint", json=DRAFT, environ_base=remote)
    assert response.status_code == 401
    assert (
        client.post("/v1/lint", json=DRAFT, environ_base={"REMOTE_ADDR": "::1"}).status_code == 200
    )
    gmail = client.post("/gmail/compose", json={}, environ_base=remote)
    assert gmail.status_code == 401
