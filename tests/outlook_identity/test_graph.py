"""Graph look-ups on behalf of an Entra-authenticated user: list sizes (directory count, MailTips
as the fallback, cached per organisation for an hour) and the replied-to message, all of which
degrade to linting without those facts when Graph or the token endpoint fails or stalls."""

from __future__ import annotations

import logging
import time
from urllib.parse import quote

import pytest

from linters.schema import load_draft
from server.identity import Identity
from server.outlook.enrich import MAX_CALLS_PER_LINT, WORKERS, Enricher
from server.outlook.graph import BudgetSession, GraphClient, GraphUnavailable, OnBehalfOf, budget
from server.outlook.settings import OutlookSettings
from server.outlook.verify import EntraVerifier

TENANT_A = "a1a1a1a1-0000-4000-8000-00000000000a"
TENANT_B = "b2b2b2b2-0000-4000-8000-00000000000b"
LIST = "all-staff@alpha.example"
BODY = "OK with me"
SUBJECT = "Offsite agenda, confidential"


def _reply_all_to_list(address: str = LIST) -> dict:
    return {
        "client": "outlook",
        "compose_type": "reply_all",
        "subject": f"Re: {SUBJECT}",
        "from": {"email": "peter@alpha.example"},
        "to": [{"email": "boss@alpha.example"}],
        "cc": [{"email": address, "type": "group"}],
        "body": {"content": f"<div>{BODY}</div>", "type": "html"},
        "in_reply_to": {"from": {"email": "boss@alpha.example"}},
    }


def _on_behalf(microsoft) -> list[str]:
    """The stand-in's endpoints hit for Graph look-ups (not for verifying our tokens)."""
    return [c for c in microsoft.calls if c not in ("discovery", "jwks")]


def _rules(response) -> list[str]:
    return [f["rule"] for f in response.get_json()["findings"]]


