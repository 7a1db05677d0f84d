"""The Outlook task pane in real headless Chromium, against the live app (dev mode, built-in rules).

The pane (/outlook/taskpane.html, 320 px wide) runs in a compose window emulated by
tests/support/office-standin.js. The tests assert what a person sees (findings, severity, the
excerpt, the collapsed explanation, fixes, the clean state, a quiet status when the server is
down), what a fix does to the recipients, which outcomes are reported, and how often the pane asks
the server: once per change at most every 1.5 s while typing, never while idle or hidden.
"""

from __future__ import annotations

import itertools
import json
import re
import time

import pytest
from outlook_items import CLEAN_REPLY, JULIE, QUOTE, REPLY_ALL, SUBSTANCE, team
from playwright.sync_api import expect

from server.outlook.manifest import TASKPANE_PATH

TEAM = team(5)
POLL_MS = 1500

TYPE_FOR = """([ms, hidden]) => new Promise((resolve) => {
  let n = 0;
  const typing = setInterval(() => {
    officeStandin.setBody(`<div>Tuesday works, but legal needs the afternoon ${n++}</div>`);
  }, 100);
  setTimeout(() => { clearInterval(typing); resolve(n); }, ms);
})"""
HIDE = """(hidden) => {
  Object.defineProperty(document, "visibilityState", {
    configurable: true, get: () => (hidden ? "hidden" : "visible"),
  });
  document.dispatchEvent(new Event("visibilitychange"));
}"""


def _record(page, pattern: str) -> list:
    """Requests whose URL matches `pattern`, with when they were made (monotonic seconds)."""
    seen = []
    page.on(
        "request",
        lambda request: (
            re.search(pattern, request.url) and seen.append((time.monotonic(), request))
        ),
    )
    return seen


def _eventually(page, condition) -> None:
    """Waits up to 5 s for `condition()`, pumping Playwright's events, then 100 ms more for
    anything that should not follow. Outcomes are posted after the pane renders, so a test that
    counts them waits like this."""
    deadline = time.monotonic() + 5
    while not condition() and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    page.wait_for_timeout(100)


def _outcomes(page, events: list, outcome: str) -> list:
    """The events posted with `outcome` (the first report's `shown` may or may not have been
    recorded, depending on when the recorder went on)."""

    def posted():
        found = [event for _, request in events for event in request.post_data_json["events"]]
        return [event for event in found if event["outcome"] == outcome]

    _eventually(page, posted)
    return posted()


def _open(open_outlook, item, **options):
    return open_outlook(TASKPANE_PATH, item=item, **options)


def test_a_finding_shows_its_severity_message_excerpt_and_fix(open_outlook):
    page = _open(open_outlook, REPLY_ALL)

    finding = page.locator(".finding")
    expect(finding).to_have_count(1)
    expect(finding.locator(".severity")).to_have_text("Warning")
    expect(finding.locator(".message")).to_contain_text('only says "OK with me"')
    expect(finding.locator(".excerpt")).to_have_text("OK with me")
    explanation = finding.locator(".explanation")
    expect(explanation).to_be_hidden()
    finding.get_by_text("Why?").click()
    expect(explanation).to_be_visible()
    expect(finding.get_by_role("button", name=re.compile(r"^Reply to .+ only$"))).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("1 thing to check")
    expect(page.locator("#clean")).to_be_hidden()


def test_the_fix_sets_the_recipients_through_office_and_the_pane_turns_clean(open_outlook):
    reports = []

    def keep_report(route):
        response = route.fetch()
        reports.append(response.json())
        route.fulfill(response=response)

    page = _open(open_outlook, REPLY_ALL, routes={"**/v1/lint": keep_report})
    fix = page.get_by_role("button", name=re.compile(r"^Reply to .+ only$"))
    expect(fix).to_be_visible()
    expected = reports[0]["findings"][0]["fixes"][0]["set"]

    fix.click()

    expect(page.get_by_role("heading", name="Nothing to flag")).to_be_visible()
    expect(page.locator(".finding")).to_have_count(0)
    set_calls = page.evaluate("officeStandin.calls.setAsync")
    assert {call["field"]: call["recipients"] for call in set_calls} == {
        field: [
            {"emailAddress": r["email"], "displayName": r.get("name") or r["email"]}
            for r in expected[field]
        ]
        for field in ("to", "cc", "bcc")
    }
    item = page.evaluate("officeStandin.item")
    assert [r["emailAddress"] for r in item["to"]] == [r["email"] for r in expected["to"]]
    assert item["cc"] == [] and item["bcc"] == []


def test_a_clean_draft_shows_the_clean_state(open_outlook):
    page = _open(open_outlook, CLEAN_REPLY)

    expect(page.get_by_role("heading", name="Nothing to flag")).to_be_visible()
    expect(page.locator(".finding")).to_have_count(0)
    expect(page.locator("#policy-note")).to_be_hidden()


