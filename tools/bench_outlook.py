"""`make bench`, Outlook part: the send handler's decision time and the task pane's polling cost.

Runs the real pages in Debian's headless Chromium (Playwright, as tests/browser does) against the
app served on 127.0.0.1 (dev mode, the built-in rules, a throw-away SQLite file), in a compose
window emulated by tests/support/office-standin.js, which answers the pages' request for the
Office.js URL.

- Send: p50/p95 from the handler's invocation (the person pressing Send) to its `event.completed`,
  for a reply-all the handler stops and for a clean reply it lets through. Target (issue 5):
  p95 ≤ 300 ms against a local server.
- Polling: /v1/lint requests per 1.5 s while the body changes every 100 ms (and the shortest gap
  between two), and while it stays the same. Target: at most one per 1.5 s while it changes,
  none while idle.

`python -m tools.bench_outlook` (or `--quick` for a smoke run); needs the dev extras and
/usr/bin/chromium (`make chromium`), or `$DRAFTLINT_CHROMIUM`.
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import os
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from werkzeug.serving import make_server

from server.app import create_app
from server.outlook.manifest import COMMANDS_PATH, SEND_HANDLER, TASKPANE_PATH

from .standins import SUPPORT, load

CHROMIUM = Path(os.environ.get("DRAFTLINT_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
]
OFFICE_JS_URL = "https://appsforoffice.microsoft.com/lib/1/hosted/office.js"
OFFICE_STANDIN = SUPPORT / "office-standin.js"
POLL_S = 1.5
SEND_P95_TARGET_MS = 300

outlook_items = load("outlook_items")  # the compose items of the browser tests
REPLY_ALL = outlook_items.reply("<div>OK with me</div>", size=8)
CLEAN_REPLY = outlook_items.reply(outlook_items.SUBSTANCE, size=8)
TYPE_FOR = """(ms) => new Promise((resolve) => {
  let n = 0;
  const typing = setInterval(() => {
    officeStandin.setBody(`<div>Tuesday works, but legal needs the afternoon ${n++}</div>`);
  }, 100);
  setTimeout(() => { clearInterval(typing); resolve(n); }, ms);
})"""


@contextmanager
def live_server() -> Iterator[str]:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    with tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / "bench.sqlite3"
        app = create_app({"DEV_MODE": True, "DATABASE_URL": f"sqlite:///{database}"})
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, name="bench-server", daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_port}"
        finally:
            server.shutdown()
            thread.join(timeout=5)


def open_compose(browser, base_url: str, path: str, item: dict):
    context = browser.new_context(base_url=base_url)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.add_init_script(f"window.__officeSetup = {json.dumps({'item': item})};")
    page.route(OFFICE_JS_URL, lambda route: route.fulfill(path=OFFICE_STANDIN))
    page.goto(path)
    page.wait_for_function("window.officeStandin !== undefined")
    return context, page, errors


def percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def send_latency(browser, base_url: str, label: str, item: dict, runs: int) -> float:
    context, page, errors = open_compose(browser, base_url, COMMANDS_PATH, item)
    try:
        run = f"officeStandin.run({json.dumps(SEND_HANDLER)})"
        for _ in range(5):  # warm up: connection, phrase lexicons, JIT
            page.evaluate(run)
        results = [page.evaluate(run) for _ in range(runs)]
    finally:
        context.close()
    if errors:
        raise SystemExit(f"script errors in {COMMANDS_PATH}: {errors}")
    decisions = {bool(result["options"]["allowEvent"]) for result in results}
    times = [result["ms"] for result in results]
    decision = {frozenset({True}): "allow", frozenset({False}): "stop"}.get(
        frozenset(decisions), "mixed"
    )
    p50, p95 = percentile(times, 50), percentile(times, 95)
    print(
        f"  {label:<34} {decision:<6} p50 {p50:6.1f} ms   p95 {p95:6.1f} ms   "
        f"max {max(times):6.1f} ms   (n={runs})"
    )
    return p95


def polling_cost(browser, base_url: str, seconds: float) -> tuple[float, float, float]:
    """Requests per 1.5 s while typing and while idle, and the shortest gap between two."""
    context, page, errors = open_compose(browser, base_url, TASKPANE_PATH, CLEAN_REPLY)
    lints: list[float] = []
    try:
        page.wait_for_selector("#clean:not([hidden])")
        page.on("request", lambda r: r.url.endswith("/v1/lint") and lints.append(time.monotonic()))
        page.wait_for_timeout(seconds * 1000)
        idle = len(lints)
        lints.clear()
        page.evaluate(TYPE_FOR, seconds * 1000)
        typing = list(lints)
    finally:
        context.close()
    if errors:
        raise SystemExit(f"script errors in {TASKPANE_PATH}: {errors}")
    windows = seconds / POLL_S
    shortest = min((b - a for a, b in itertools.pairwise(typing)), default=float("inf"))
    print(
        f"  while typing (body changes every 100 ms): {len(typing) / windows:.2f} requests per "
        f"1.5 s ({len(typing)} in {seconds:.0f} s; shortest gap {shortest:.2f} s)"
    )
    print(f"  while idle (nothing changes):             {idle / windows:.2f} requests per 1.5 s")
    return len(typing) / windows, idle / windows, shortest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.bench_outlook", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer runs, for a smoke run")
    args = parser.parse_args(argv)
    runs, seconds = (30, 6.0) if args.quick else (200, 15.0)

    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        raise SystemExit(f"no Chromium at {CHROMIUM}: run `make chromium`")
    with live_server() as base_url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            print("== Outlook send handler: Send pressed -> event.completed, local server ==")
            p95s = [
                send_latency(browser, base_url, "reply-all saying only OK", REPLY_ALL, runs),
                send_latency(browser, base_url, "reply with substance", CLEAN_REPLY, runs),
            ]
            met = max(p95s) <= SEND_P95_TARGET_MS
            print(f"  target p95 <= {SEND_P95_TARGET_MS} ms: " + _verdict(met))
            print("\n== Outlook task pane: /v1/lint requests ==")
            _, idle, shortest = polling_cost(browser, base_url, seconds)
            # 50 ms of slack: timers and request events are not exact to the millisecond.
            met = shortest >= POLL_S - 0.05 and idle == 0
            print("  target at most 1 per 1.5 s while typing, 0 while idle: " + _verdict(met))
        finally:
            browser.close()
    return 0


def _verdict(met: bool) -> str:
    return "met" if met else "MISSED"


if __name__ == "__main__":
    raise SystemExit(main())