def test_a_list_without_a_size_is_counted_through_graph(lint, microsoft):
    microsoft.groups[(TENANT_A, LIST)] = ("g-staff", 40)
    token = microsoft.access_token(TENANT_A)

    response = lint(_reply_all_to_list(), token=token)

    assert response.status_code == 200
    report = response.get_json()
    assert report["audience"] == 41
    assert {"content-free-reply-all", "large-audience"} <= set(_rules(response))
    [nudge] = [f for f in report["findings"] if f["rule"] == "content-free-reply-all"]
    assert nudge["data"]["audience"] == 41
    assert _on_behalf(microsoft) == ["tenant-discovery", "token", "groups", "count"]
    [exchange] = microsoft.token_requests
    assert exchange["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
    assert exchange["requested_token_use"] == "on_behalf_of"
    assert exchange["assertion"] == token
    assert "https://graph.microsoft.com/.default" in exchange["scope"].split()


def test_without_graph_the_list_counts_as_the_policys_unknown_size(make_app, sqlite_url, microsoft):
    app = make_app(sqlite_url, with_secret=False)  # no client secret: no on-behalf-of
    microsoft.groups[(TENANT_A, LIST)] = ("g-staff", 40)
    token = microsoft.access_token(TENANT_A)

    response = app.test_client().post(
        "/v1/lint", json=_reply_all_to_list(), headers={"Authorization": f"Bearer {token}"}
    )

    assert response.get_json()["audience"] == 11  # boss + the list counted as 10
    assert "large-audience" not in _rules(response)
    assert "token" not in microsoft.calls


def test_a_list_that_comes_with_its_size_is_not_looked_up(lint, microsoft):
    draft = _reply_all_to_list()
    draft["cc"][0]["member_count"] = 30

    assert lint(draft).get_json()["audience"] == 31
    assert _on_behalf(microsoft) == []


def test_mailtips_size_a_list_when_the_directory_count_fails(lint, microsoft):
    microsoft.groups[(TENANT_A, LIST)] = ("g-staff", 40)
    microsoft.mail_tips[(TENANT_A, LIST)] = 33
    microsoft.fail.add("count")

    response = lint(_reply_all_to_list())

    assert response.get_json()["audience"] == 34
    assert microsoft.calls[-3:] == ["groups", "count", "mailtips"]


def test_mailtips_size_a_list_the_directory_does_not_know(lint, microsoft):
    microsoft.mail_tips[(TENANT_A, LIST)] = 120

    assert lint(_reply_all_to_list()).get_json()["audience"] == 121
    assert microsoft.calls[-2:] == ["groups", "mailtips"]


def test_a_list_nobody_can_size_stays_unknown_and_is_not_asked_again_at_once(lint, microsoft):
    assert lint(_reply_all_to_list()).get_json()["audience"] == 11
    asked = len(microsoft.calls)

    assert lint(_reply_all_to_list()).get_json()["audience"] == 11
    assert len(microsoft.calls) == asked


def test_a_size_is_cached_so_the_next_lint_asks_nobody(lint, microsoft):
    microsoft.groups[(TENANT_A, LIST)] = ("g-staff", 40)
    token = microsoft.access_token(TENANT_A)
    assert lint(_reply_all_to_list(), token=token).get_json()["audience"] == 41
    calls = list(microsoft.calls)

    for _ in range(3):  # the task pane re-linting while the person types
        assert lint(_reply_all_to_list(), token=token).get_json()["audience"] == 41

    assert microsoft.calls == calls


def test_sizes_are_kept_per_organisation(lint, microsoft):
    shared = "everyone@shared.example"
    microsoft.groups[(TENANT_A, shared)] = ("g-a", 40)
    microsoft.groups[(TENANT_B, shared)] = ("g-b", 7)

    assert lint(_reply_all_to_list(shared), tenant=TENANT_A).get_json()["audience"] == 41
    before_b = microsoft.calls.count("count")
    assert lint(_reply_all_to_list(shared), tenant=TENANT_B).get_json()["audience"] == 8
    assert microsoft.calls.count("count") == before_b + 1  # B asked its own Graph
    assert lint(_reply_all_to_list(shared), tenant=TENANT_A).get_json()["audience"] == 41


def test_a_cached_size_lasts_an_hour(microsoft, outlook_config, clock):
    settings = OutlookSettings.from_config(outlook_config)
    enricher = Enricher(settings, clock=clock)
    microsoft.groups[(TENANT_A, LIST)] = ("g-staff", 40)
    verified = EntraVerifier(settings).verify(microsoft.access_token(TENANT_A))
    identity = Identity(
        org="alpha.example",
        method="entra",
        tenant=verified.tenant,
        user=verified.user,
        assertion=verified.assertion,
    )
    draft = load_draft(_reply_all_to_list())

    assert enricher.enrich(draft, identity).cc[0].member_count == 40
    microsoft.groups[(TENANT_A, LIST)] = ("g-staff", 45)
    clock.now += 3599
    assert enricher.enrich(draft, identity).cc[0].member_count == 40
    assert microsoft.calls.count("count") == 1

    clock.now += 2
    assert enricher.enrich(draft, identity).cc[0].member_count == 45
    assert microsoft.calls.count("count") == 2
    assert "assertion" not in repr(identity) and verified.assertion not in repr(identity)


# --- the message replied to -------------------------------------------------------------------

MESSAGE_ID = "<CAF=offsite.1234@alpha.example>"


def _graph_message() -> dict:
    def who(*addresses):
        return [{"emailAddress": {"address": a, "name": a.split("@")[0]}} for a in addresses]

    return {
        "from": who("boss@alpha.example")[0],
        "toRecipients": who("anna@alpha.example", "ben@alpha.example", "carl@alpha.example"),
        "ccRecipients": [],
        "bccRecipients": who("peter@alpha.example"),
        "subject": SUBJECT,
    }


def _reply_to_everyone_after_a_bcc() -> dict:
    return {
        "client": "outlook",
        "compose_type": "reply",  # Outlook says reply for reply-all too
        "subject": f"Re: {SUBJECT}",
        "from": {"email": "peter@alpha.example"},
        "to": [{"email": "boss@alpha.example"}],
        "cc": [
            {"email": "anna@alpha.example"},
            {"email": "ben@alpha.example"},
            {"email": "carl@alpha.example"},
        ],
        "body": {"content": "I can present the budget on Monday at 10.", "type": "text"},
        "in_reply_to": {"message_id": MESSAGE_ID},
    }


def test_the_replied_to_message_comes_from_graph(lint, microsoft):
    microsoft.messages[(TENANT_A, MESSAGE_ID)] = _graph_message()

    response = lint(_reply_to_everyone_after_a_bcc())

    assert response.status_code == 200
    assert "bcc-reply-all" in _rules(response)
    assert microsoft.calls[-1] == "messages"


def test_without_the_replied_to_message_the_bcc_goes_unnoticed(lint, microsoft):
    # The same draft, but the message is not in this user's mailbox: nothing to go on.
    response = lint(_reply_to_everyone_after_a_bcc())

    assert response.status_code == 200
    assert "bcc-reply-all" not in _rules(response)
    assert microsoft.calls[-1] == "messages"


CONVERSATION = "AAQkADAwATM0MDAAMS1iNTcwLTk3ZmUtMDACLTAwCgAQAB"


def _in_conversation(message: dict, received: str, **extra) -> dict:
    return {**message, "conversationId": CONVERSATION, "receivedDateTime": received, **extra}


def test_without_in_reply_to_the_conversation_names_the_message(lint, microsoft):
    """An Outlook without `item.inReplyTo` (before Mailbox 1.14) still gives the conversation
    id: its newest received message stands for the one answered; drafts and older messages do
    not."""
    older = {
        **_graph_message(),
        "bccRecipients": [],
        "from": {"emailAddress": {"address": "x@alpha.example"}},
    }
    microsoft.messages[(TENANT_A, "<old@alpha.example>")] = _in_conversation(
        older, "2025-03-01T09:00:00Z", internetMessageId="<old@alpha.example>"
    )
    microsoft.messages[(TENANT_A, MESSAGE_ID)] = _in_conversation(
        _graph_message(), "2025-03-03T10:00:00Z", internetMessageId=MESSAGE_ID
    )
    microsoft.messages[(TENANT_A, "<draft@alpha.example>")] = _in_conversation(
        older, "2025-03-04T10:00:00Z", isDraft=True
    )
    draft = _reply_to_everyone_after_a_bcc()
    del draft["in_reply_to"]
    draft["thread_id"] = CONVERSATION

    response = lint(draft)

    assert response.status_code == 200
    assert "bcc-reply-all" in _rules(response)  # Peter was Bcc'd on the newest message
    assert microsoft.calls[-1] == "messages"


def test_a_new_message_in_a_conversation_is_not_looked_up(lint, microsoft):
    draft = _reply_to_everyone_after_a_bcc()
    del draft["in_reply_to"]
    draft.update(thread_id=CONVERSATION, compose_type="new")

    assert lint(draft).status_code == 200
    assert _on_behalf(microsoft) == []


def test_a_draft_that_names_its_original_is_not_looked_up(lint, microsoft):
    draft = _reply_to_everyone_after_a_bcc()
    draft["in_reply_to"]["from"] = {"email": "boss@alpha.example"}

    assert lint(draft).status_code == 200
    assert _on_behalf(microsoft) == []


# --- failures degrade, within the budget --------------------------------------------------------


@pytest.mark.parametrize(
    "broken",
    [
        {"token"},
        {"groups", "mailtips"},
        {"groups", "count", "mailtips", "messages"},
    ],
)
def test_graph_failures_still_lint(lint, microsoft, broken):
    microsoft.groups[(TENANT_A, LIST)] = ("g-staff", 40)
    microsoft.fail.update(broken)

    response = lint(_reply_all_to_list())

    assert response.status_code == 200
    assert response.get_json()["audience"] == 11
    assert "content-free-reply-all" in _rules(response)


@pytest.mark.parametrize("stalled", ["token", "groups", "count", "messages"])
def test_a_stalled_graph_costs_at_most_the_budget_and_then_pauses(lint, microsoft, stalled):
    microsoft.groups[(TENANT_A, LIST)] = ("g-staff", 40)
    microsoft.messages[(TENANT_A, MESSAGE_ID)] = _graph_message()
    microsoft.stall[stalled] = 5.0
    draft = _reply_all_to_list()
    draft["in_reply_to"] = {"message_id": MESSAGE_ID}

    started = time.perf_counter()
    response = lint(draft)
    elapsed = time.perf_counter() - started

    assert response.status_code == 200
    assert elapsed < 2.0, elapsed  # budget 1.5 s, plus the lint and the test client
    calls = len(microsoft.calls)
    started = time.perf_counter()
    assert lint(draft).status_code == 200
    assert time.perf_counter() - started < 0.5
    assert len(microsoft.calls) == calls  # the tenant's look-ups pause after an outage


def test_graph_look_ups_log_counts_never_content(lint, microsoft, caplog):
    # Ours, MSAL's and urllib3's loggers at DEBUG: urllib3 logs each request's URL, and the app
    # cuts the query ($filter names the list or the message) from it.
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="server")
    caplog.set_level(logging.DEBUG, logger="msal")
    caplog.set_level(logging.DEBUG, logger="urllib3")
    microsoft.groups[(TENANT_A, LIST)] = ("g-staff", 40)
    microsoft.messages[(TENANT_A, MESSAGE_ID)] = _graph_message()
    microsoft.fail.add("count")
    token = microsoft.access_token(TENANT_A)
    draft = _reply_all_to_list()
    draft["in_reply_to"] = {"message_id": MESSAGE_ID}

    assert lint(draft, token=token).status_code == 200

    logged = caplog.text
    assert "Graph look-ups: 0 of 1 groups sized" in logged
    assert "HTTP 503" in logged
    assert "/me/messages?…" in logged  # urllib3 did log, without the query
    for secret in (token, BODY, SUBJECT, LIST, "boss@alpha.example", MESSAGE_ID):
        assert secret not in logged, secret
        assert quote(secret) not in logged, secret
    assert not [t for t in microsoft.graph_tokens if t in logged]


