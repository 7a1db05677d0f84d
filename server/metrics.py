"""Prometheus metrics, served at `/metrics` (prometheus-client).

What is counted, and under which labels:

- `draftlint_http_requests_total{surface, status}` and
  `draftlint_http_request_duration_seconds{surface}` (a histogram): every request, timed from
  `_start_timer` to `_log_access` (server/app.py). `status` is the class: 2xx, 4xx, ...
- `draftlint_lints_total{surface}`, `draftlint_lint_duration_seconds{surface}` (the core's own
  time, `Report.elapsed_ms`), `draftlint_findings_total{surface, rule, severity}` and
  `draftlint_rule_failures_total{surface, rule}`: each lint of /v1/lint and the Gmail compose
  action. The Outlook task pane re-lints while the draft changes, so a finding is counted once
  per lint that found it, not once per mail.
- `draftlint_events_total{surface, rule, severity, outcome}`: the outcomes clients report to
  /v1/events (shown, changed_recipients, edited, sent_anyway, dismissed: the send decisions),
  added when they were recorded.
- `draftlint_lookup_failures_total{surface, kind, reason}`: look-ups a lint wanted and did without.
  Outlook (server/outlook/enrich.py): `token` (the on-behalf-of exchange), `group` (a list's
  directory count), `mailtips`, `message` (the replied-to message); Gmail: `draft` (the saved
  draft, full mode) and `group` (the Directory). `reason`: `error` (an answer we cannot use, or
  a call not made because the budget was spent), `unreachable` (no answer: an outage), `late`
  (the lint stopped waiting when its look-up budget ended).
- `draftlint_cache_requests_total{cache, result}`: `policy` (server/store/cache.py: answered from
  memory, or the database asked), `outlook-groups` and `outlook-messages` (enrich.py); `result`
  hit or miss.

Every label value comes from a closed set: a surface (api | outlook | gmail | admin | other, from
the route and the caller's identity method), a rule id of the loaded registry (a plugin's
included; anything else is `other`), a severity, an outcome, a look-up kind, a cache name. No
label ever holds a word of a draft, an address, a subject, a thread id, a tenant or a user; nor an
organisation: a slug is a customer's domain name, an identifier, and metrics go to monitoring
systems that everyone running the service reads and that keep them for long. Per-organisation
counts are the admin console's statistics, which only that organisation's admins see.

Under gunicorn (`draftlint serve`, deploy/gunicorn.conf.py) each worker is a process of its own:
prometheus-client's multiprocess mode, in which every process writes its values to files in
`$PROMETHEUS_MULTIPROC_DIR` and `/metrics` adds up the files of all of them, whichever worker
answers the scrape. That variable must be set before prometheus_client is first imported, so
server/gunicorn_server.py sets it (a fresh temporary folder unless the operator chose one, emptied
at start) before the app is imported, and tells prometheus-client when a worker exits. Without
it (dev mode, tests, one process) the values live in this process's default registry. Counters
of a worker that exited stay in the sum.

Counting never fails what is counted: a value that cannot be written (its folder gone or full)
is logged once and the request goes on (`_fail_open`).

Access (`scrape`): with `METRICS_TOKEN` set, `Authorization: Bearer <token>`; in dev mode, from
this machine. Otherwise `/metrics` is off (404). A client address alone proves nothing here: a
reverse proxy on the same host makes every caller look local. Not rate-limited
(server/limits.py limits only /v1, /gmail and admin sign-in).
"""

from __future__ import annotations

import functools
import hmac
import logging
import os
from collections.abc import Callable, Iterable
from typing import ParamSpec

from flask import Blueprint, Flask, Response, current_app, g, request
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    values,
)
from prometheus_client.exposition import choose_encoder
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import Unauthorized

from linters import Report, Severity

from .config import bearer_secret

log = logging.getLogger(__name__)
P = ParamSpec("P")

EXTENSION = "draftlint.metrics"
MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"  # prometheus-client's own variable
PATH = "/metrics"

