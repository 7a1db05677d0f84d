"""The playground in a real headless Chromium, against the real app.

The app (dev mode, the built-in rules, a throw-away SQLite file) is served by werkzeug on
127.0.0.1 and a free port in a background thread; Playwright drives Debian's Chromium, never a
browser of its own (`make test` installs the `chromium` package when it is missing). Where
Playwright or Chromium is missing the tests are skipped, except on CI, where that fails them.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from server.app import create_app

CHROMIUM = Path(os.environ.get("DRAFTLINT_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
SAMPLES = Path(__file__).parent / "samples"
TIMEOUT_MS = 10_000


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI must run the browser tests; see `make chromium`)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def base_url(tmp_path_factory) -> Iterator[str]:
    database = tmp_path_factory.mktemp("db") / "draftlint.sqlite"
    app = create_app({"DEV_MODE": True, "DATABASE_URL": f"sqlite:///{database}"})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser():
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install -e '.[dev]')")
    if not CHROMIUM.exists():
        _unavailable(f"no Chromium at {CHROMIUM} (make chromium)")
    expect.set_options(timeout=TIMEOUT_MS)  # a cold first lint loads the phrase lexicons
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def open_page(browser):
    """open_page(base_url, missing_is_problem=False, **context_options): a fresh browser context
    and page that fail the test, at its end, on a script error, a CSP violation or a server error
    (and, with `missing_is_problem`, on a GET answered 404). Expected 4xx answers — a form's 422,
    a refusal's 403 — are not problems."""
    opened = []

    def open_(base_url: str, *, missing_is_problem: bool = False, **context_options):
        context = browser.new_context(
            viewport={"width": 1280, "height": 900}, base_url=base_url, **context_options
        )
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        problems: list[str] = []
        page.on("pageerror", lambda error: problems.append(f"script error: {error}"))

        def on_console(message):
            if message.type == "error" and not message.text.startswith("Failed to load resource"):
                problems.append(f"console: {message.text}")

        def on_response(response):
            missing = response.status == 404 and response.request.method == "GET"
            if response.status >= 500 or (missing_is_problem and missing):
                problems.append(f"{response.status} for {response.request.method} {response.url}")

        page.on("console", on_console)
        page.on("response", on_response)
        opened.append((context, problems))
        return page

    yield open_
    for context, problems in opened:
        context.close()
        assert not problems, problems


@pytest.fixture
def page(open_page, base_url):
    """A fresh page at the playground, where a missing page or asset is a problem too."""
    page = open_page(base_url, missing_is_problem=True)
    page.goto("/")
    return page


@pytest.fixture
def eml_sample() -> Path:
    return SAMPLES / "thanks_all.eml"