def test_an_address_with_a_quote_is_escaped_in_the_graph_filter(lint, microsoft):
    address = "o'brien-team@alpha.example"
    microsoft.groups[(TENANT_A, address)] = ("g-obrien", 30)

    assert lint(_reply_all_to_list(address)).get_json()["audience"] == 31
    assert _on_behalf(microsoft)[-2:] == ["groups", "count"]


def test_several_lists_are_all_sized(lint, microsoft):
    lists = {f"team-{n}@alpha.example": n * 10 for n in range(1, 5)}
    for address, people in lists.items():
        microsoft.groups[(TENANT_A, address)] = (f"g-{people}", people)
    draft = _reply_all_to_list()
    draft["cc"] = [{"email": address, "type": "group"} for address in lists]

    assert lint(draft).get_json()["audience"] == 1 + sum(lists.values())
    assert _on_behalf(microsoft).count("count") == len(lists)


# --- the budget: spent is no outage, late is not known, one lint shares the pool -----------------


def test_a_call_under_a_spent_budget_is_not_made_and_is_no_outage(microsoft, outlook_config):
    settings = OutlookSettings.from_config(outlook_config)
    http = BudgetSession(settings.graph_timeout, settings.ca_bundle)
    on_behalf = OnBehalfOf(settings, http)
    graph = GraphClient(settings.graph_url, http)
    token = on_behalf.token(TENANT_A, microsoft.access_token(TENANT_A))  # no budget here
    other_assertion = microsoft.access_token(TENANT_A, name="Someone Else")
    before = list(microsoft.calls)

    with budget(0.0):
        for call in (
            lambda: on_behalf.token(TENANT_A, other_assertion),
            lambda: graph.group_id(token, LIST),
            lambda: graph.mail_tips_sizes(token, [LIST]),
            lambda: graph.replied_to(token, MESSAGE_ID),
        ):
            with pytest.raises(GraphUnavailable, match="budget spent") as failure:
                call()
            assert not failure.value.unreachable

    assert microsoft.calls == before


