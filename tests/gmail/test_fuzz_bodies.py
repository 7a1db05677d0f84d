"""Fuzzing /gmail/* with hostile bodies (tests/support/fuzz_bodies.py) behind valid Google
tokens, so the bodies reach the code past verification: whatever arrives, the answer is a 2xx
or a 4xx problem JSON, never a 5xx; 600 bodies in all."""

from __future__ import annotations

import json

import fuzz_bodies
import pytest
from hypothesis import HealthCheck, given, settings

BASE = "https://lint.corp.example"
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))


@pytest.fixture
def client(make_app, sqlite_url):
    return make_app(sqlite_url).test_client()


@pytest.mark.parametrize("endpoint", ["homepage", "compose", "fix", "why"])
@FUZZ
@given(data=fuzz_bodies.st.data())
def test_hostile_bodies_get_no_5xx(client, google, endpoint, data):
    url = f"{BASE}/gmail/{endpoint}"
    system = google.system_token(url)
    valid = {
        "authorizationEventObject": {
            "systemIdToken": system,
            "userOAuthToken": google.support.USER_TOKEN,
            "userIdToken": google.user_token(),
        },
        "commonEventObject": {
            "hostApp": "GMAIL",
            "platform": "WEB",
            "parameters": {"rule": "large-audience", "fix": "0"},
        },
        "gmail": {"toRecipients": ["peter@corp.example"], "ccRecipients": ["team@corp.example"]},
    }
    body = data.draw(fuzz_bodies.bodies(valid))
    response = client.post(
        f"/gmail/{endpoint}",
        data=body,
        headers={"Authorization": f"Bearer {system}", "Content-Type": "application/json"},
    )
    assert response.status_code < 500, response.get_data(as_text=True)[:300]
    if response.status_code >= 400:
        assert response.mimetype == "application/problem+json"
        assert json.loads(response.get_data())["detail"]
