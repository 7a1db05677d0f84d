"""The Smart Alerts send handler and the recipients-changed handler, in real headless Chromium.

The event runtime's page (/outlook/commands.html) runs against the live app (dev mode, the
built-in rules) in a compose window emulated by tests/support/office-standin.js; the test presses
Send through the stand-in, which calls the handler the page associated and records what it passes
to `event.completed`. What a broken backend looks like (500, unreachable, stalled) is made with
Playwright routes on /v1/lint.
"""

from __future__ import annotations

import json

import pytest
from outlook_items import CLEAN_REPLY, REPLY_ALL, SUBSTANCE, reply

from server.outlook.manifest import (
    COMMANDS_PATH,
    RECIPIENTS_HANDLER,
    SEND_HANDLER,
    TASKPANE_COMMAND_ID,
)

LARGE_AUDIENCE = reply(SUBSTANCE, size=30)
# Smart Alerts limits (Office.SmartAlertsEventCompletedOptions): 500 characters for either
# message, 20 for the button label; a notification message (notificationMessages) 150.
ALERT_MAX = 500
LABEL_MAX = 20
NOTIFICATION_MAX = 150
BUDGET_MS = 3000


def _send(page) -> dict:
    return page.evaluate(f"officeStandin.run({json.dumps(SEND_HANDLER)})")


def _recipients_changed(page) -> dict:
    return page.evaluate(f"officeStandin.run({json.dumps(RECIPIENTS_HANDLER)})")


def _calls(page) -> dict:
    return page.evaluate("officeStandin.calls")


def test_the_page_associates_both_handlers_named_in_the_manifest(open_outlook):
    page = open_outlook(COMMANDS_PATH)

    assert _calls(page)["associated"] == [SEND_HANDLER, RECIPIENTS_HANDLER]


def test_a_content_free_reply_all_is_stopped_with_the_reason_and_a_way_to_the_pane(open_outlook):
    page = open_outlook(COMMANDS_PATH, item=REPLY_ALL)

    result = _send(page)

    options = result["options"]
    assert options["allowEvent"] is False
    assert 'only says "OK with me"' in options["errorMessage"]
    assert 'only says "OK with me"' in options["errorMessageMarkdown"]
    assert len(options["errorMessage"]) <= ALERT_MAX
    assert len(options["errorMessageMarkdown"]) <= ALERT_MAX
    assert 0 < len(options["cancelLabel"]) <= LABEL_MAX
    assert options["cancelLabel"] in options["errorMessage"]
    assert options["commandId"] == TASKPANE_COMMAND_ID
    assert _calls(page)["completed"] == [options]


def test_the_draft_sent_is_what_outlook_holds(open_outlook):
    item = {
        **REPLY_ALL,
        "to": [
            {"emailAddress": "anna@corp.example", "displayName": "Anna", "recipientType": "user"},
            {
                "emailAddress": "all@corp.example",
                "displayName": "All staff",
                "recipientType": "distributionList",
            },
        ],
        "cc": [
            {
                "emailAddress": "ext@partner.example",
                "displayName": "ext@partner.example",
                "recipientType": "externalUser",
            },
            {"emailAddress": "room@corp.example", "displayName": "Room", "recipientType": "other"},
        ],
        "bcc": [],
        "conversationId": "AAQkAGI2",
        "attachments": [
            {"name": "plan.pdf", "size": 120331, "isInline": False},
            {"name": "logo.png", "size": 812, "isInline": True},
        ],
    }
    page = open_outlook(COMMANDS_PATH, item=item)

    with page.expect_request("**/v1/lint") as request:
        _send(page)

    draft = request.value.post_data_json
    assert draft["client"] == "outlook"
    assert draft["compose_type"] == "reply"
    assert draft["subject"] == "Re: Offsite agenda"
    assert draft["from"] == {"email": "peter@corp.example", "name": "Peter Smith"}
    assert draft["to"] == [
        {"email": "anna@corp.example", "name": "Anna", "type": "user"},
        {"email": "all@corp.example", "name": "All staff", "type": "group"},
    ]
    assert draft["cc"] == [
        {"email": "ext@partner.example", "type": "external"},
        {"email": "room@corp.example", "name": "Room", "type": "user"},
    ]
    assert draft["bcc"] == []
    assert draft["body"] == {"content": item["body"], "type": "html"}
    assert draft["attachments"] == [
        {"name": "plan.pdf", "size": 120331, "inline": False},
        {"name": "logo.png", "size": 812, "inline": True},
    ]
    assert draft["in_reply_to"] == {"message_id": "<agenda-1@corp.example>"}
    assert draft["thread_id"] == "AAQkAGI2"
    assert draft["locale"] == "en-GB"