OTHER = "other"
SURFACES = frozenset({"api", "outlook", "gmail", "admin", OTHER})
SEVERITIES = frozenset(s.value for s in Severity)
OUTCOMES = frozenset({"shown", "changed_recipients", "edited", "sent_anyway", "dismissed"})
LOOKUP_KINDS = frozenset({"token", "group", "mailtips", "message", "draft"})
LOOKUP_REASONS = frozenset({"error", "unreachable", "late"})
CACHES = frozenset({"policy", "outlook-groups", "outlook-messages"})

# No `_created` series: multiprocess mode has none, and the one-process output should match it.
disable_created_metrics()

# A lint request answers in milliseconds; Graph look-ups may take up to their 1.5 s budget and
# Outlook lets a send go after 3 s.
REQUEST_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 1.5, 2.5, 5, 10)
# The core: well under a millisecond for a typical reply, tens of ms for a 1 MB thread.
LINT_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25)

REQUESTS = Counter(
    "draftlint_http_requests",
    "Requests answered, by surface and status class.",
    ["surface", "status"],
)
REQUEST_SECONDS = Histogram(
    "draftlint_http_request_duration_seconds",
    "Time to answer a request, by surface.",
    ["surface"],
    buckets=REQUEST_BUCKETS,
)
LINTS = Counter("draftlint_lints", "Drafts linted, by surface.", ["surface"])
LINT_SECONDS = Histogram(
    "draftlint_lint_duration_seconds",
    "Time the lint core took for a draft, by surface.",
    ["surface"],
    buckets=LINT_BUCKETS,
)
FINDINGS = Counter(
    "draftlint_findings",
    "Findings reported, by surface, rule and severity (after policy).",
    ["surface", "rule", "severity"],
)
RULE_FAILURES = Counter(
    "draftlint_rule_failures",
    "Rules that raised on a draft and were skipped.",
    ["surface", "rule"],
)
EVENTS = Counter(
    "draftlint_events",
    "Outcomes reported to /v1/events and recorded, by rule and outcome.",
    ["surface", "rule", "severity", "outcome"],
)
LOOKUP_FAILURES = Counter(
    "draftlint_lookup_failures",
    "Look-ups a lint did without, by kind and reason.",
    ["surface", "kind", "reason"],
)
CACHE_REQUESTS = Counter(
    "draftlint_cache_requests", "Cache look-ups, by cache and hit or miss.", ["cache", "result"]
)


def _closed(value: object, allowed: Iterable[str]) -> str:
    return value if isinstance(value, str) and value in allowed else OTHER


_failed: list[str] = []  # the error that stopped counting, logged once per process


def _fail_open(count: Callable[P, None]) -> Callable[P, None]:
    """Counting never fails what is counted: a metric that cannot be written (its folder gone
    or full) is logged once, by its type, and the request goes on."""

    @functools.wraps(count)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            count(*args, **kwargs)
        except Exception as error:
            if not _failed:
                _failed.append(type(error).__name__)
                log.warning("Metrics could not be counted (%s); carrying on.", _failed[0])

    return guarded


# --- what the app counts -----------------------------------------------------------------------


def surface() -> str:
    """Which surface the current request is: by blueprint, and on /v1 by how the caller signed
    in (an Entra token is the Outlook add-in)."""
    blueprint = request.blueprint or ""
    if blueprint == "v1":
        identity = g.get("identity")
        return "outlook" if getattr(identity, "method", None) == "entra" else "api"
    if blueprint in ("gmail", "outlook"):
        return blueprint
    if blueprint.startswith("admin"):  # admin_api (/v1/admin), admin_pages, admin_auth
        return "admin"
    return OTHER


def observe_request(status: int, seconds: float) -> str:
    """Count and time the current request; returns its surface (for the access log)."""
    where = surface()
    _observe_request(where, f"{status // 100}xx" if 100 <= status < 600 else OTHER, seconds)
    return where


@_fail_open
def _observe_request(where: str, status: str, seconds: float) -> None:
    REQUESTS.labels(where, status).inc()
    REQUEST_SECONDS.labels(where).observe(seconds)


