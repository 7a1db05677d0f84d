"""The compose action: the Draft built from the event (metadata mode), from the Gmail API (full
mode) and the Directory (group sizes), and a card with a note whenever a look-up fails. Google is
the local stand-in (tests/support/google_apis.py), reached through the real clients."""

import json
import logging

import pytest

BASE = "https://lint.corp.example"
TEAM = [f"person{i}@corp.example" for i in range(6)]
BODY = "OK with me, Peter"
SUBJECT = "Offsite agenda proposal"


def _card(response, cards_check, *, navigation="pushCard"):
    assert response.status_code == 200, response.get_data(as_text=True)
    wrapped = navigation == "updateCard"
    card = cards_check.card_of(response.get_json(), wrapped=wrapped, navigation=navigation)
    cards_check.check_card(card)
    return card


def _rules(card) -> list[str]:
    return [s["header"] for s in card["sections"] if "header" in s]


def _text(card) -> str:
    return json.dumps(card, ensure_ascii=False)


def _buttons(card) -> list[dict]:
    return [
        button
        for section in card["sections"]
        for widget in section["widgets"]
        for button in widget.get("buttonList", {}).get("buttons", [])
    ]


def _compose_event(to, cc=(), thread_id="thread-1", **common):
    event = {"gmail": {"toRecipients": list(to), "ccRecipients": list(cc)}}
    if thread_id:
        event["gmail"]["threadId"] = thread_id
    if common:
        event["commonEventObject"] = common
    return event


def _reply_all_thread(google, body=BODY, *, html=False):
    """Peter wrote to the team; the user's auto-saved reply-all says `body`."""
    message = google.support.message
    google.add(
        message(
            "m1",
            "thread-1",
            sender="Peter Boss <peter@corp.example>",
            to=", ".join(TEAM),
            cc="ana@corp.example",
            subject=SUBJECT,
            body="Here is the agenda for the offsite; please comment by Friday.",
            internal_date=1000,
            message_id="<agenda@corp.example>",
        ),
        message(
            "d1",
            "thread-1",
            sender="ana@corp.example",
            to="peter@corp.example",
            cc=", ".join(TEAM),
            subject="Re: " + SUBJECT,
            body=body,
            html=html,
            draft=True,
            internal_date=2000,
        ),
    )


@pytest.fixture
def full_app(make_app, sqlite_url):
    return make_app(sqlite_url, GMAIL_MODE="full")


# --- metadata mode --------------------------------------------------------------------------


def test_metadata_mode_checks_recipients(app, post, google, cards_check):
    response = post(app.test_client(), "compose", _compose_event(["peter@corp.example"], TEAM))
    card = _card(response, cards_check)
    assert "Only the recipients were checked" in _text(card)
    assert "audience 7" in card["header"]["subtitle"]
    assert google.count("/gmail/") == 0  # metadata mode never reads mail


def test_metadata_mode_policy_of_the_organisation(make_app, database_url, post, cards_check):
    """The organisation's published policy applies (store-backed: both backends)."""
    policy = {"rules": {"large-audience": {"threshold": 5, "severity": "warning"}}}
    app = make_app(database_url, policy=policy)
    response = post(app.test_client(), "compose", _compose_event(["peter@corp.example"], TEAM))
    card = _card(response, cards_check)
    assert _rules(card) == ["large-audience"]
    assert "Warning" in _text(card)


def test_recheck_replaces_the_card(app, post, cards_check):
    event = _compose_event(["peter@corp.example"], parameters={"origin": "recheck"})
    card = _card(post(app.test_client(), "compose", event), cards_check, navigation="updateCard")
    assert card["name"] == "compose"


@pytest.mark.parametrize(
    ("event", "field"),
    [
        ({"gmail": {"toRecipients": "peter@corp.example"}}, "gmail.toRecipients"),
        ({"gmail": {"ccRecipients": [42]}}, "gmail.ccRecipients"),
        ({"gmail": {"threadId": "../../users/other"}}, "gmail.threadId"),
        ({"gmail": []}, "gmail"),
        ({"commonEventObject": {"parameters": {"origin": 1}}}, "commonEventObject.parameters"),
        ({"gmail": {"toRecipients": [f"p{i}@corp.example" for i in range(1001)]}}, "gmail"),
    ],
)
def test_malformed_event_is_400_naming_the_field(event, field, app, post):
    response = post(app.test_client(), "compose", event)
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert field in response.get_json()["detail"]


