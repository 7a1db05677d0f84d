"""The Backtest page in a real headless Chromium: upload a mailbox, watch the run's progress
move and reach its end, read the report's numbers, and publish the draft from it.

The app (dev mode: signed in as the owner of "local") runs on a database of its own, served in
a thread of this process; its backtest job is a thread too, so the test can hold the upload's
reader at gates and see the page follow the run step by step, without a reload. Set
`DRAFTLINT_SCREENSHOTS=<folder>` to keep a screenshot of each step.
"""

from __future__ import annotations

import os
import re
import threading
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

import pytest

from server import store
from server.admin import backtest
from server.app import create_app
from server.engine import current_storage

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
expect = sync_api.expect

TEAM = [f"member{n}@corp.example" for n in range(4)]
CROWD = [f"p{n}@corp.example" for n in range(21)]  # with To: 22 people, under large-audience's 25
WAIT_S = 60


def message(*, sender="Ana <ana@corp.example>", to=None, cc=None, body="OK with me") -> bytes:
    mail = EmailMessage(policy=SMTP)
    mail["From"] = sender
    mail["To"] = ", ".join(to or TEAM)
    if cc:
        mail["Cc"] = ", ".join(cc)
    mail["Subject"] = "Re: Offsite agenda"
    mail["Date"] = "Tue, 14 May 2024 09:12:00 +0200"
    mail["Message-ID"] = "<m1@corp.example>"
    mail.set_content(body)
    return mail.as_bytes()


def mbox(messages: list[bytes]) -> bytes:
    out = []
    for data in messages:
        out.append(b"From sender@corp.example Tue May 14 09:12:00 2024\n")
        out.append(data.replace(b"\r\n", b"\n").rstrip(b"\n") + b"\n\n")
    return b"".join(out)


SENT = mbox(
    [
        message(),
        message(body="Thanks all!"),
        message(body="+1", sender="Bo <bo@corp.example>"),
        message(to=["boss@corp.example"], cc=CROWD, body="The budget is 4,200 EUR, see row 12."),
        message(to=["boss@corp.example"], body="Can we move the review to Thursday at 3?"),
    ]
)


@pytest.fixture(scope="module")
def console(serve, tmp_path_factory):
    database = tmp_path_factory.mktemp("backtest-db") / "draftlint.sqlite"
    app = create_app({"DEV_MODE": True, "DATABASE_URL": f"sqlite:///{database}"})
    with serve(app) as url:
        yield url, app


@pytest.fixture
def gates(monkeypatch):
    """The run's reader stops before items 2 and 4 until the test opens each gate."""
    stops = {2: threading.Event(), 4: threading.Event()}
    reached = {n: threading.Event() for n in stops}
    real = backtest.read_stream

    def gated(*args, **kwargs):
        for n, item in enumerate(real(*args, **kwargs)):
            if n in stops:
                reached[n].set()
                assert stops[n].wait(WAIT_S)
            yield item

    monkeypatch.setattr(backtest, "read_stream", gated)
    monkeypatch.setattr(backtest, "PROGRESS_EVERY_S", 0.0)  # progress written at every item
    yield stops, reached
    for stop in stops.values():
        stop.set()