@_fail_open
def count_lint(report: Report, where: str | None = None) -> None:
    """Count one lint of the current request: its findings by rule and severity."""
    where = _closed(where or surface(), SURFACES)
    rules = _rule_ids()
    LINTS.labels(where).inc()
    LINT_SECONDS.labels(where).observe(report.elapsed_ms / 1000)
    for finding in report.findings:
        severity = _closed(getattr(finding.severity, "value", None), SEVERITIES)
        FINDINGS.labels(where, _closed(finding.rule, rules), severity).inc()
    for rule in report.failed_rules:
        RULE_FAILURES.labels(where, _closed(rule, rules)).inc()


@_fail_open
def count_events(events: Iterable[tuple]) -> None:
    """Add recorded /v1/events entries: (day, rule, severity, outcome, count) each."""
    where = _closed(surface(), SURFACES)
    rules = _rule_ids()
    for _day, rule, severity, outcome, count in events:
        EVENTS.labels(
            where, _closed(rule, rules), _closed(severity, SEVERITIES), _closed(outcome, OUTCOMES)
        ).inc(count)


@_fail_open
def lookup_failed(where: str, kind: str, reason: str = "error") -> None:
    """A look-up the lint did without (see the module doc for kinds and reasons)."""
    LOOKUP_FAILURES.labels(
        _closed(where, SURFACES), _closed(kind, LOOKUP_KINDS), _closed(reason, LOOKUP_REASONS)
    ).inc()


@_fail_open
def cache_lookup(cache: str, hit: bool) -> None:
    CACHE_REQUESTS.labels(_closed(cache, CACHES), "hit" if hit else "miss").inc()


def _rule_ids():
    from .engine import EXTENSION as ENGINE  # not at the top: server/store imports this module

    engine = current_app.extensions.get(ENGINE)
    return engine.registry if engine is not None else ()


# --- /metrics ------------------------------------------------------------------------------------

metrics = Blueprint("metrics", __name__)


def init_app(app: Flask) -> None:
    """Check `METRICS_TOKEN`, choose the registry to expose, register /metrics."""
    token = app.config.get("METRICS_TOKEN") or None
    if token is not None:
        try:
            app.config["METRICS_TOKEN"] = bearer_secret(token)
        except ValueError as error:
            raise ValueError(f"METRICS_TOKEN: {error}") from None
    app.extensions[EXTENSION] = _registry()
    app.register_blueprint(metrics)


def multiprocess() -> bool:
    """Whether this process writes its values to files for /metrics to add up."""
    return bool(getattr(values.ValueClass, "_multiprocess", False))


def _registry() -> CollectorRegistry:
    path = os.environ.get(MULTIPROC_DIR)
    if not path:
        return REGISTRY
    if not multiprocess():
        # prometheus_client was imported before the variable was set: each worker would count
        # for itself and a scrape would see one of them.
        log.warning(
            "$%s is set, but metrics were set up before it: /metrics shows this process only.",
            MULTIPROC_DIR,
        )
        return REGISTRY
    from prometheus_client.multiprocess import MultiProcessCollector

    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=path)
    return registry


@metrics.get(PATH)
def scrape():
    """The metrics in Prometheus' text format (OpenMetrics when the scraper asks for it)."""
    _authorise()
    encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
    response = Response(encoder(current_app.extensions[EXTENSION]), status=200)
    response.headers["Content-Type"] = content_type
    response.headers["Cache-Control"] = "no-store"
    return response


def _authorise() -> None:
    from .identity import dev_request  # not at the top: server/store imports this module
    from .problems import http_error

    token = current_app.config.get("METRICS_TOKEN")
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if token and scheme.lower() == "bearer":
        if hmac.compare_digest(given.strip().encode(), token.encode()):
            return
    elif dev_request():
        return
    if not token:
        raise http_error(404, "Metrics are off on this server: set DRAFTLINT_METRICS_TOKEN.")
    raise Unauthorized(
        "Send the metrics token as 'Authorization: Bearer <token>'.",
        www_authenticate=WWWAuthenticate("bearer", {"realm": "draftlint-metrics"}),
    )
