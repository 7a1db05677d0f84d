"""/metrics (server/metrics.py): what is counted and under which labels, who may read it, that no
label ever holds a word of a draft or an address, gunicorn's workers added up in one scrape
(multiprocess mode), and the JSON log format (server/logs.py)."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from flask import g
from prometheus_client.mmap_dict import MmapedDict
from prometheus_client.parser import text_string_to_metric_families

from linters import Finding, Severity
from linters.registry import Registry, Rule
from linters.schema import load_draft
from server import metrics, store
from server.app import create_app
from server.cli import main
from server.config import from_environment
from server.engine import EXTENSION as ENGINE
from server.gunicorn_server import (
    MULTIPROC_DIR,
    GunicornServer,
    metrics_folder,
    remove_metrics_folder,
)
from server.identity import Identity
from server.logs import JSONFormatter
from server.outlook.enrich import Enricher
from server.outlook.graph import GraphUnavailable
from server.outlook.settings import OutlookSettings

API_KEY = "metrics-test-key-0123456789"
TOKEN = "metrics-token-0123456789abcdef"
RULE = "test-says-word"  # the test registry's rule (tests/conftest.py), a warning
TRIPS = {
    "compose_type": "reply_all",
    "to": [{"email": "a@x.example"}, {"email": "b@x.example"}, {"email": "c@x.example"}],
    "body": {"content": "OK"},
}

# Strings of a draft that must never reach a metric (or a log line's fields).
CANARIES = (
    "zqcanarysubject",
    "zqcanarybody",
    "zqcanarybox",
    "zqcanaryname",
    "zqcanarythread",
    "zqcanaryfile",
    "zqcanarymsgid",
)
CANARY_DRAFT = {
    "client": "outlook",
    "compose_type": "reply_all",
    "subject": "Re: zqcanarysubject plans",
    "from": {"email": "zqcanarybox.from@corp.example", "name": "zqcanaryname Sender"},
    "to": [
        {"email": "zqcanarybox.one@corp.example", "name": "zqcanaryname One"},
        {"email": "zqcanarybox.two@corp.example"},
    ],
    "cc": [{"email": "zqcanarybox-list@corp.example", "type": "group", "member_count": 40}],
    "body": {"content": "<div>OK zqcanarybody</div>", "type": "html"},
    "attachments": [{"name": "zqcanaryfile.pdf", "size": 10}],
    "in_reply_to": {
        "from": {"email": "zqcanarybox.boss@corp.example"},
        "subject": "zqcanarysubject plans",
        "message_id": "<zqcanarymsgid@corp.example>",
    },
    "thread_id": "zqcanarythread",
}


def scrape(client, **headers) -> dict[tuple[str, frozenset], float]:
    """The samples of a scrape: (name, labels) -> value."""
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return parse(response.get_data(as_text=True))


def parse(text: str) -> dict[tuple[str, frozenset], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples, name: str, **labels) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def delta(before, after, name: str, **labels) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


# --- what is counted ---------------------------------------------------------------------------


def test_lints_are_counted_per_rule_and_severity_with_the_lint_time(client):
    before = scrape(client)
    for _ in range(2):
        assert client.post("/v1/lint", json=TRIPS).status_code == 200
    assert client.post("/v1/lint", json={**TRIPS, "body": {"content": "Fine."}}).status_code == 200
    after = scrape(client)

    assert delta(before, after, "draftlint_lints_total", surface="api") == 3
    findings = "draftlint_findings_total"
    assert delta(before, after, findings, surface="api", rule=RULE, severity="warning") == 2
    assert delta(before, after, "draftlint_lint_duration_seconds_count", surface="api") == 3
    # The policy is read from the database once, then from memory (refreshed every 2 s).
    hits = delta(before, after, "draftlint_cache_requests_total", cache="policy", result="hit")
    assert hits >= 1


def test_findings_count_at_the_severity_the_policy_gives(registry, sqlite_url):
    """Findings are counted after the policy: an organisation that made the rule a hint counts
    hints (and its name is no label)."""
    config = {"TESTING": True, "DATABASE_URL": sqlite_url, "API_KEYS": {API_KEY: "corp.example"}}
    app = create_app({**config, "METRICS_TOKEN": TOKEN}, registry=registry)
    sessions = app.extensions["draftlint.storage"].sessions
    with sessions.begin() as db:
        org = store.create_org(db, "corp.example", "Corp", actor="setup")
        draft = store.get_draft(db, org)
        policy = {"rules": {RULE: {"severity": "hint"}}}
        store.save_draft(db, org, policy, if_match=draft.etag, actor="setup", registry=registry)
    with sessions.begin() as db:
        org = store.get_org(db, "corp.example")
        etag = store.get_draft(db, org).etag
        store.publish(db, org, if_match=etag, actor="setup", registry=registry)
    client = app.test_client()
    authorised = {"Authorization": f"Bearer {TOKEN}"}
    before = scrape(client, **authorised)
    headers = {"Authorization": f"Bearer {API_KEY}"}
    assert client.post("/v1/lint", json=TRIPS, headers=headers).get_json()["findings"]
    text = client.get("/metrics", headers=authorised).get_data(as_text=True)
    after = parse(text)

    findings = "draftlint_findings_total"
    assert delta(before, after, findings, surface="api", rule=RULE, severity="hint") == 1
    assert delta(before, after, findings, surface="api", rule=RULE, severity="warning") == 0
    assert "corp.example" not in text and "Corp" not in text


def test_requests_are_timed_per_surface(client):
    before = scrape(client)
    client.post("/v1/lint", json=TRIPS)
    client.get("/healthz")
    client.get("/admin/sign-in")
    client.get("/outlook/taskpane.html")
    event = {"gmail": {"toRecipients": ["a@x.example", "b@x.example"], "threadId": "t-1"}}
    assert client.post("/gmail/compose", json=event).status_code == 200
    after = scrape(client)

    histogram = "draftlint_http_request_duration_seconds_count"
    for where in ("api", "other", "admin", "outlook", "gmail"):
        assert delta(before, after, histogram, surface=where) >= 1, where
    assert delta(before, after, "draftlint_http_requests_total", surface="api", status="2xx") == 1
    assert delta(before, after, "draftlint_lints_total", surface="gmail") == 1
    # Buckets: a request of ~1 ms lies below the 10 s bucket, which holds them all.
    assert value(after, "draftlint_http_request_duration_seconds_bucket", surface="api", le="10.0")


def test_an_entra_caller_on_v1_is_the_outlook_surface(dev_app):
    with dev_app.test_request_context("/v1/lint", method="POST"):
        assert metrics.surface() == "api"
        g.identity = Identity(org="corp.example", method="entra", tenant="t")
        assert metrics.surface() == "outlook"
        g.identity = Identity(org="corp.example", method="api-key")
        assert metrics.surface() == "api"
    with dev_app.test_request_context("/v1/admin/session"):
        assert metrics.surface() == "admin"


def test_event_outcomes_are_counted_once_recorded(client):
    before = scrape(client)
    events = [
        {"rule": RULE, "severity": "warning", "outcome": "sent_anyway", "count": 3},
        {"rule": RULE, "severity": "warning", "outcome": "edited"},
    ]
    assert client.post("/v1/events", json={"events": events}).status_code == 200
    refused = [{"rule": "no-such-rule", "severity": "warning", "outcome": "dismissed"}]
    assert client.post("/v1/events", json={"events": refused}).status_code == 422
    after = scrape(client)

    name = "draftlint_events_total"
    common = {"surface": "api", "rule": RULE, "severity": "warning"}
    assert delta(before, after, name, outcome="sent_anyway", **common) == 3
    assert delta(before, after, name, outcome="edited", **common) == 1
    assert not any(key[0] == name and ("rule", "no-such-rule") in key[1] for key in after)


# --- no draft in a label -----------------------------------------------------------------------


class LeakyRule(Rule):
    """A plugin that puts what it read where its id should be: its findings are counted under
    `other`, never under that text."""

    id = "leaky"
    summary = "Names a recipient as its rule."
    default_severity = Severity.HINT

    def check(self, ctx, options):
        yield Finding(rule=ctx.draft.to[0].email, severity=Severity.HINT, message="x")


ALLOWED_LABELS = {
    "surface": metrics.SURFACES,
    "severity": metrics.SEVERITIES,
    "outcome": metrics.OUTCOMES,
    "kind": metrics.LOOKUP_KINDS,
    "reason": metrics.LOOKUP_REASONS,
    "cache": metrics.CACHES,
    "result": {"hit", "miss"},
    "status": {"1xx", "2xx", "3xx", "4xx", "5xx", "other"},
}


def test_no_label_holds_a_word_of_the_draft_or_an_address(caplog):
    leaky = Registry({LeakyRule.id: LeakyRule()})
    for rules in (None, leaky):  # the built-in rules, then the leaky plugin
        app = create_app({"DEV_MODE": True, "TESTING": True}, registry=rules)
        client = app.test_client()
        rule_ids = {rule.id for rule in app.extensions[ENGINE].registry} | {"other"}
        before = scrape(client)
        with caplog.at_level(logging.INFO):
            response = client.post("/v1/lint", json=CANARY_DRAFT)
            assert response.status_code == 200
            assert client.post("/v1/parse", json=CANARY_DRAFT).status_code == 200
        assert response.get_json()["findings"]  # something was counted
        text = client.get("/metrics").get_data(as_text=True)
        for canary in CANARIES:
            assert canary not in text
        assert "@" not in text
        after = parse(text)
        # What this lint counted: each label from its closed set.
        changed = [
            key
            for key in after
            if key[0].startswith("draftlint_") and after[key] != before.get(key)
        ]
        assert changed
        for name, labels in changed:
            for label, label_value in labels:
                if label == "le":  # a histogram's bucket bound
                    continue
                allowed = rule_ids if label == "rule" else ALLOWED_LABELS[label]
                assert label_value in allowed, (name, label, label_value)
        if rules is leaky:
            finding = (
                "draftlint_findings_total",
                frozenset({"surface": "api", "rule": "other", "severity": "hint"}.items()),
            )
            assert finding in changed
    # The access log's fields, as the JSON format writes them, hold none either.
    lines = [JSONFormatter().format(r) for r in caplog.records if r.name == "server.access"]
    assert lines
    for line in lines:
        for canary in CANARIES:
            assert canary not in line


# --- Outlook's look-ups ------------------------------------------------------------------------


class Token:
    configured = True

    def token(self, tenant, assertion):
        return "graph-token"


class FailingGraph:
    """The directory count fails, MailTips gets no answer, the message comes too late."""

    def group_id(self, token, address):
        raise GraphUnavailable("group id: HTTP 403")

    def mail_tips_sizes(self, token, addresses):
        raise GraphUnavailable("MailTips: ConnectTimeout", unreachable=True)

    def replied_to(self, token, message_id):
        time.sleep(0.5)


class AnsweringGraph:
    def group_id(self, token, address):
        return "g-1"

    def people_in_group(self, token, group_id):
        return 40

    def replied_to(self, token, message_id):
        return None


def _enricher(graph) -> Enricher:
    settings = OutlookSettings.from_config(
        {
            "OUTLOOK_CLIENT_ID": "client",
            "OUTLOOK_CLIENT_SECRET": "secret",
            "OUTLOOK_GRAPH_BUDGET": 0.2,
        }
    )
    enricher = Enricher(settings)
    enricher._obo, enricher._graph = Token(), graph
    return enricher


def _samples() -> dict:
    from prometheus_client import REGISTRY, generate_latest

    return parse(generate_latest(REGISTRY).decode())


def test_outlook_look_up_failures_and_cache_hits_are_counted():
    identity = Identity(org="corp.example", method="entra", tenant="t-1", user="u-1", assertion="a")
    draft = load_draft(
        {
            "client": "outlook",
            "compose_type": "reply_all",
            "to": [{"email": "boss@corp.example"}],
            "cc": [{"email": "list@corp.example", "type": "group"}],
            "body": {"content": "OK"},
            "in_reply_to": {"message_id": "<m-1@corp.example>"},
        }
    )
    before = _samples()
    _enricher(FailingGraph()).enrich(draft, identity)
    middle = _samples()
    answering = _enricher(AnsweringGraph())
    answering.enrich(draft, identity)
    answering.enrich(draft, identity)  # sizes and the message from the caches
    after = _samples()

    failures = "draftlint_lookup_failures_total"
    for kind, reason in (("group", "error"), ("mailtips", "unreachable"), ("message", "late")):
        labels = {"surface": "outlook", "kind": kind, "reason": reason}
        assert delta(before, middle, failures, **labels) == 1, kind
    assert delta(before, middle, failures, surface="outlook", kind="token", reason="error") == 0
    assert delta(middle, after, failures, surface="outlook", kind="group", reason="error") == 0
    caches = "draftlint_cache_requests_total"
    assert delta(middle, after, caches, cache="outlook-groups", result="miss") == 1
    assert delta(middle, after, caches, cache="outlook-groups", result="hit") == 1
    assert delta(middle, after, caches, cache="outlook-messages", result="hit") == 1


# --- who may read /metrics ----------------------------------------------------------------------


def test_metrics_are_off_in_production_without_a_token(registry):
    app = create_app({"TESTING": True, "API_KEYS": {API_KEY: "corp.example"}}, registry=registry)
    response = app.test_client().get("/metrics")
    assert response.status_code == 404
    assert "DRAFTLINT_METRICS_TOKEN" in response.get_json()["detail"]


def test_the_token_opens_metrics_and_nothing_else_does(registry):
    app = create_app(
        {"TESTING": True, "METRICS_TOKEN": TOKEN, "RATE_LIMIT_API": "1/minute"}, registry=registry
    )
    client = app.test_client()
    refused = client.get("/metrics")
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"].lower().startswith("bearer")
    assert client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}x"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": f"Basic {TOKEN}"}).status_code == 401
    for _ in range(3):  # never rate-limited
        answer = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert answer.status_code == 200
        assert answer.headers["Content-Type"].startswith("text/plain")
    openmetrics = client.get(
        "/metrics",
        headers={"Authorization": f"Bearer {TOKEN}", "Accept": "application/openmetrics-text"},
    )
    assert openmetrics.headers["Content-Type"].startswith("application/openmetrics-text")
    assert openmetrics.get_data(as_text=True).rstrip().endswith("# EOF")


def test_dev_mode_opens_metrics_to_this_machine_only(client):
    assert client.get("/metrics").status_code == 200
    away = client.get("/metrics", environ_overrides={"REMOTE_ADDR": "203.0.113.9"})
    assert away.status_code == 404


def test_a_short_token_stops_the_start(registry, monkeypatch):
    with pytest.raises(ValueError, match="METRICS_TOKEN"):
        create_app({"TESTING": True, "METRICS_TOKEN": "short"}, registry=registry)
    monkeypatch.setenv("DRAFTLINT_METRICS_TOKEN", "short")
    with pytest.raises(ValueError, match=r"\$DRAFTLINT_METRICS_TOKEN"):
        from_environment()
    monkeypatch.setenv("DRAFTLINT_METRICS_TOKEN", "")
    monkeypatch.setenv("DRAFTLINT_LOG_FORMAT", "xml")
    with pytest.raises(ValueError, match=r"\$DRAFTLINT_LOG_FORMAT"):
        from_environment()


def test_counting_never_fails_a_request(client, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise OSError("no space left")

    monkeypatch.setattr(metrics.LINTS, "labels", broken)
    monkeypatch.setattr(metrics, "_failed", [])
    with caplog.at_level(logging.WARNING, logger="server.metrics"):
        assert client.post("/v1/lint", json=TRIPS).status_code == 200
        assert client.post("/v1/lint", json=TRIPS).status_code == 200
    assert caplog.text.count("Metrics could not be counted (OSError)") == 1


# --- the JSON log format ------------------------------------------------------------------------


def test_json_log_lines_parse_one_by_one():
    formatter = JSONFormatter()
    access = logging.LogRecord(
        "server.access", logging.INFO, __file__, 1, "%s %s", ("GET", "/"), None
    )
    access.__dict__.update(method="GET", path="/", status=200, duration_ms=1.2, surface="other")
    try:
        raise RuntimeError("two\nlines")
    except RuntimeError:
        failed = logging.LogRecord("x", logging.ERROR, __file__, 1, "a\nb", (), sys.exc_info())
    lines = [formatter.format(access), formatter.format(failed)]
    assert all("\n" not in line for line in lines)
    first, second = map(json.loads, lines)
    assert first["message"] == "GET /" and first["logger"] == "server.access"
    assert first["level"] == "INFO" and first["timestamp"].endswith("+00:00")
    assert (first["method"], first["status"], first["surface"]) == ("GET", 200, "other")
    assert second["message"] == "a\nb" and "RuntimeError" in second["exception"]


# --- draftlint serve: the folder, and the workers added up --------------------------------------


def test_serve_makes_the_metrics_folder_and_removes_it(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'draftlint.sqlite3'}")
    monkeypatch.delenv("DRAFTLINT_API_KEYS", raising=False)
    monkeypatch.delenv(MULTIPROC_DIR, raising=False)
    seen = {}

    def run(self):
        seen["folder"] = os.environ[MULTIPROC_DIR]
        seen["existed"] = os.path.isdir(seen["folder"])

    monkeypatch.setattr(GunicornServer, "run", run)
    assert main(["serve", "--port", "9000"]) == 0
    assert seen["existed"] and not os.path.exists(seen["folder"])
    assert MULTIPROC_DIR not in os.environ

    chosen = tmp_path / "metrics"
    chosen.mkdir()
    (chosen / "counter_12345.db").write_bytes(b"an earlier run's")
    (chosen / "keep.txt").write_text("not ours")
    monkeypatch.setenv(MULTIPROC_DIR, str(chosen))
    assert main(["serve", "--port", "9000"]) == 0
    assert seen["folder"] == str(chosen)
    assert sorted(p.name for p in chosen.iterdir()) == ["keep.txt"]  # emptied, kept
    assert os.environ[MULTIPROC_DIR] == str(chosen)


def test_a_worker_leaving_keeps_the_metrics_folder(monkeypatch):
    """A gunicorn worker is a fork of the arbiter inside `draftlint serve`'s `metrics_folder()`:
    its exit unwinds that block too, and must leave the folder to the arbiter."""
    monkeypatch.delenv(MULTIPROC_DIR, raising=False)
    with metrics_folder():
        folder = os.environ[MULTIPROC_DIR]
        child = os.fork()
        if child == 0:  # the worker
            try:
                remove_metrics_folder()
            finally:
                os._exit(0)
        os.waitpid(child, 0)
        assert os.path.isdir(folder)
    assert not os.path.exists(folder)


def _installed_script() -> str:
    return str(Path(sys.executable).with_name("draftlint"))


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def served(tmp_path):
    """A running `draftlint serve --workers 2` with a metrics token, JSON logs and a chosen
    metrics folder holding an earlier run's file: (base URL, folder, log path)."""
    database_url = f"sqlite:///{tmp_path / 'draftlint.sqlite3'}"
    assert main(["db", "upgrade", "--database-url", database_url]) == 0
    admin = ["admin", "create", "--org", "x.example", "--email", "ops@x.example"]
    assert main([*admin, "--database-url", database_url]) == 0
    folder = tmp_path / "metrics"
    folder.mkdir()
    (folder / "counter_4242.db").write_bytes(b"\0" * 64)  # not a metrics file: must be removed
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DRAFTLINT_API_KEYS": json.dumps({API_KEY: "x.example"}),
        "DRAFTLINT_METRICS_TOKEN": TOKEN,
        "DRAFTLINT_LOG_FORMAT": "json",
        MULTIPROC_DIR: str(folder),
    }
    port = _free_port()
    log_path = tmp_path / "server.log"
    log = log_path.open("wb")
    command = ["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"]
    server = subprocess.Popen(
        [_installed_script(), *command],
        env=env,
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert server.poll() is None, log_path.read_text()
            with contextlib.suppress(requests.ConnectionError):
                if requests.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            assert time.monotonic() < deadline, "the server was not ready within 30 s"
            time.sleep(0.2)
        yield base, folder, log_path
    finally:
        server.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.wait(timeout=15)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=15)
        log.close()