@pytest.mark.parametrize(
    ("fallback", "words"),
    [("last-known", "using the last settings it knew"), ("defaults", "using its default rules")],
)
def test_a_report_under_a_fallback_policy_says_so_quietly(open_outlook, fallback, words):
    """The server's database is down: it lints under the last policy it knew, or the defaults,
    and the report says which (`policy.fallback`); the findings still show."""

    def degraded(route):
        answer = route.fetch()
        report = answer.json()
        report["policy"].update(fallback=fallback, reason="database-unavailable")
        route.fulfill(response=answer, json=report)

    page = _open(open_outlook, REPLY_ALL, routes={"**/v1/lint": degraded})

    expect(page.locator("#policy-note")).to_have_text(re.compile(words))
    expect(page.locator("#policy-note")).to_have_class(re.compile("quiet"))
    expect(page.locator(".finding")).not_to_have_count(0)


def test_an_unreachable_server_gives_a_quiet_status_and_nothing_else(open_outlook):
    page = _open(
        open_outlook,
        REPLY_ALL,
        routes={"**/v1/lint": lambda route: route.abort("connectionrefused")},
    )

    expect(page.get_by_role("status")).to_have_text(re.compile("unavailable right now"))
    expect(page.get_by_role("status")).to_have_class(re.compile("quiet"))
    expect(page.locator(".finding")).to_have_count(0)
    expect(page.locator("#clean")).to_be_hidden()


def test_a_server_error_gives_the_same_quiet_status(open_outlook):
    def error(route):
        route.fulfill(status=500, content_type="application/problem+json", body="{}")

    page = _open(open_outlook, REPLY_ALL, routes={"**/v1/lint": error}, server_errors_expected=True)

    expect(page.get_by_role("status")).to_have_text(re.compile("keep writing and send as usual"))


def test_a_server_that_never_answers_is_named_after_a_few_seconds(open_outlook):
    stalled = []  # requests never answered
    page = _open(open_outlook, REPLY_ALL, routes={"**/v1/lint": lambda r: stalled.append(r)})

    expect(page.get_by_role("status")).to_have_text("Checking your draft…")
    expect(page.get_by_role("status")).to_have_text(
        re.compile("not answering.*send as usual"), timeout=8000
    )
    assert stalled, "the pane never asked the server"


def test_office_js_that_cannot_load_is_named_after_a_few_seconds(open_page, base_url):
    """Microsoft's CDN unreachable: no Office.js, so no draft to read; the pane says so."""
    page = open_page(base_url)
    page.route("**/office.js", lambda route: route.abort("connectionrefused"))
    page.goto(TASKPANE_PATH)

    expect(page.get_by_role("status")).to_have_text(
        re.compile("not answering.*send as usual"), timeout=8000
    )


def test_typing_lints_at_most_every_1_5_s_and_idle_not_at_all(open_outlook):
    page = _open(open_outlook, CLEAN_REPLY)
    expect(page.get_by_role("heading", name="Nothing to flag")).to_be_visible()
    lints = _record(page, r"/v1/lint$")

    page.wait_for_timeout(3 * POLL_MS + 500)  # idle: the draft does not change
    assert lints == []

    page.evaluate(TYPE_FOR, [6000, False])
    page.wait_for_timeout(POLL_MS + 300)  # the last change is sent too

    times = [when for when, _ in lints]
    assert 3 <= len(times) <= 6, times  # about one per 1.5 s; fewer when the machine is slow
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) >= POLL_MS / 1000 - 0.1, gaps
    last_body = page.evaluate("officeStandin.item.body")
    assert lints[-1][1].post_data_json["body"]["content"] == last_body


def test_no_lint_while_the_pane_is_hidden_and_one_when_it_shows_again(open_outlook):
    page = _open(open_outlook, CLEAN_REPLY)
    expect(page.get_by_role("heading", name="Nothing to flag")).to_be_visible()
    lints = _record(page, r"/v1/lint$")

    page.evaluate(HIDE, True)
    page.evaluate(TYPE_FOR, [4000, True])
    page.wait_for_timeout(POLL_MS)
    assert lints == []
    reads_while_hidden = page.evaluate("officeStandin.calls.reads")
    page.wait_for_timeout(POLL_MS + 200)
    assert page.evaluate("officeStandin.calls.reads") == reads_while_hidden  # not even reads

    with page.expect_request("**/v1/lint"):
        page.evaluate(HIDE, False)
    page.wait_for_timeout(2 * POLL_MS)
    assert len(lints) == 1