def shoot(page, name: str) -> None:
    folder = os.environ.get("DRAFTLINT_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def in_store(app, fn):
    with app.app_context(), current_storage().sessions.begin() as session:
        return fn(session, store.get_org(session, "local"))


def test_upload_watch_progress_read_the_report_and_publish(open_page, console, gates):
    base_url, app = console
    stops, reached = gates
    page = open_page(base_url)
    page.goto("/admin/policy")  # makes the dev-mode organisation

    def tune(session, org):
        etag = store.get_draft(session, org).etag
        document = {"rules": {"large-audience": {"threshold": 20}}}
        store.save_draft(session, org, document, if_match=etag, actor="admin@local")

    in_store(app, tune)

    page.get_by_role("link", name="Backtest", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Backtest")
    page.get_by_label("Mailbox file").set_input_files(
        files=[{"name": "Sent.mbox", "mimeType": "application/mbox", "buffer": SENT}]
    )
    page.get_by_label("Only mail sent from").fill("corp.example")
    shoot(page, "backtest-upload")
    page.get_by_role("button", name="Upload and run").click()

    # The run's page follows it: the script polls and moves the bar, with no reload.
    expect(page).to_have_url(re.compile(r"/admin/backtest/\d+$"))
    assert reached[2].wait(WAIT_S)
    status = page.locator("#backtest-status")
    bar = page.locator("progress#backtest-bar")
    expect(status).to_contain_text("2 messages so far")
    page.evaluate("window.stillTheSamePage = true")
    first = int(bar.get_attribute("value"))
    assert 0 < first < 100
    stops[2].set()
    assert reached[4].wait(WAIT_S)
    expect(status).to_contain_text("4 messages so far")
    assert int(bar.get_attribute("value")) >= first  # bytes read: this small file is one block
    assert page.evaluate("window.stillTheSamePage") is True
    shoot(page, "backtest-running")

    # Done: the page loads the report by itself.
    stops[4].set()
    report = page.locator(".backtest-report")
    expect(report).to_be_visible(timeout=WAIT_S * 1000)
    assert page.evaluate("window.stillTheSamePage") is None
    expect(page.locator("#backtest-bar")).to_have_count(0)
    cards = report.locator(".cards .value")
    expect(cards.nth(0)).to_have_text("5")  # messages read
    expect(cards.nth(1)).to_have_text("5")  # linted (all sent from corp.example)
    expect(page.locator("#decision-published")).to_have_text("3 (60.0%)")
    expect(page.locator("#decision-draft")).to_have_text("4 (80.0%)")
    large = report.locator("table.compare tbody tr", has_text="large-audience")
    expect(large.locator("td").nth(0)).to_have_text("0")  # the published policy (defaults)
    expect(large.locator("td").nth(1)).to_have_text("1")  # the draft, from 20 people
    expect(large.locator("td").nth(2)).to_have_text("+1")
    expect(report.locator("#authors-heading ~ table tbody th").first).to_have_text(
        re.compile(r"^person-[0-9a-f]{6}$")
    )

    shoot(page, "backtest-report")

    # Publish the draft it tested, from the report.
    comment = page.get_by_label("Comment")
    expect(comment).to_have_value(re.compile(r"^Backtested on 5 messages: flagged 3 → 4"))
    page.get_by_role("button", name="Publish the draft as version 1").click()
    expect(page.get_by_role("status").filter(has_text="Published version 1")).to_be_visible()
    newest = page.locator("table.versions tbody tr").first
    expect(newest).to_contain_text("Backtested on 5 messages")

    # The report stays, and knows the draft has moved on; the audit log has the run.
    page.get_by_role("link", name="Backtest", exact=True).click()
    row = page.locator("table.backtests tbody tr").first
    expect(row).to_contain_text("done")
    expect(row).to_contain_text("3 → 4")
    shoot(page, "backtest-list")
    row.get_by_role("link").click()
    expect(page.locator(".decision")).to_contain_text("The draft has changed since this run")
    page.get_by_role("link", name="Audit log").click()
    expect(page.locator("table.audit > tbody > tr").nth(0)).to_contain_text("policy.publish")
    expect(page.locator("table.audit > tbody > tr").nth(1)).to_contain_text("backtest.run")


def test_a_file_that_is_not_a_mailbox_is_refused_on_the_page(open_page, console):
    base_url, _ = console
    page = open_page(base_url)
    page.goto("/admin/backtest")
    page.get_by_label("Mailbox file").set_input_files(
        files=[{"name": "notes.txt", "mimeType": "text/plain", "buffer": b"Dear diary,\n"}]
    )
    page.get_by_role("button", name="Upload and run").click()
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("This file is not a mailbox")
    expect(summary).to_be_focused()