@pytest.mark.parametrize(
    ("outlook", "draft"), [("newMail", "new"), ("reply", "reply"), ("forward", "forward")]
)
def test_compose_types_map_to_the_drafts(open_outlook, outlook, draft):
    page = open_outlook(COMMANDS_PATH, item={**CLEAN_REPLY, "composeType": outlook})

    with page.expect_request("**/v1/lint") as request:
        _send(page)

    assert request.value.post_data_json["compose_type"] == draft


def test_a_clean_reply_is_sent(open_outlook):
    page = open_outlook(COMMANDS_PATH, item=CLEAN_REPLY)

    assert _send(page)["options"] == {"allowEvent": True}


def test_hints_alone_never_stop_a_send(open_outlook):
    page = open_outlook(COMMANDS_PATH, item=LARGE_AUDIENCE)
    with page.expect_response("**/v1/lint") as response:
        result = _send(page)

    severities = {f["severity"] for f in response.value.json()["findings"]}
    assert severities == {"hint"}
    assert result["options"] == {"allowEvent": True}


def test_the_token_is_sent_as_a_bearer_without_prompting(open_outlook):
    page = open_outlook(COMMANDS_PATH, item=CLEAN_REPLY, token="eyJ0eXAi.test.token")

    with page.expect_request("**/v1/lint") as request:
        _send(page)

    assert request.value.headers["authorization"] == "Bearer eyJ0eXAi.test.token"
    assert _calls(page)["getAccessToken"] == [
        {"allowSignInPrompt": False, "allowConsentPrompt": False, "forMSGraphAccess": False}
    ]


def test_without_a_token_the_dev_server_still_lints(open_outlook):
    page = open_outlook(COMMANDS_PATH, item=REPLY_ALL)

    with page.expect_request("**/v1/lint") as request:
        result = _send(page)

    assert "authorization" not in request.value.headers
    assert result["options"]["allowEvent"] is False


def test_fails_open_when_the_server_answers_500(open_outlook):
    def error(route):
        route.fulfill(status=500, content_type="application/problem+json", body="{}")

    page = open_outlook(
        COMMANDS_PATH, item=REPLY_ALL, routes={"**/v1/lint": error}, server_errors_expected=True
    )

    assert _send(page)["options"] == {"allowEvent": True}


@pytest.mark.parametrize(
    "body",
    [
        "null",
        "[]",
        '{"findings": "none"}',
        '{"findings": [null, {"severity": "warning", "message": {"text": 5}}]}',
        "<html>a proxy's page</html>",
    ],
    ids=["null", "a list", "findings not a list", "odd findings", "not JSON"],
)
def test_fails_open_when_an_answer_is_not_a_report(open_outlook, body):
    # A 200 of the wrong shape (a proxy, a half-deployed server) is our fault too.
    def odd(route):
        route.fulfill(status=200, content_type="application/json", body=body)

    page = open_outlook(COMMANDS_PATH, item=REPLY_ALL, routes={"**/v1/lint": odd})

    result = _send(page)

    assert result["options"] == {"allowEvent": True}
    assert _calls(page)["completed"] == [result["options"]]


def test_fails_open_when_reading_the_draft_throws(open_outlook):
    page = open_outlook(COMMANDS_PATH, item=REPLY_ALL)
    page.evaluate("() => { Office.context.mailbox.item.body.getAsync = null; }")

    assert _send(page)["options"] == {"allowEvent": True}


def test_fails_open_when_the_server_is_unreachable(open_outlook):
    page = open_outlook(
        COMMANDS_PATH,
        item=REPLY_ALL,
        routes={"**/v1/lint": lambda route: route.abort("connectionrefused")},
    )

    assert _send(page)["options"] == {"allowEvent": True}


def test_fails_open_within_the_budget_when_the_server_stalls(open_outlook):
    stalled = []  # requests never answered, as by a server stuck for 5 s or more
    page = open_outlook(
        COMMANDS_PATH, item=REPLY_ALL, routes={"**/v1/lint": lambda route: stalled.append(route)}
    )

    result = _send(page)

    assert stalled, "the handler never asked the server"
    assert result["options"] == {"allowEvent": True}
    assert BUDGET_MS - 50 <= result["ms"] <= BUDGET_MS + 700
    page.wait_for_timeout(200)
    assert len(_calls(page)["completed"]) == 1