def test_recipients_changed_lints_again(open_outlook):
    page = _open(open_outlook, {**REPLY_ALL, "to": [JULIE]})
    expect(page.get_by_role("heading", name="Nothing to flag")).to_be_visible()

    with page.expect_request("**/v1/lint") as request:
        page.evaluate("(team) => officeStandin.setRecipients('cc', team)", TEAM[1:])

    assert len(request.value.post_data_json["cc"]) == 4
    expect(page.locator(".finding .severity")).to_have_text("Warning")


def test_attachments_changed_lints_again(open_outlook):
    item = {**CLEAN_REPLY, "to": [JULIE], "body": "<div>I attached the updated budget.</div>"}
    page = _open(open_outlook, item)
    expect(page.locator(".finding .message")).to_contain_text(re.compile("attach", re.I))

    with page.expect_request("**/v1/lint") as request:
        page.evaluate(
            "officeStandin.setAttachments([{name: 'budget.xlsx', size: 20480, isInline: false}])"
        )

    assert request.value.post_data_json["attachments"] == [
        {"name": "budget.xlsx", "size": 20480, "inline": False}
    ]
    expect(page.get_by_role("heading", name="Nothing to flag")).to_be_visible()


def test_a_fix_that_removes_a_finding_counts_as_changed_recipients(open_outlook):
    page = open_outlook(TASKPANE_PATH, item=REPLY_ALL)
    events = _record(page, r"/v1/events$")
    expect(page.locator(".finding")).to_have_count(1)

    page.get_by_role("button", name=re.compile(r"^Reply to .+ only$")).click()
    expect(page.get_by_role("heading", name="Nothing to flag")).to_be_visible()

    assert _outcomes(page, events, "changed_recipients") == [
        {"rule": "content-free-reply-all", "severity": "warning", "outcome": "changed_recipients"}
    ]
    posted = " ".join(request.post_data for _, request in events)
    assert "OK with me" not in posted and "julie@corp.example" not in posted


def test_the_first_report_counts_as_shown(open_outlook):
    # The shown event may be posted before a recorder could be attached to the page, so the
    # recorder goes on the context's requests through a route that lets them pass.
    shown = []

    def watch(route):
        shown.extend(route.request.post_data_json["events"])
        route.continue_()

    page = open_outlook(TASKPANE_PATH, item=REPLY_ALL, routes={"**/v1/events": watch})

    expect(page.locator(".finding")).to_have_count(1)
    _eventually(page, lambda: shown)
    assert shown == [{"rule": "content-free-reply-all", "severity": "warning", "outcome": "shown"}]


def test_dismissing_hides_the_finding_and_reports_it(open_outlook):
    page = _open(open_outlook, REPLY_ALL)
    expect(page.locator(".finding")).to_have_count(1)

    with page.expect_request("**/v1/events") as request:
        page.get_by_role("button", name=re.compile("^Dismiss")).click()

    assert request.value.post_data_json["events"] == [
        {"rule": "content-free-reply-all", "severity": "warning", "outcome": "dismissed"}
    ]
    expect(page.locator(".finding")).to_have_count(0)
    expect(page.get_by_role("heading", name="Nothing to flag")).to_be_visible()
    page.evaluate("(body) => officeStandin.setBody(body)", f"<div>OK with me!</div>{QUOTE}")
    page.wait_for_timeout(2 * POLL_MS)
    expect(page.locator(".finding")).to_have_count(0)  # stays dismissed while composing


def test_report_text_is_shown_as_text_never_as_markup(open_outlook):
    markup = '<img src="x" onerror="window.__owned = 1">'
    report = {
        "findings": [
            {
                "rule": "content-free-reply-all",
                "severity": "block",
                "message": f"Says {markup}",
                "explanation": markup,
                "excerpt": markup,
                "fixes": [{"id": "reply-to-sender-only", "title": markup, "set": {"to": []}}],
            }
        ]
    }

    def answer(route):
        route.fulfill(status=200, content_type="application/json", body=json.dumps(report))

    page = _open(open_outlook, REPLY_ALL, routes={"**/v1/lint": answer})

    expect(page.locator(".finding .message")).to_have_text(f"Says {markup}")
    expect(page.locator(".finding .excerpt")).to_have_text(markup)
    expect(page.locator(".finding .fix")).to_have_text(markup)
    expect(page.locator(".finding .severity")).to_have_text("Block")
    assert page.locator(".finding img").count() == 0
    assert page.evaluate("window.__owned") is None


def test_the_pane_asks_office_for_a_token_with_prompts_and_sends_it(open_outlook):
    authorizations = []

    def watch(route):
        authorizations.append(route.request.headers.get("authorization"))
        route.continue_()

    page = _open(
        open_outlook, CLEAN_REPLY, token="eyJ0eXAi.pane.token", routes={"**/v1/lint": watch}
    )

    expect(page.get_by_role("heading", name="Nothing to flag")).to_be_visible()
    assert authorizations == ["Bearer eyJ0eXAi.pane.token"]
    assert page.evaluate("officeStandin.calls.getAccessToken") == [
        {"allowSignInPrompt": True, "allowConsentPrompt": True, "forMSGraphAccess": False}
    ]


