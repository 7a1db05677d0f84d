"""The homepage, the fix button (updateDraftActionMarkup) and the Why? card, end to end through
the verified endpoints."""

import json

import pytest

BASE = "https://lint.corp.example"
TEAM = [f"person{i}@corp.example" for i in range(6)]


def _parameters(button: dict) -> dict:
    return {p["key"]: p["value"] for p in button["onClick"]["action"].get("parameters", [])}


def _buttons(card) -> list[dict]:
    return [
        button
        for section in card["sections"]
        for widget in section["widgets"]
        for button in widget.get("buttonList", {}).get("buttons", [])
    ]


def _action_event(parameters: dict) -> dict:
    return {"commonEventObject": {"hostApp": "GMAIL", "parameters": parameters}}


# --- homepage -------------------------------------------------------------------------------


def test_homepage_shows_the_published_policy(make_app, database_url, post, cards_check):
    policy = {
        "rules": {"large-audience": {"severity": "block"}, "empty-check-in": {"severity": "off"}}
    }
    app = make_app(database_url, policy=policy)
    response = post(app.test_client(), "homepage")
    assert response.status_code == 200
    card = cards_check.card_of(response.get_json(), wrapped=False)
    cards_check.check_card(card)
    [rules] = [s for s in card["sections"] if s.get("header", "").startswith("Rules at")]
    assert rules["header"] == "Rules at corp.example (policy version 1)"
    labels = {w["decoratedText"]["text"]: w["decoratedText"]["topLabel"] for w in rules["widgets"]}
    assert labels["large-audience"] == "Block" and labels["empty-check-in"] == "Off"
    assert "only the recipients" in json.dumps(card)  # metadata mode says what it cannot see


def test_homepage_in_full_mode(make_app, sqlite_url, post, cards_check):
    app = make_app(sqlite_url, GMAIL_MODE="full")
    card = cards_check.card_of(post(app.test_client(), "homepage").get_json(), wrapped=False)
    cards_check.check_card(card)
    assert "sees only the recipients" not in json.dumps(card)


# --- the fix button -------------------------------------------------------------------------


def test_fix_from_the_card_replaces_the_recipients(make_app, sqlite_url, post, google, cards_check):
    """The fix button of a real compose card, sent back as Google would, answers with
    updateDraftActionMarkup setting To to the sender and clearing Cc and Bcc."""
    app = make_app(sqlite_url, GMAIL_MODE="full")
    message = google.support.message
    google.add(
        message(
            "m1",
            "thread-1",
            sender="Peter <peter@corp.example>",
            to=", ".join(TEAM),
            subject="Plan",
            body="The plan is attached.",
            internal_date=1,
        ),
        message(
            "d1",
            "thread-1",
            sender="ana@corp.example",
            to="peter@corp.example",
            cc=", ".join(TEAM),
            subject="Re: Plan",
            body="Thanks all!",
            draft=True,
            internal_date=2,
        ),
    )
    client = app.test_client()
    event = {
        "gmail": {
            "threadId": "thread-1",
            "toRecipients": ["peter@corp.example"],
            "ccRecipients": TEAM,
        }
    }
    card = cards_check.card_of(post(client, "compose", event).get_json(), wrapped=False)
    [button] = [b for b in _buttons(card) if _parameters(b).get("fix") == "reply-to-sender-only"]
    response = post(client, "fix", _action_event(_parameters(button)))
    assert response.status_code == 200
    assert response.get_json() == {
        "renderActions": {
            "hostAppAction": {
                "gmailAction": {
                    "updateDraftActionMarkup": {
                        "updateToRecipients": {"toRecipients": [{"email": "peter@corp.example"}]},
                        "updateCcRecipients": {"ccRecipients": []},
                        "updateBccRecipients": {"bccRecipients": []},
                    }
                }
            }
        }
    }


@pytest.mark.parametrize(
    "parameters",
    [
        {"fix": "x"},
        {"fix": "x", "set": "not json"},
        {"fix": "x", "set": json.dumps({"subject": "Hi"})},
        {"fix": "x", "set": json.dumps({})},
        {"fix": "x", "set": json.dumps({"to": "peter@corp.example"})},
        {"fix": "x", "set": json.dumps({"to": [{"name": "no address"}]})},
        {"fix": "x", "set": json.dumps({"to": [{"email": "p@corp.example"}] * 101})},
        {"fix": "x", "set": json.dumps([1, 2])},
    ],
)
def test_bad_fix_is_400(parameters, app, post):
    response = post(app.test_client(), "fix", _action_event(parameters))
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert "parameters.set" in response.get_json()["detail"]


# --- Why? -----------------------------------------------------------------------------------


def test_why_card(app, post, cards_check):
    response = post(app.test_client(), "why", _action_event({"rule": "content-free-reply-all"}))
    assert response.status_code == 200
    card = cards_check.card_of(response.get_json(), wrapped=True)
    cards_check.check_card(card)
    text = json.dumps(card, ensure_ascii=False)
    assert card["header"] == {"title": "Why?", "subtitle": "content-free-reply-all"}
    # The "Why it matters" paragraph of docs/rules/content-free-reply-all.md, as plain text.
    paragraphs = [
        w["textParagraph"]["text"] for w in card["sections"][0]["widgets"] if "textParagraph" in w
    ]
    assert paragraphs and paragraphs[0] and "**" not in paragraphs[0] and "`" not in paragraphs[0]
    assert f"{BASE}/docs/rules/content-free-reply-all" in text


def test_why_for_every_rule(app, post, cards_check):
    registry = app.extensions["draftlint"].registry
    client = app.test_client()
    for rule in registry:
        response = post(client, "why", _action_event({"rule": rule.id}))
        card = cards_check.card_of(response.get_json(), wrapped=True)
        cards_check.check_card(card)
        assert rule.summary[:40] in json.dumps(card, ensure_ascii=False)


@pytest.mark.parametrize("rule", ["", "no-such-rule", "../../etc/passwd"])
def test_why_unknown_rule_is_400(rule, app, post):
    response = post(app.test_client(), "why", _action_event({"rule": rule}))
    assert response.status_code == 400
    assert "parameters.rule" in response.get_json()["detail"]
