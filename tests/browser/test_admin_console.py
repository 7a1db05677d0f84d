"""The admin console in a real headless Chromium: dev mode signs in as the owner of "local".

One flow through the policy lifecycle (change a threshold, see the preview change, publish, roll
back, find the audit entries), the statistics page over counters seeded through the store, and
keyboard use of the error summary. The app runs on its own database here (not the playground's
live server) so the tests can seed it and see only their own versions. Set
`DRAFTLINT_SCREENSHOTS=<folder>` to keep a screenshot of each page for a look at the design.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from server import store
from server.app import create_app
from server.engine import current_storage

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
expect = sync_api.expect

THRESHOLD = "#f-rules--large-audience--threshold"
CC = ", ".join(f"p{n}@corp.example" for n in range(21))  # with To: 22 people, under 25


@pytest.fixture(scope="module")
def console(serve, tmp_path_factory):
    """A dev-mode app of its own, served on loopback: (base url, app)."""
    database = tmp_path_factory.mktemp("admin-db") / "draftlint.sqlite"
    app = create_app({"DEV_MODE": True, "DATABASE_URL": f"sqlite:///{database}"})
    with serve(app) as url:
        yield url, app


@pytest.fixture
def admin(open_page, console):
    """A page signed in as the dev-mode owner (tests/browser/conftest.py watches it)."""
    base_url, _ = console
    page = open_page(base_url)
    page.on("dialog", lambda dialog: dialog.accept())  # "leave with unsaved changes?"
    return page


def shoot(page, name: str) -> None:
    folder = os.environ.get("DRAFTLINT_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def in_store(app, fn):
    with app.app_context(), current_storage().sessions.begin() as session:
        return fn(session, store.get_org(session, "local"))


def save_threshold(page, value: str) -> None:
    page.goto("/admin/policy")
    page.locator(THRESHOLD).fill(value)
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("status").filter(has_text="Saved the draft")).to_be_visible()


def publish(page, comment: str) -> None:
    page.get_by_label("Comment").fill(comment)
    page.get_by_role("button", name=re.compile(r"^Publish")).click()
    expect(page.get_by_role("status").filter(has_text="Published version")).to_be_visible()


def test_change_a_threshold_preview_publish_roll_back_and_audit(admin, console):
    page = admin
    # The defaults, published as the starting point.
    page.goto("/admin/publish")
    expect(page.get_by_role("heading", level=1)).to_have_text("Publish the draft")
    publish(page, "Start from the defaults")
    first = int(page.locator("table.versions tbody tr").first.locator("th").inner_text().split()[0])

    # Change large-audience's threshold from 25 to 20.
    save_threshold(page, "20")
    expect(page.locator(THRESHOLD)).to_have_value("20")
    expect(page.get_by_text("1 setting differs")).to_be_visible()
    shoot(page, "policy")

    # A reply-all to 22 people: only the draft policy flags its audience.
    page.get_by_role("link", name="Preview", exact=True).first.click()
    page.get_by_label("To", exact=True).fill("boss@corp.example")
    page.get_by_label("Cc", exact=True).fill(CC)
    page.get_by_label("Subject").fill("Re: Offsite")
    page.get_by_label("Message").fill("OK with me")
    page.get_by_role("button", name="Check under both policies").click()
    results = page.locator("#preview-results")
    expect(results).to_have_attribute("aria-live", "polite")
    difference = results.locator(".difference")
    expect(difference).to_have_count(1)
    expect(difference).to_contain_text("large-audience appears under the draft (hint)")
    expect(results.locator(".side-by-side > div").nth(0)).to_contain_text("large-audience")
    expect(results.locator(".side-by-side > div").nth(1)).not_to_contain_text("large-audience")
    expect(page.get_by_label("Message")).to_have_value("OK with me")  # kept for the next try
    shoot(page, "preview")

    # Publish from the preview: the diff first, then the comment.
    results.get_by_role("link", name="Publish the draft…").click()
    diff = page.locator("table.diff tbody tr")
    expect(diff).to_have_count(1)
    expect(diff).to_contain_text("rules › large-audience › threshold")
    shoot(page, "publish")
    publish(page, "Hint from 20 people")
    expect(page.locator("table.versions tbody tr").first).to_contain_text("Hint from 20 people")

    # The same mail under the published policy now has the finding on both sides.
    page.goto("/admin/preview")
    page.get_by_label("To", exact=True).fill("boss@corp.example")
    page.get_by_label("Cc", exact=True).fill(CC)
    page.get_by_label("Message").fill("OK with me")
    page.get_by_role("button", name="Check under both policies").click()
    expect(page.locator("#preview-results")).to_contain_text("No difference")

    # Roll back to the defaults.
    page.goto("/admin/history")
    shoot(page, "history")
    page.get_by_role("link", name=f"Roll back to this version ({first})").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Roll back to version {first}")
    expect(page.locator("table.diff").first).to_contain_text("threshold")
    page.get_by_label("Comment").fill("Too noisy")
    shoot(page, "rollback")
    page.get_by_role("button", name=f"Roll back to version {first}").click()
    expect(page.get_by_role("status").filter(has_text="Rolled back")).to_be_visible()
    newest = page.locator("table.versions tbody tr").first
    expect(newest).to_contain_text(f"restores version {first}")
    expect(newest).to_contain_text("Too noisy")
    page.goto("/admin/policy")
    expect(page.locator(THRESHOLD)).to_have_value("")  # the draft is the defaults again

    # Any two versions compared.
    page.goto("/admin/history")
    page.get_by_label("From").select_option(str(first))
    page.get_by_label("to", exact=True).select_option(str(first + 1))
    page.get_by_role("button", name="Compare").click()
    expect(page.locator("#comparison table.diff tbody tr")).to_contain_text("20")

    # Every step is in the audit log.
    page.get_by_role("link", name="Audit log").click()
    rows = page.locator("table.audit > tbody > tr")
    expect(rows.nth(0)).to_contain_text("policy.rollback")
    expect(rows.nth(0)).to_contain_text("admin@local")
    expect(rows.nth(1)).to_contain_text("policy.publish")
    expect(rows.nth(2)).to_contain_text("policy.draft.save")
    rows.nth(2).get_by_text("1 setting changed").click()
    expect(rows.nth(2).locator("table.diff")).to_contain_text("threshold")
    shoot(page, "audit")


def test_errors_are_summarised_and_linked_to_their_fields(admin):
    page = admin
    page.goto("/admin/policy")
    page.locator(THRESHOLD).fill("1")
    page.get_by_role("button", name="Save draft").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()  # keyboard and screen-reader users land on it
    expect(summary).to_contain_text("greater than or equal to 2")
    shoot(page, "policy-error")
    page.keyboard.press("Tab")
    expect(summary.get_by_role("link").first).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(THRESHOLD)).to_be_focused()
    expect(page.locator(THRESHOLD)).to_have_value("1")
    expect(page.locator(THRESHOLD)).to_have_attribute("aria-invalid", "true")


def test_the_statistics_page_draws_the_counters(admin, console):
    page = admin
    _, app = console
    today = datetime.now(UTC).date()

    def seed(session, org):
        events = []
        for days in range(10):
            day = today - timedelta(days=days)
            events += [
                (day, "content-free-reply-all", "warning", "shown", 4 + days % 3),
                (day, "large-audience", "hint", "shown", 1 + days % 2),
            ]
        events += [
            (today, "content-free-reply-all", "warning", "changed_recipients", 12),
            (today, "content-free-reply-all", "warning", "sent_anyway", 6),
            (today, "large-audience", "hint", "dismissed", 3),
        ]
        store.record_events(session, org, events)

    in_store(app, seed)
    page.goto("/admin/stats")
    chart = page.get_by_role("img", name=re.compile("Findings shown per day"))
    expect(chart).to_be_visible()
    legend = page.get_by_role("list", name="Legend").first
    expect(legend).to_contain_text("content-free-reply-all")
    expect(legend).to_contain_text("large-audience")
    page.get_by_text("The numbers as a table").click()
    table = page.get_by_role("table", name="Findings shown per day and rule")
    expect(table).to_be_visible()
    expect(table.locator("tfoot")).to_contain_text("Total")
    outcomes = page.get_by_role("table", name=re.compile("What people did"))
    row = outcomes.get_by_role("row", name=re.compile("content-free-reply-all"))
    expect(row).to_contain_text("12")
    shoot(page, "stats")

    # A range with nothing in it: the empty state.
    page.get_by_label("From", exact=True).fill("2020-01-01")
    page.get_by_label("to", exact=True).fill("2020-01-31")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_text("No findings were reported in this period.")).to_be_visible()


def test_sign_out_everywhere_signs_out_every_browser(open_page, serve, tmp_path):
    """Not dev mode: two browsers signed in as one admin through one-time links; "Sign out
    everywhere" on the "Your session" page of one signs both out."""
    database = tmp_path / "sessions.sqlite"
    app = create_app({"SECRET_KEY": "browser-test-key", "DATABASE_URL": f"sqlite:///{database}"})
    store.upgrade(f"sqlite:///{database}")
    with app.app_context(), current_storage().sessions.begin() as session:
        org = store.create_org(session, "corp.example", "Corp", actor="test")
        store.add_admin(session, org, "olga@corp.example", "editor", actor="test")
        tokens = [
            store.issue_sign_in_token(session, org, "olga@corp.example", actor="test")
            for _ in range(2)
        ]
    with serve(app) as base_url:
        laptop, phone = (open_page(base_url) for _ in range(2))
        for browser, token in zip((laptop, phone), tokens, strict=True):
            browser.goto(f"/admin/sign-in/{token}")
            browser.get_by_role("button", name="Sign in", exact=True).click()
            expect(browser.locator(".who-email")).to_contain_text("olga@corp.example (editor)")

        laptop.get_by_role("link", name="Your session").click()
        expect(laptop.get_by_role("heading", level=1)).to_have_text("Your session")
        expect(laptop.locator("main")).to_contain_text("on 2 browsers")
        shoot(laptop, "session")
        laptop.get_by_role("button", name="Sign out everywhere").click()
        expect(laptop.get_by_role("heading", level=1)).to_have_text("Sign in to the admin console")

        phone.goto("/admin/policy")
        expect(phone.get_by_role("heading", level=1)).to_have_text("Sign in to the admin console")