def test_the_pane_fits_a_narrow_task_pane(open_outlook):
    page = _open(open_outlook, REPLY_ALL)
    expect(page.locator(".finding")).to_have_count(1)

    assert page.evaluate("document.documentElement.scrollWidth") <= 320


def test_the_pages_allow_scripts_only_from_here_and_office(open_outlook, base_url):
    page = _open(open_outlook, CLEAN_REPLY)

    for path in (TASKPANE_PATH, "/outlook/commands.html"):
        policy = page.request.get(base_url + path).headers["content-security-policy"]
        directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
        assert directives["script-src"] == "'self' https://appsforoffice.microsoft.com"
        assert directives["default-src"] == "'self'"


CLIENT_ID = "7f6b1c2a-0000-4000-8000-00000000c0de"
NAA_SETS = {"Mailbox": "1.15", "NestedAppAuth": "1.1"}


def _watch_authorization(seen: list):
    def watch(route):
        seen.append(route.request.headers.get("authorization"))
        route.continue_()

    return watch


def test_with_nested_app_auth_the_pane_gets_its_token_from_msal(
    live_app, open_outlook, base_url, monkeypatch
):
    monkeypatch.setitem(live_app.config, "OUTLOOK_CLIENT_ID", CLIENT_ID)
    authorizations = []

    page = _open(
        open_outlook,
        CLEAN_REPLY,
        requirement_sets=NAA_SETS,
        naa={"token": "naa.access.token"},
        routes={"**/v1/lint": _watch_authorization(authorizations)},
    )

    expect(page.get_by_role("heading", name="Nothing to flag")).to_be_visible()
    assert authorizations == ["Bearer naa.access.token"]
    [call] = page.evaluate("officeStandin.calls.naa")
    assert call["method"] == "GetToken"
    assert call["clientId"] == CLIENT_ID
    api = base_url.removeprefix("http://")
    assert f"api://{api}/{CLIENT_ID}/access_as_user" in call["scope"].split(" ")
    assert page.evaluate("officeStandin.calls.getAccessToken") == []


def test_when_msal_cannot_get_a_token_silently_the_pane_may_prompt(
    live_app, open_outlook, monkeypatch
):
    monkeypatch.setitem(live_app.config, "OUTLOOK_CLIENT_ID", CLIENT_ID)
    authorizations = []

    page = _open(
        open_outlook,
        CLEAN_REPLY,
        requirement_sets=NAA_SETS,
        naa={"token": "naa.prompted.token", "silent": False},
        routes={"**/v1/lint": _watch_authorization(authorizations)},
    )

    expect(page.get_by_role("heading", name="Nothing to flag")).to_be_visible()
    assert authorizations == ["Bearer naa.prompted.token"]
    methods = [call["method"] for call in page.evaluate("officeStandin.calls.naa")]
    assert methods == ["GetToken", "GetTokenPopup"]


def test_without_a_client_id_nested_app_auth_is_not_tried(open_outlook):
    page = _open(
        open_outlook,
        CLEAN_REPLY,
        token="eyJ0eXAi.office.token",
        requirement_sets=NAA_SETS,
        naa={"token": "naa.access.token"},
    )

    expect(page.get_by_role("heading", name="Nothing to flag")).to_be_visible()
    assert page.evaluate("officeStandin.calls.naa") == []
    assert len(page.evaluate("officeStandin.calls.getAccessToken")) == 1


def test_nothing_of_the_draft_reaches_the_console(open_outlook):
    page = _open(open_outlook, REPLY_ALL)
    expect(page.locator(".finding")).to_have_count(1)
    console = []
    page.on("console", lambda message: console.append(message.text))

    with page.expect_response("**/v1/lint"):
        page.evaluate("(body) => officeStandin.setBody(body)", f"<div>Fine by me</div>{QUOTE}")
    page.get_by_role("button", name=re.compile("^Dismiss")).click()
    page.wait_for_timeout(300)

    logged = "\n".join(console)
    for text in ("Fine by me", "Offsite agenda", "julie@corp.example", "Tuesday slot"):
        assert text not in logged


def test_a_finding_the_author_writes_away_counts_as_edited(open_outlook):
    page = _open(open_outlook, REPLY_ALL)
    expect(page.locator(".finding")).to_have_count(1)
    events = _record(page, r"/v1/events$")

    page.evaluate("(body) => officeStandin.setBody(body)", SUBSTANCE + QUOTE)

    expect(page.get_by_role("heading", name="Nothing to flag")).to_be_visible()
    assert _outcomes(page, events, "edited") == [
        {"rule": "content-free-reply-all", "severity": "warning", "outcome": "edited"}
    ]