def test_a_call_that_times_out_is_an_outage(microsoft, outlook_config):
    settings = OutlookSettings.from_config(outlook_config)
    http = BudgetSession(0.3, settings.ca_bundle)
    token = OnBehalfOf(settings, http).token(TENANT_A, microsoft.access_token(TENANT_A))
    microsoft.stall["groups"] = 5.0

    with budget(1.0), pytest.raises(GraphUnavailable) as failure:
        GraphClient(settings.graph_url, http).group_id(token, LIST)

    assert failure.value.unreachable


def test_a_look_up_still_running_when_the_budget_ends_is_not_waited_for(lint, microsoft):
    microsoft.groups[(TENANT_A, LIST)] = ("g-staff", 40)
    # The group look-up answers, a byte every half second: no read ever times out, and the
    # answer takes far longer than the budget.
    microsoft.trickle["groups"] = 0.5

    started = time.perf_counter()
    response = lint(_reply_all_to_list())
    elapsed = time.perf_counter() - started

    assert response.status_code == 200
    assert elapsed < 2.0, elapsed  # budget 1.5 s, plus the lint and the test client
    assert response.get_json()["audience"] == 11  # not known: the policy's unknown size
    assert "content-free-reply-all" in _rules(response)

    # Late is not an outage: the next lint asks again, and this time gets its answer.
    microsoft.trickle.clear()
    assert lint(_reply_all_to_list()).get_json()["audience"] == 41
    assert microsoft.calls.count("groups") == 2