@pytest.mark.parametrize(
    ("data", "content_type", "status", "detail"),
    [
        (b"\xff\xfe{", "application/json", 400, "UTF-8"),
        (b"{not json", "application/json", 400, "Malformed JSON"),
        (b"", "application/json", 400, "Empty"),
        (b'{"gmail": {}}', "text/plain", 415, "application/json"),
        (b'{"gmail": {}}', None, 415, "application/json"),
        (b"gmail=x", "application/x-www-form-urlencoded", 415, "application/json"),
    ],
    ids=["not UTF-8", "malformed", "empty", "text/plain", "no content type", "form"],
)
def test_body_that_is_not_json_is_4xx(data, content_type, status, detail, app, google):
    token = google.system_token(f"{BASE}/gmail/compose")
    response = app.test_client().post(
        "/gmail/compose",
        data=data,
        content_type=content_type,
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    assert detail in response.get_json()["detail"]


# --- group sizes from the Directory ---------------------------------------------------------


def test_group_sizes_change_the_audience(app, post, google, cards_check):
    google.groups.extend(
        [
            {"email": "all-staff@corp.example", "directMembersCount": "412"},
            {
                "email": "team@corp.example",
                "aliases": ["crew@corp.example"],
                "directMembersCount": "9",
            },
        ]
    )
    event = _compose_event(["peter@corp.example"], ["all-staff@corp.example", "crew@corp.example"])
    card = _card(post(app.test_client(), "compose", event), cards_check)
    assert "audience 422" in card["header"]["subtitle"]
    assert "large-audience" in _rules(card)
    assert google.subjects == ["admin@corp.example"]  # impersonates the configured admin


def test_group_sizes_are_cached_per_organisation(app, post, google, cards_check):
    google.page_size = 1  # three groups: three pages
    google.groups.extend(
        {"email": f"g{i}@corp.example", "directMembersCount": "30"} for i in range(3)
    )
    client = app.test_client()
    for _ in range(3):
        card = _card(post(client, "compose", _compose_event(["g2@corp.example"])), cards_check)
        assert "audience 30" in card["header"]["subtitle"]
    assert google.count("/admin/directory/v1/groups") == 3  # one listing, three pages
    assert google.count("/token") == 1


def test_no_directory_for_an_unconfigured_organisation(
    make_app, sqlite_url, post, google, add_org, cards_check
):
    app = make_app(sqlite_url)
    add_org(app, "other.example", "other.example")
    user = google.user_token("bob@other.example")
    event = _compose_event(["all-staff@other.example"])
    card = _card(post(app.test_client(), "compose", event, user=user), cards_check)
    assert google.count("/admin/") == 0
    assert "Group sizes" not in _text(card)


@pytest.mark.parametrize("failure", ["error", "timeout", "token"])
def test_directory_failure_gives_a_card_with_a_note(
    failure, make_app, sqlite_url, post, google, cards_check, caplog
):
    app = make_app(sqlite_url, GMAIL_TIMEOUT=0.3)
    if failure == "error":
        google.fail["directory"] = 503
    elif failure == "timeout":
        google.delay = 1.0
    else:
        google.fail["token"] = 500
    google.groups.append({"email": "all-staff@corp.example", "directMembersCount": "412"})
    client = app.test_client()
    event = _compose_event(["all-staff@corp.example"])
    for _ in range(2):
        card = _card(post(client, "compose", event), cards_check)
        assert "Group sizes could not be looked up" in _text(card)
        assert "audience 1" in card["header"]["subtitle"]  # the group counted as one address
    # The failure is remembered: the second compose did not wait on the Directory again.
    assert google.count("/admin/") <= 1
    assert "all-staff@corp.example" not in caplog.text


# --- full mode: the draft and its parent through the Gmail API ------------------------------


def test_full_mode_reads_draft_and_parent(full_app, post, google, cards_check, caplog):
    caplog.set_level(logging.DEBUG)
    _reply_all_thread(google)
    event = _compose_event(["peter@corp.example"], TEAM)
    card = _card(post(full_app.test_client(), "compose", event), cards_check)
    assert "content-free-reply-all" in _rules(card)
    assert "only the recipients" not in _text(card).lower()
    [fix] = [b for b in _buttons(card) if b["text"].startswith("Reply to")]
    parameters = {p["key"]: p["value"] for p in fix["onClick"]["action"]["parameters"]}
    assert fix["onClick"]["action"]["function"] == f"{BASE}/gmail/fix"
    assert json.loads(parameters["set"])["to"][0]["email"] == "peter@corp.example"
    assert google.count("/gmail/v1/users/me/threads/thread-1") == 1
    assert google.count("/gmail/v1/users/me/messages/d1") == 1
    # Nothing of the draft reaches the log.
    for secret in (BODY, SUBJECT, "peter@corp.example", TEAM[0]):
        assert secret not in caplog.text


def test_full_mode_html_draft(full_app, post, google, cards_check):
    _reply_all_thread(
        google, "<div dir='ltr'>+1</div><br><div class='gmail_quote'>On ...</div>", html=True
    )
    event = _compose_event(["peter@corp.example"], TEAM)
    card = _card(post(full_app.test_client(), "compose", event), cards_check)
    assert "content-free-reply-all" in _rules(card)


def test_full_mode_substantive_reply_is_clean(full_app, post, google, cards_check):
    _reply_all_thread(
        google, "I can't make Friday; could we move the budget review to Monday at 10?"
    )
    event = _compose_event(["peter@corp.example"], TEAM)
    card = _card(post(full_app.test_client(), "compose", event), cards_check)
    assert "content-free-reply-all" not in _rules(card)
    assert "All clear" in _text(card)


def test_full_mode_new_message_reads_matching_draft(full_app, post, google, cards_check):
    google.add(
        google.support.message(
            "d9",
            "thread-9",
            sender="ana@corp.example",
            to="team@corp.example",
            subject="Status",
            body="Any update?",
            draft=True,
            internal_date=5000,
        )
    )
    event = _compose_event(["team@corp.example"], thread_id=None)
    card = _card(post(full_app.test_client(), "compose", event), cards_check)
    assert "not saved yet" not in _text(card)
    assert google.count("/gmail/v1/users/me/messages/d9") == 1


def test_full_mode_never_reads_another_draft(full_app, post, google, cards_check):
    """Without a thread id, the newest draft is read only if its recipients are the event's."""
    google.add(
        google.support.message(
            "d8",
            "thread-8",
            sender="ana@corp.example",
            to="someone-else@corp.example",
            subject="Private",
            body="Another draft entirely",
            draft=True,
            internal_date=5000,
        )
    )
    event = _compose_event(["team@corp.example"], thread_id=None)
    card = _card(post(full_app.test_client(), "compose", event), cards_check)
    assert "not saved yet" in _text(card)
    assert google.count("/gmail/v1/users/me/messages/") == 0


def test_full_mode_draft_not_saved_yet(full_app, post, google, cards_check):
    google.add(
        google.support.message(
            "m1",
            "thread-1",
            sender="peter@corp.example",
            to="ana@corp.example",
            subject=SUBJECT,
            body="Agenda attached.",
        )
    )
    event = _compose_event(["peter@corp.example"], TEAM)
    card = _card(post(full_app.test_client(), "compose", event), cards_check)
    assert "not saved yet" in _text(card)


@pytest.mark.parametrize(
    "mismatch",
    [
        {"subject": "Secret plans " * 1000},  # past the schema's 10,000 characters
        {"attachments": [{"name": "plan.pdf", "size": -1}]},
        {"body": {"content": "Secret plans", "type": "rtf"}},
    ],
    ids=["overlong subject", "negative attachment size", "unknown body type"],
)
def test_saved_draft_the_schema_refuses_gives_a_card_with_a_note(
    mismatch, full_app, post, google, cards_check, caplog, monkeypatch
):
    """Whatever the Gmail reader extracts that the Draft schema refuses (the two drifting apart)
    is a failed look-up: the recipients are still checked, and the log names fields only."""
    from server.gmail import gmail_api

    extract = gmail_api.eml_to_draft
    monkeypatch.setattr(gmail_api, "eml_to_draft", lambda data: {**extract(data), **mismatch})
    _reply_all_thread(google)
    event = _compose_event(["peter@corp.example"], TEAM)
    card = _card(post(full_app.test_client(), "compose", event), cards_check)
    assert "Gmail did not answer in time" in _text(card)
    assert "audience 7" in card["header"]["subtitle"]  # the event's recipients were checked
    assert "content-free-reply-all" not in _rules(card)  # the body was not linted
    assert google.count("/gmail/v1/users/me/messages/d1") == 1
    [field] = mismatch
    assert f"does not fit the Draft schema (ValidationError in {field})" in caplog.text
    for secret in ("Secret plans", "plan.pdf", BODY, "peter@corp.example", TEAM[0]):
        assert secret not in caplog.text


@pytest.mark.parametrize("failure", ["error", "timeout", "unknown thread", "no oauth token"])
def test_gmail_failure_gives_a_card_with_a_note(
    failure, make_app, sqlite_url, post, google, cards_check, caplog
):
    app = make_app(sqlite_url, GMAIL_MODE="full", GMAIL_TIMEOUT=0.3)
    _reply_all_thread(google)
    event = _compose_event(["peter@corp.example"], TEAM)
    if failure == "error":
        google.fail["gmail"] = 500
    elif failure == "timeout":
        google.delay = 1.0
    elif failure == "unknown thread":
        event["gmail"]["threadId"] = "thread-404"
    else:
        event["authorizationEventObject"] = {
            "systemIdToken": "x",
            "userIdToken": google.user_token(),
        }
    card = _card(post(app.test_client(), "compose", event), cards_check)
    assert "Gmail did not answer in time" in _text(card)
    assert "audience 7" in card["header"]["subtitle"]  # the recipients were still checked
    assert BODY not in caplog.text and "peter@corp.example" not in caplog.text


def test_reply_alls_in_a_gmail_thread_are_counted_per_user(
    make_app, sqlite_url, post, google, cards_check
):
    """Each user's "Check draft" on a reply-all in the thread counts them once (no Redis here: one
    process counts in its memory, server/thread_activity.py)."""
    storm = {"rules": {"reply-all-storm": {"min_reply_alls": 2, "min_audience": 5}}}
    app = make_app(sqlite_url, policy=storm)
    client = app.test_client()
    event = _compose_event(["peter@corp.example"], TEAM, thread_id="thread-storm")

    def check(user):
        return _card(post(client, "compose", event, user=google.user_token(user)), cards_check)

    for user in ("ana@corp.example", "ben@corp.example", "ana@corp.example"):
        assert "reply-all-storm" not in _rules(check(user))
    card = check("cas@corp.example")
    assert "reply-all-storm" in _rules(card)
    assert "2 people have already replied to all" in _text(card)
