"""Fuzzing /v1 with hostile bodies (tests/support/fuzz_bodies.py): whatever arrives, the answer
is a 2xx or a 4xx problem JSON naming the problem, never a 5xx; 1,500 bodies in all."""

from __future__ import annotations

import fuzz_bodies
import pytest
from hypothesis import HealthCheck, given, settings

from server.app import create_app

API_KEY = "fuzz-key-0123456789abcdef"
VALID_DRAFT = {
    "client": "api",
    "compose_type": "reply_all",
    "subject": "Re: Q3 plan",
    "from": {"email": "ana@corp.example", "name": "Ana"},
    "to": [{"email": "team@corp.example", "type": "group", "member_count": 40}],
    "cc": [{"email": "ben@corp.example"}],
    "body": {"content": "<p>OK with me</p><blockquote>Plan attached</blockquote>", "type": "html"},
    "attachments": [{"name": "plan.pdf", "size": 1200, "inline": False}],
    "in_reply_to": {"from": {"email": "boss@corp.example"}, "message_id": "<m1@corp.example>"},
    "locale": "en",
}


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    from server.store import migrate

    url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'store.sqlite3'}"
    migrate.upgrade(url)
    app = create_app({"DATABASE_URL": url, "API_KEYS": {API_KEY: "corp.example"}})
    return app.test_client()


def _check(response):
    assert response.status_code < 500, response.get_data(as_text=True)[:300]
    if response.status_code >= 400:
        assert response.mimetype == "application/problem+json"
        assert response.get_json()["detail"]


FUZZ = settings(max_examples=500, deadline=None, suppress_health_check=list(HealthCheck))


@pytest.mark.parametrize("path", ["/v1/lint", "/v1/parse", "/v1/events"])
@FUZZ
@given(body=fuzz_bodies.bodies(VALID_DRAFT))
def test_hostile_bodies_get_no_5xx(client, path, body):
    response = client.post(
        path,
        data=body,
        headers={"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"},
    )
    _check(response)
