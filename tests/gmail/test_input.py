"""Bad input on every Gmail endpoint is a 4xx problem, never a 500: the body is read as /v1's is
(server/request_body.py), before any token is verified, and a fix button's `set` likewise."""

import json

import pytest

BASE = "https://lint.corp.example"
ENDPOINTS = ["homepage", "compose", "fix", "why"]
NESTED = {
    "arrays": b"[" * 100_000,
    "objects": b'{"a":' * 5000,
    "closed arrays": b"[" * 5000 + b"]" * 5000,
    "inside the event": b'{"gmail": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
}


def _problem(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["status"] == status and problem["type"] == "about:blank"
    return problem


@pytest.mark.parametrize("body", list(NESTED), ids=list(NESTED))
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_deeply_nested_json_is_400(endpoint, body, app, google):
    token = google.system_token(f"{BASE}/gmail/{endpoint}")
    response = app.test_client().post(
        f"/gmail/{endpoint}",
        data=NESTED[body],
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    problem = _problem(response, 400)
    if body != "inside the event":  # that one is shallow enough to parse: a wrong-type field
        assert problem["detail"] == "JSON nested too deeply."
    assert google.count("/oauth2/v1/certs") == 0  # refused before any token is checked


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_deeply_nested_json_is_400_in_dev_mode(endpoint, make_app, sqlite_url):
    app = make_app(sqlite_url, DEV_MODE=True, org=False)
    response = app.test_client().post(
        f"/gmail/{endpoint}", data=NESTED["arrays"], content_type="application/json"
    )
    assert _problem(response, 400)["detail"] == "JSON nested too deeply."


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_not_json_is_415_on_every_endpoint(endpoint, app, google):
    token = google.system_token(f"{BASE}/gmail/{endpoint}")
    response = app.test_client().post(
        f"/gmail/{endpoint}",
        data=b'{"gmail": {}}',
        content_type="text/html",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert "application/json" in _problem(response, 415)["detail"]


def _fix_event(value: str) -> dict:
    parameters = {"fix": "reply-to-sender-only", "set": value}
    return {"commonEventObject": {"hostApp": "GMAIL", "parameters": parameters}}


@pytest.mark.parametrize(
    ("value", "detail"),
    [
        ("[" * 3999, "nested too deeply"),
        ('{"":[' * 799, "nested too deeply"),  # 1,598 levels within 4,000 characters
        ("[" * 2000 + "]" * 1999, "nested too deeply"),
        ("{not json", "Malformed JSON"),
        ("", "Empty"),
        ('{"to": [{"email": "a@corp.example"}]}\ud800', "UTF-8"),
        ('{"to": "\u0000"}', "NUL"),
    ],
    ids=["arrays", "objects", "unbalanced", "malformed", "empty", "lone surrogate", "NUL"],
)
def test_fix_set_that_is_not_json_is_400(value, detail, app, post):
    response = post(app.test_client(), "fix", _fix_event(value))
    problem = _problem(response, 400)
    assert problem["detail"].startswith("parameters.set must be the fix's JSON")
    assert detail in problem["detail"]


def test_fix_set_nested_inside_a_recipient_is_400(app, post):
    value = json.dumps({"to": [{"email": "a@corp.example"}]})[:-3] + ', "x": ' + "[" * 1500
    response = post(app.test_client(), "fix", _fix_event(value))
    assert "nested too deeply" in _problem(response, 400)["detail"]