def test_mailtips_are_asked_while_the_message_look_up_is_still_running(lint, microsoft):
    microsoft.groups[(TENANT_A, LIST)] = ("g-staff", 40)
    microsoft.fail.add("count")
    microsoft.mail_tips[(TENANT_A, LIST)] = 33
    microsoft.messages[(TENANT_A, MESSAGE_ID)] = _graph_message()
    microsoft.trickle["messages"] = 0.5
    draft = _reply_all_to_list()
    draft["in_reply_to"] = {"message_id": MESSAGE_ID}

    started = time.perf_counter()
    response = lint(draft)
    elapsed = time.perf_counter() - started

    assert response.status_code == 200
    assert elapsed < 2.0, elapsed
    assert response.get_json()["audience"] == 34  # sized by MailTips
    assert "mailtips" in microsoft.calls

    # Not paused either: the message is asked for again (the size is cached by now).
    microsoft.trickle.clear()
    assert lint(draft).status_code == 200
    assert microsoft.calls.count("messages") == 2
    assert microsoft.calls.count("groups") == 1


def test_one_draft_to_many_lists_holds_only_a_few_of_the_pools_workers(lint, microsoft):
    lists = {f"team-{n}@alpha.example": n for n in range(1, 13)}
    for address, people in lists.items():
        microsoft.groups[(TENANT_A, address)] = (f"g-{people}", people)
    microsoft.stall["groups"] = 0.1
    draft = _reply_all_to_list()
    draft["cc"] = [{"email": address, "type": "group"} for address in lists]

    started = time.perf_counter()
    response = lint(draft)

    assert response.status_code == 200
    assert time.perf_counter() - started < 2.0
    assert 2 <= microsoft.graph_peak <= MAX_CALLS_PER_LINT < WORKERS
    assert response.get_json()["audience"] == 1 + sum(lists.values())


def test_without_a_user_object_id_no_message_is_looked_up(microsoft, outlook_config):
    # The verifier refuses such tokens (test_tokens.py); the cache of replied-to messages is
    # keyed by user, so the enricher does not rely on that alone.
    settings = OutlookSettings.from_config(outlook_config)
    microsoft.messages[(TENANT_A, MESSAGE_ID)] = _graph_message()
    identity = Identity(
        org="alpha.example",
        method="entra",
        tenant=TENANT_A,
        user=None,
        assertion=microsoft.access_token(TENANT_A),
    )

    draft = load_draft(_reply_to_everyone_after_a_bcc())
    assert Enricher(settings).enrich(draft, identity) is draft
    assert "messages" not in microsoft.calls
