"""The playground of a production server: every lint needs an API key, typed into the page."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from server.app import create_app

KEY = "playground-key-0123456789abcdef"


@pytest.fixture(scope="module")
def base_url(serve, tmp_path_factory) -> Iterator[str]:
    """Overrides the dev-mode server of tests/browser/conftest.py for this module."""
    database = tmp_path_factory.mktemp("db") / "draftlint.sqlite"
    app = create_app({"DATABASE_URL": f"sqlite:///{database}", "API_KEYS": {KEY: "corp.example"}})
    with serve(app) as url:
        yield url


def test_a_refused_lint_leads_to_the_api_key_field(page):
    status = page.locator("#summary")
    expect(status).to_contain_text("Send an API key")
    expect(status).not_to_contain_text("above")
    page.get_by_role("button", name="Enter an API key").click()
    key = page.get_by_label("API key")
    expect(key).to_be_focused()
    expect(key).to_be_in_viewport()
    key.fill(KEY)
    page.get_by_role("button", name="Lint", exact=True).click()
    expect(status).to_contain_text("findings")


def test_a_large_audience_with_no_group_shows_no_empty_groups_row(page):
    page.get_by_label("API key").fill(KEY)
    people = ", ".join(f"p{n}@corp.example" for n in range(30))
    page.get_by_label("Cc", exact=True).fill(people)
    page.get_by_role("button", name="Lint", exact=True).click()
    finding = page.locator(".finding", has_text="This message goes to")
    expect(finding).to_contain_text("Why it fired")
    expect(finding.locator("dt", has_text="Groups")).to_have_count(0)
