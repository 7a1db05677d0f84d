"""The playground in a real headless Chromium, against the real app.

The app (dev mode, the built-in rules, a throw-away SQLite file) is served by werkzeug on
127.0.0.1 and a free port in a background thread; Playwright drives Debian's Chromium, never a
browser of its own (`make test` installs the `chromium` package when it is missing). Where
Playwright or Chromium is missing the tests are skipped, except on CI, where that fails them.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
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
OFFICE_JS_URL = "https://appsforoffice.microsoft.com/lib/1/hosted/office.js"
OFFICE_STANDIN = Path(__file__).parents[1] / "support" / "office-standin.js"


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI must run the browser tests; see `make chromium`)")
    pytest.skip(reason)


@contextmanager
def live_server(app) -> Iterator[str]:
    """`app` served on a free loopback port in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def serve():
    """`serve(app)`: a context manager serving `app` live (see `live_server`), for modules that
    override `base_url` with an app of their own."""
    return live_server


@pytest.fixture(scope="session")
def live_app(tmp_path_factory):
    """The dev-mode app the session's pages are served from; a test may change its config for
    its own run with `monkeypatch.setitem(live_app.config, ...)`."""
    database = tmp_path_factory.mktemp("db") / "draftlint.sqlite"
    return create_app({"DEV_MODE": True, "DATABASE_URL": f"sqlite:///{database}"})


@pytest.fixture(scope="session")
def base_url(live_app) -> Iterator[str]:
    with live_server(live_app) as url:
        yield url


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
    """open_page(base_url, missing_is_problem=False, server_errors_expected=False,
    **context_options): a fresh browser context and page that fail the test, at its end, on a
    script error, a CSP violation or a server error (and, with `missing_is_problem`, on a GET
    answered 404). Expected 4xx answers — a form's 422, a refusal's 403 — are not problems, nor
    are 5xx answers a test makes on purpose (`server_errors_expected`)."""
    opened = []

    def open_(
        base_url: str,
        *,
        missing_is_problem: bool = False,
        server_errors_expected: bool = False,
        **context_options,
    ):
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
            server_error = response.status >= 500 and not server_errors_expected
            if server_error or (missing_is_problem and missing):
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
def open_outlook(open_page, base_url):
    """open_outlook(path, item=None, token=None, requirement_sets=None, naa=None, routes=None,
    **open_page options): an Outlook add-in page of the live app, 320 px wide like a task pane,
    in a compose window emulated by tests/support/office-standin.js, which answers the page's
    request for Microsoft's real Office.js URL. `item` overrides the stand-in's compose item
    (body, to, cc, bcc, composeType, ...); `token` is what Office.auth.getAccessToken gives
    (none: it fails); `naa` ({token, silent}) adds the host's nested-app-auth bridge; `routes`
    maps URL globs to Playwright route handlers installed before the page loads."""

    def open_(
        path, *, item=None, token=None, requirement_sets=None, naa=None, routes=None, **options
    ):
        page = open_page(base_url, missing_is_problem=True, **options)
        page.set_viewport_size({"width": 320, "height": 720})
        setup = {"item": item or {}, "token": token, "naa": naa}
        if requirement_sets is not None:
            setup["requirementSets"] = requirement_sets
        page.add_init_script(f"window.__officeSetup = {json.dumps(setup)};")
        page.route(OFFICE_JS_URL, lambda route: route.fulfill(path=OFFICE_STANDIN))
        for pattern, handler in (routes or {}).items():
            page.route(pattern, handler)
        page.goto(path)
        page.wait_for_function("window.officeStandin !== undefined")
        return page

    return open_


@pytest.fixture
def eml_sample() -> Path:
    return SAMPLES / "thanks_all.eml"
