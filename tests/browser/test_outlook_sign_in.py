"""The add-in and the server's identity checks together, in real headless Chromium.

Unlike the other Outlook browser tests (dev mode), the app here runs as in production: every /v1
call needs a token, which the pane gets from Office (the stand-in's `Office.auth.getAccessToken`)
and which the server verifies against the Microsoft stand-in of tests/support/entra.py (its keys,
its tenant, its Graph). A distribution list comes without a size, as Outlook gives it, and its
size comes from Graph on the user's behalf. A token the server refuses leaves the person free to
write and send.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import entra
import pytest
from playwright.sync_api import expect

from server import store
from server.app import create_app
from server.outlook.manifest import COMMANDS_PATH, SEND_HANDLER, TASKPANE_PATH
from server.store import migrate

TENANT = "a1a1a1a1-0000-4000-8000-00000000000a"
STAFF = "staff@alpha.example"
QUOTE = (
    '<div id="appendonsend"></div><hr><div id="divRplyFwdMsg"><b>From:</b> Julie Petit<br>'
    "<b>Subject:</b> Offsite agenda</div><div>Please confirm the Tuesday slot by Friday.</div>"
)
REPLY_ALL = {
    "composeType": "reply",
    "inReplyTo": "<agenda-1@alpha.example>",
    "subject": "Re: Offsite agenda",
    "to": [
        {"emailAddress": "julie@alpha.example", "displayName": "Julie", "recipientType": "user"},
        {"emailAddress": STAFF, "displayName": "All staff", "recipientType": "distributionList"},
    ],
    "body": f"<div>OK with me</div>{QUOTE}",
}
OFFICE = {"Mailbox": "1.15"}  # no nested app auth: the add-in asks Office for the token


@pytest.fixture(scope="module")
def microsoft(tmp_path_factory) -> Iterator[entra.MicrosoftStandIn]:
    with entra.serve(tmp_path_factory.mktemp("microsoft")) as server:
        server.groups[(TENANT, STAFF)] = ("g-staff", 40)
        yield server


@pytest.fixture(scope="module")
def base_url(serve, microsoft, tmp_path_factory) -> Iterator[str]:
    """The app as in production (no dev mode), wired to the Microsoft stand-in, with
    organisation alpha.example on the stand-in's tenant. Overrides the dev-mode server of
    tests/browser/conftest.py for this module."""
    database = f"sqlite:///{tmp_path_factory.mktemp('db') / 'draftlint.sqlite'}"
    migrate.upgrade(database)
    app = create_app({"DATABASE_URL": database, **entra.outlook_config(microsoft)})
    with app.extensions["draftlint.storage"].sessions.begin() as db:
        org = store.create_org(db, "alpha.example", "Alpha", actor="setup")
        store.add_alias(db, org, "entra-tenant", TENANT, actor="setup")
    with serve(app) as url:
        yield url


def test_a_verified_token_gets_findings_with_the_list_sized_by_graph(open_outlook, microsoft):
    token = microsoft.access_token(TENANT)
    page = open_outlook(TASKPANE_PATH, item=REPLY_ALL, token=token, requirement_sets=OFFICE)

    finding = page.locator(".finding", has_text="only says")
    expect(finding).to_have_count(1)
    # Julie and the 40 people Graph counts in the list: Outlook gave no size.
    expect(finding.locator(".message")).to_contain_text("all 41 recipients")
    assert "count" in microsoft.calls


def test_the_send_handler_stops_the_send_for_a_signed_in_user(open_outlook, microsoft):
    token = microsoft.access_token(TENANT)
    page = open_outlook(COMMANDS_PATH, item=REPLY_ALL, token=token, requirement_sets=OFFICE)

    result = page.evaluate(f"officeStandin.run({json.dumps(SEND_HANDLER)})")

    assert result["options"]["allowEvent"] is False
    assert "41" in result["options"]["errorMessage"]


@pytest.mark.parametrize(
    "forge",
    [
        lambda ms: ms.access_token(TENANT, key=ms.rogue_key),
        lambda ms: ms.access_token(TENANT, scp="User.Read"),
        lambda ms: ms.access_token("c3c3c3c3-0000-4000-8000-00000000000c"),  # no organisation
    ],
    ids=["rogue key", "no access_as_user", "unknown tenant"],
)
def test_a_refused_token_never_stands_in_the_way(open_outlook, microsoft, forge):
    token = forge(microsoft)
    pane = open_outlook(TASKPANE_PATH, item=REPLY_ALL, token=token, requirement_sets=OFFICE)
    status = pane.get_by_role("status")
    expect(status).to_have_text(re.compile("could not sign you in"))
    expect(status).to_have_class(re.compile("quiet"))
    expect(pane.locator(".finding")).to_have_count(0)

    handler = open_outlook(COMMANDS_PATH, item=REPLY_ALL, token=token, requirement_sets=OFFICE)
    result = handler.evaluate(f"officeStandin.run({json.dumps(SEND_HANDLER)})")
    assert result["options"] == {"allowEvent": True}