def _lints_per_process(folder: Path) -> Counter:
    """pid -> drafts it linted, read from each process's own file."""
    found: Counter = Counter()
    for path in folder.glob("counter_*.db"):
        pid = int(path.stem.split("_")[1])
        for key, count, *_ in MmapedDict.read_all_values_from_file(str(path)):
            name, _, labels, _ = json.loads(key)
            if name == "draftlint_lints" and labels == {"surface": "api"}:
                found[pid] += count
    return found


def test_one_scrape_adds_up_every_worker(served):
    base, folder, log_path = served
    headers = {"Authorization": f"Bearer {API_KEY}"}

    def lint(_):
        # A connection of its own each: the workers take turns accepting.
        response = requests.post(f"{base}/v1/lint", json=TRIPS, headers=headers, timeout=10)
        assert response.status_code == 200
        return response

    sent = 0
    with ThreadPoolExecutor(max_workers=8) as pool:
        for _ in range(20):  # until both workers have linted (the first burst almost always)
            sent += len(list(pool.map(lint, range(16))))
            if len(_lints_per_process(folder)) >= 2:
                break
    per_process = _lints_per_process(folder)
    assert len(per_process) >= 2, per_process
    assert sum(per_process.values()) == sent

    assert requests.get(f"{base}/metrics", timeout=5).status_code == 401
    answer = requests.get(
        f"{base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5
    )
    assert answer.status_code == 200
    samples = parse(answer.text)
    assert value(samples, "draftlint_lints_total", surface="api") == sent
    nudges = {"surface": "api", "rule": "content-free-reply-all", "severity": "warning"}
    assert value(samples, "draftlint_findings_total", **nudges) == sent
    assert value(samples, "draftlint_http_request_duration_seconds_count", surface="api") == sent
    assert not (folder / "counter_4242.db").exists()

    # Every line of the log, gunicorn's own included, is one JSON object.
    entries = []
    for line in log_path.read_text().splitlines():
        try:
            entries.append(json.loads(line))
        except ValueError:
            pytest.fail(f"not one JSON object: {line!r}")
    loggers = {entry["logger"] for entry in entries}
    assert {"server.access", "gunicorn.error"} <= loggers
    access = [e for e in entries if e["logger"] == "server.access" and e["path"] == "/v1/lint"]
    assert len(access) == sent
    assert {(e["method"], e["status"], e["surface"]) for e in access} == {("POST", 200, "api")}