def test_many_long_findings_still_fit_the_dialog(open_outlook):
    message = 'Your reply to all 47 recipients only says "OK" [see *this*] #' + "x" * 300
    findings = [
        {"rule": "content-free-reply-all", "severity": "warning", "message": message}
        for _ in range(12)
    ]
    report = {"findings": findings, "audience": 47}

    def answer(route):
        route.fulfill(status=200, content_type="application/json", body=json.dumps(report))

    page = open_outlook(COMMANDS_PATH, item=REPLY_ALL, routes={"**/v1/lint": answer})

    options = _send(page)["options"]
    assert options["allowEvent"] is False
    assert len(options["errorMessage"]) <= ALERT_MAX
    assert len(options["errorMessageMarkdown"]) <= ALERT_MAX
    assert "\\[see \\*this\\*\\] \\#" in options["errorMessageMarkdown"]
    assert "\n- and 11 more\n" in options["errorMessageMarkdown"]


def test_a_stopped_send_is_counted_as_shown_without_draft_content(open_outlook):
    page = open_outlook(COMMANDS_PATH, item=REPLY_ALL)

    with page.expect_request("**/v1/events") as request:
        _send(page)

    assert request.value.post_data_json == {
        "events": [{"rule": "content-free-reply-all", "severity": "warning", "outcome": "shown"}]
    }
    assert "OK with me" not in request.value.post_data


def test_recipients_changed_shows_a_short_notification_and_completes(open_outlook):
    page = open_outlook(COMMANDS_PATH, item=LARGE_AUDIENCE)

    result = _recipients_changed(page)

    assert result["options"] is None
    [notification] = _calls(page)["notifications"]
    assert notification["action"] == "replace"
    assert notification["key"] == "draftlint"
    message = notification["message"]
    assert message["type"] == "informationalMessage"
    assert message["persistent"] is False
    assert message["icon"] == "Icon.16x16"
    assert "30" in message["message"]
    assert len(message["message"]) <= NOTIFICATION_MAX


def test_recipients_changed_clears_the_notification_when_nothing_is_found(open_outlook):
    page = open_outlook(COMMANDS_PATH, item=CLEAN_REPLY)

    _recipients_changed(page)

    assert _calls(page)["notifications"] == [{"action": "remove", "key": "draftlint"}]


def test_recipients_changed_completes_when_the_server_is_down(open_outlook):
    page = open_outlook(
        COMMANDS_PATH,
        item=LARGE_AUDIENCE,
        routes={"**/v1/lint": lambda route: route.abort("connectionrefused")},
    )

    result = _recipients_changed(page)

    assert result["options"] is None
    assert _calls(page)["notifications"] == []


def test_the_handler_never_prompts_nested_app_auth_falls_back_to_office(
    live_app, open_outlook, monkeypatch
):
    monkeypatch.setitem(
        live_app.config, "OUTLOOK_CLIENT_ID", "7f6b1c2a-0000-4000-8000-00000000c0de"
    )
    page = open_outlook(
        COMMANDS_PATH,
        item=CLEAN_REPLY,
        token="eyJ0eXAi.office.token",
        requirement_sets={"Mailbox": "1.15", "NestedAppAuth": "1.1"},
        naa={"token": "naa.prompted.token", "silent": False},
    )

    with page.expect_request("**/v1/lint") as request:
        result = _send(page)

    assert result["options"] == {"allowEvent": True}
    assert request.value.headers["authorization"] == "Bearer eyJ0eXAi.office.token"
    assert [call["method"] for call in _calls(page)["naa"]] == ["GetToken"]


def test_nothing_of_the_draft_reaches_the_console(open_outlook):
    page = open_outlook(COMMANDS_PATH, item=REPLY_ALL)
    console = []
    page.on("console", lambda message: console.append(message.text))

    _send(page)
    _recipients_changed(page)
    page.route("**/v1/lint", lambda route: route.abort("connectionrefused"))
    _send(page)

    logged = "\n".join(console)
    for text in ("OK with me", "Offsite agenda", "julie@corp.example", "Tuesday slot"):
        assert text not in logged


@pytest.mark.parametrize(
    ("mailbox", "markdown", "button"),
    [("1.13", False, False), ("1.14", False, True), ("1.15", True, True)],
)
def test_each_field_of_the_decision_is_passed_only_where_outlook_supports_it(
    open_outlook, mailbox, markdown, button
):
    """errorMessageMarkdown needs Mailbox 1.15; cancelLabel and commandId 1.14."""
    page = open_outlook(COMMANDS_PATH, item=REPLY_ALL, requirement_sets={"Mailbox": mailbox})

    options = _send(page)["options"]
    assert options["allowEvent"] is False
    assert ("errorMessageMarkdown" in options) is markdown
    assert ("cancelLabel" in options) is button and ("commandId" in options) is button
    assert ("Review in draftlint" in options["errorMessage"]) is button
