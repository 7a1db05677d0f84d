"""Entra callers while the database is down (DESIGN.md: fail open).

The tenant -> organisation look-up reads the store's aliases. When the database goes away, a
tenant this process has seen keeps its organisation and that organisation's last policy; one it
never saw is linted under the defaults. The report says which. The database is taken away for
real (tests/conftest.py `database_outage`), Entra is the local stand-in.
"""

from __future__ import annotations

import logging
import time

TENANT_A = "a1a1a1a1-0000-4000-8000-00000000000a"
TENANT_B = "b2b2b2b2-0000-4000-8000-00000000000b"
TENANT_UNMAPPED = "c3c3c3c3-0000-4000-8000-00000000000c"
REPLY = {
    "compose_type": "reply_all",
    "from": {"email": "peter@alpha.example"},
    "to": [{"email": "boss@alpha.example"}],
    "cc": [{"email": "anna@alpha.example"}, {"email": "ben@alpha.example"}],
    "body": {"content": "Thanks for the detailed plan, I will review the budget table tonight."},
    "in_reply_to": {"from": {"email": "boss@alpha.example"}},
}
EVENTS = {"events": [{"rule": "large-audience", "severity": "hint", "outcome": "shown"}]}
LOW_THRESHOLD = {"rules": {"large-audience": {"threshold": 2}}}


def _app(make_app, database_outage, publish):
    app = make_app(database_outage.url, POLICY_REFRESH_SECONDS=0.05)
    app.extensions["draftlint.storage"].breaker.retry_seconds = 0.3
    publish(app, "alpha.example", LOW_THRESHOLD)
    return app


def _post(client, microsoft, tenant, path="/v1/lint", body=REPLY):
    token = microsoft.access_token(tenant)
    return client.post(path, json=body, headers={"Authorization": f"Bearer {token}"})


def _rules(response) -> list[str]:
    return [finding["rule"] for finding in response.get_json()["findings"]]


def test_a_known_tenant_keeps_its_organisation_and_last_policy(
    make_app, database_outage, publish, microsoft
):
    app = _app(make_app, database_outage, publish)
    client = app.test_client()
    before = _post(client, microsoft, TENANT_A)
    assert before.get_json()["policy"] == {"org": "alpha.example", "version": 1}

    database_outage.cut(app)
    time.sleep(0.1)  # past the refresh period
    during = _post(client, microsoft, TENANT_A)

    assert during.status_code == 200, during.get_json()
    assert during.get_json()["policy"] == {
        "org": "alpha.example",
        "version": 1,
        "fallback": "last-known",
        "reason": "database-unavailable",
    }
    assert "large-audience" in _rules(during)  # still the organisation's threshold of 2

    database_outage.restore()
    time.sleep(0.4)  # the breaker's period
    after = _post(client, microsoft, TENANT_A)
    assert after.get_json()["policy"] == {"org": "alpha.example", "version": 1}


def test_a_tenant_never_seen_is_linted_under_the_defaults(
    make_app, database_outage, publish, microsoft
):
    app = _app(make_app, database_outage, publish)
    client = app.test_client()
    database_outage.cut(app)

    alpha = _post(client, microsoft, TENANT_A)
    unmapped = _post(client, microsoft, TENANT_UNMAPPED)

    for response in (alpha, unmapped):
        assert response.status_code == 200, response.get_json()
        assert response.get_json()["policy"] == {
            "org": None,
            "version": None,
            "fallback": "defaults",
            "reason": "database-unavailable",
        }
        assert "large-audience" not in _rules(response)  # the default threshold is 25


def test_a_tenant_known_to_have_no_organisation_is_still_refused(
    make_app, database_outage, publish, microsoft
):
    app = _app(make_app, database_outage, publish)
    client = app.test_client()
    assert _post(client, microsoft, TENANT_UNMAPPED).status_code == 401
    database_outage.cut(app)

    assert _post(client, microsoft, TENANT_UNMAPPED).status_code == 401


def test_other_endpoints_authenticate_and_events_answer_503(
    make_app, database_outage, publish, microsoft, caplog
):
    app = _app(make_app, database_outage, publish)
    client = app.test_client()
    assert _post(client, microsoft, TENANT_A, "/v1/events", EVENTS).status_code == 200
    database_outage.cut(app)

    with caplog.at_level(logging.WARNING):
        known = _post(client, microsoft, TENANT_A, "/v1/events", EVENTS)
        unknown = _post(client, microsoft, TENANT_B, "/v1/events", EVENTS)
        token = microsoft.access_token(TENANT_B)
        rules = client.get("/v1/rules", headers={"Authorization": f"Bearer {token}"})

    for response in (known, unknown):
        assert response.status_code == 503, response.get_json()
        assert response.mimetype == "application/problem+json"
        assert int(response.headers["Retry-After"]) >= 1
    assert rules.status_code == 200
    assert TENANT_B not in caplog.text
