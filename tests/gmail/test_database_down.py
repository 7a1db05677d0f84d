"""The Gmail add-on while the database is down (DESIGN.md: fail open).

The user's Workspace domain names the organisation through the store's aliases. When the
database goes away, a domain this process has seen keeps its organisation and that
organisation's last policy; one it never saw is checked under the defaults. The card says so.
The database is taken away for real (tests/conftest.py `database_outage`), Google is the local
stand-in.
"""

from __future__ import annotations

import json
import time

TEAM = [f"person{i}@corp.example" for i in range(6)]
LOW_THRESHOLD = {"rules": {"large-audience": {"threshold": 5, "severity": "warning"}}}
LAST_KNOWN = "draftlint is using the last settings it knew"
DEFAULTS = "draftlint is using its default rules"


def _app(make_app, database_outage):
    app = make_app(database_outage.url, policy=LOW_THRESHOLD, POLICY_REFRESH_SECONDS=0.05)
    app.extensions["draftlint.storage"].breaker.retry_seconds = 0.3
    return app


def _compose_event():
    return {"gmail": {"toRecipients": ["peter@corp.example"], "ccRecipients": TEAM}}


def _card(response, cards_check):
    assert response.status_code == 200, response.get_data(as_text=True)
    card = cards_check.card_of(response.get_json(), wrapped=False)
    cards_check.check_card(card)
    return card


def _rules(card) -> list[str]:
    return [s["header"] for s in card["sections"] if "header" in s]


def test_compose_keeps_the_last_known_policy_and_says_so(
    make_app, database_outage, post, cards_check
):
    app = _app(make_app, database_outage)
    client = app.test_client()
    before = _card(post(client, "compose", _compose_event()), cards_check)
    assert _rules(before) == ["large-audience"]
    assert LAST_KNOWN not in json.dumps(before)

    database_outage.cut(app)
    time.sleep(0.1)  # past the refresh period
    during = _card(post(client, "compose", _compose_event()), cards_check)

    assert _rules(during) == ["large-audience"]  # still the organisation's threshold of 5
    assert LAST_KNOWN in json.dumps(during)

    database_outage.restore()
    time.sleep(0.4)  # the breaker's period
    after = _card(post(client, "compose", _compose_event()), cards_check)
    assert LAST_KNOWN not in json.dumps(after)


def test_a_domain_never_seen_is_checked_under_the_defaults(
    make_app, database_outage, post, cards_check
):
    app = _app(make_app, database_outage)
    client = app.test_client()
    database_outage.cut(app)

    compose = _card(post(client, "compose", _compose_event()), cards_check)
    homepage = _card(post(client, "homepage"), cards_check)

    assert _rules(compose) == []  # the default threshold is 25
    assert DEFAULTS in json.dumps(compose)
    assert "Group sizes could not be looked up" in json.dumps(compose)
    assert DEFAULTS in json.dumps(homepage)
    [rules] = [s for s in homepage["sections"] if s.get("header", "").startswith("Rules at")]
    assert rules["header"] == "Rules at your organisation"


def test_the_homepage_shows_the_last_known_policy(make_app, database_outage, post, cards_check):
    app = _app(make_app, database_outage)
    client = app.test_client()
    _card(post(client, "homepage"), cards_check)
    database_outage.cut(app)
    time.sleep(0.1)

    card = _card(post(client, "homepage"), cards_check)

    [rules] = [s for s in card["sections"] if s.get("header", "").startswith("Rules at")]
    assert rules["header"] == "Rules at corp.example (policy version 1)"
    assert LAST_KNOWN in json.dumps(card)


def test_a_domain_known_to_have_no_organisation_is_still_refused(
    make_app, database_outage, post, google
):
    app = _app(make_app, database_outage)
    client = app.test_client()
    stranger = google.user_token("eve@elsewhere.example")
    assert post(client, "homepage", user=stranger).status_code == 401
    database_outage.cut(app)

    assert post(client, "homepage", user=stranger).status_code == 401
