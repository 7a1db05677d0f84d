"""The add-on event object: the fields we use, read with Google's names and case; everything
else ignored; malformed values refused with the field's name (never its value)."""

import pytest

from server.gmail.event import EventError, parse_event


def test_fields_we_use():
    event = parse_event(
        {
            "commonEventObject": {
                "hostApp": "GMAIL",
                "platform": "WEB",
                "userLocale": "de",
                "parameters": {"origin": "recheck"},
            },
            "authorizationEventObject": {
                "userIdToken": "id-token",
                "userOAuthToken": "oauth-token",
                "systemIdToken": "system-token",
            },
            "gmail": {
                "messageId": "18c2f0a1b2c3d4e5",
                "threadId": "18c2f0a1b2c3d4e5",
                "accessToken": "message-token",
                "toRecipients": ["peter@corp.example"],
                "ccRecipients": ["Anna Example <anna@corp.example>", "not an address", ""],
                "bccRecipients": [],
            },
        }
    )
    assert event.parameters == {"origin": "recheck"}
    assert (event.user_id_token, event.user_oauth_token) == ("id-token", "oauth-token")
    assert event.thread_id == event.message_id == "18c2f0a1b2c3d4e5"
    assert event.to == ("peter@corp.example",)
    assert event.cc == ("anna@corp.example",)
    assert event.recipients == ("peter@corp.example", "anna@corp.example")
    assert event.locale == "de"


def test_homepage_event_has_no_gmail_object():
    event = parse_event({"commonEventObject": {"hostApp": "GMAIL"}})
    assert event.recipients == () and event.thread_id is None and event.parameters == {}


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (None, "event object"),
        ([], "event object"),
        ({"authorizationEventObject": {"userIdToken": 5}}, "userIdToken"),
        ({"authorizationEventObject": {"userIdToken": "x" * 9000}}, "userIdToken"),
        ({"gmail": {"messageId": "a/b"}}, "gmail.messageId"),
        ({"commonEventObject": {"parameters": {str(i): "" for i in range(21)}}}, "parameters"),
        ({"commonEventObject": {"parameters": {"set": "x" * 5000}}}, "parameters"),
        ({"gmail": {"bccRecipients": [None]}}, "gmail.bccRecipients"),
    ],
)
def test_malformed(data, field):
    with pytest.raises(EventError, match=field) as raised:
        parse_event(data)
    assert "xxxx" not in str(raised.value)
