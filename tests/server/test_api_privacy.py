"""No draft content in logs: not on success, not on a validation error, not on a crash."""

import json
import logging

import pytest

from server.app import create_app

CANARY = "5f1e"  # in the sample's subject, sender, name and body


@pytest.fixture
def logs(caplog):
    caplog.set_level(logging.DEBUG)  # the root logger: every logger's records reach caplog
    return caplog


def everything_logged(caplog) -> str:
    records = caplog.records
    return "\n".join(
        [caplog.text]
        + [record.getMessage() for record in records]
        + [repr(record.args) for record in records]
        + [repr(record.exc_info) for record in records]
    )


def test_a_lint_and_a_parse_log_no_content(client, sample, logs):
    lint = client.post("/v1/lint", json=sample("canary.json"))
    parse = client.post("/v1/parse", json=sample("canary.json"))

    assert lint.status_code == 200
    assert lint.get_json()["findings"]  # the body was read and checked
    assert CANARY in parse.get_json()["new_text"]
    assert CANARY not in everything_logged(logs)
    assert "POST /v1/lint 200" in logs.text  # the access log has method, path and status only


def test_a_validation_error_logs_no_content(client, sample, logs):
    draft = sample("canary.json")
    draft["to"] = [{"email": "x@y", "member_count": "CANARY-5f1e-count"}]
    response = client.post("/v1/lint", json=draft)

    assert response.status_code == 422
    assert CANARY not in everything_logged(logs)
    assert "POST /v1/lint 422" in logs.text


def test_a_crash_logs_no_content(registry, sample, logs):
    app = create_app({"DEV_MODE": True}, registry=registry)

    @app.post("/test-only/crash")
    def crash():
        from flask import request

        draft = request.get_json()
        raise ValueError(f"cannot handle {draft['body']['content']}")

    response = app.test_client().post("/test-only/crash", json=sample("canary.json"))

    assert response.status_code == 500
    assert CANARY not in response.get_data(as_text=True)
    logged = everything_logged(logs)
    assert CANARY not in logged
    assert "ValueError in POST /test-only/crash" in logged  # but the operator learns what and where
    assert "POST /test-only/crash 500" in logged


def test_an_unknown_path_is_logged_without_its_query(client, logs):
    client.get("/nowhere?q=CANARY-5f1e")
    assert CANARY not in everything_logged(logs)
    assert "GET /nowhere 404" in logs.text


def test_the_sample_really_holds_the_canary(sample):
    assert json.dumps(sample("canary.json")).count(CANARY) >= 4


def test_a_failing_rule_is_logged_by_id_only(caplog):
    from linters.model import Severity
    from linters.registry import Registry, Rule
    from server.app import create_app

    class Explodes(Rule):
        id = "test-explodes"
        summary = "Always raises."
        default_severity = Severity.WARNING

        def check(self, ctx, options):
            raise RuntimeError(ctx.segmentation.body_text)  # as if a message quoted the draft
            yield

    app = create_app(
        {"DEV_MODE": True, "TESTING": True}, registry=Registry({Explodes.id: Explodes()})
    )
    caplog.set_level("DEBUG")
    response = app.test_client().post(
        "/v1/lint", json={"body": {"content": "canary-4412 private words"}}
    )
    assert response.status_code == 200
    assert response.get_json()["failed_rules"] == ["test-explodes"]
    assert "test-explodes" in caplog.text
    assert "canary-4412" not in caplog.text


def test_access_log_durations_are_never_negative(client, logs):
    # A POST without its CSRF token is refused by a hook that runs before the request timer.
    for _ in range(10):
        client.get("/healthz")
        client.post("/admin/sign-out", data={})
    lines = [r.getMessage() for r in logs.records if r.name == "server.access"]
    assert len(lines) == 20 and any(" /admin/sign-out 403 " in line for line in lines)
    assert not any("-" in line.rsplit(" ", 1)[-1] for line in lines)
    assert all(line.endswith("ms") for line in lines)
