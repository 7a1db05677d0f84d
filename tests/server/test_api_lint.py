"""The happy paths of the JSON API and the front page."""

import pytest


def test_lint_returns_the_report(client, sample):
    response = client.post("/v1/lint", json=sample("reply_all_ok.json"))

    assert response.status_code == 200
    assert response.content_type == "application/json"
    report = response.get_json()
    assert report["audience"] == 42  # boss + anna + a group of 40
    assert report["policy"] == {"org": None, "version": None}
    [finding] = report["findings"]
    assert finding["rule"] == "test-says-word"
    assert finding["severity"] == "warning"
    assert finding["excerpt"] == "OK"
    assert finding["span"] == {"start": 0, "end": 2}


def test_lint_clean_draft_has_no_findings(client, sample):
    response = client.post("/v1/lint", json=sample("clean_new.json"))

    assert response.status_code == 200
    assert response.get_json()["findings"] == []


def test_lint_accepts_json_with_charset_and_json_subtypes(client):
    body = '{"body": {"content": "OK"}}'
    for content_type in ("application/json; charset=utf-8", "application/draft+json"):
        response = client.post("/v1/lint", data=body, content_type=content_type)
        assert response.status_code == 200, content_type


def test_parse_returns_the_segmentation(client, sample):
    response = client.post("/v1/parse", json=sample("reply_all_ok.json"))

    assert response.status_code == 200
    parts = response.get_json()
    assert set(parts) == {
        "text",  # what the blocks' offsets point into
        "new_text",
        "greeting",
        "body",
        "signoff",
        "signature",
        "quote",
        "blocks",
    }
    assert parts["new_text"].startswith("OK with me")
    assert all(set(block) == {"kind", "start", "end"} for block in parts["blocks"])


def test_rules_lists_options_schema_defaults_docs_and_plugin_errors(client):
    response = client.get("/v1/rules")

    assert response.status_code == 200
    catalog = response.get_json()
    [rule] = catalog["rules"]
    assert rule["id"] == "test-says-word"
    assert rule["default_severity"] == "warning"
    assert rule["preview"] is False
    assert rule["defaults"] == {"word": "OK"}
    assert rule["docs"] == "/docs/rules/test-says-word"
    options = rule["options"]
    assert options["type"] == "object"
    assert options["properties"]["word"]["type"] == "string"
    assert options["properties"]["severity"]["enum"] == ["off", "hint", "warning", "block"]
    assert catalog["errors"] == [
        {
            "source": "broken = broken_pkg:Rule",
            "error": "failed to import: ModuleNotFoundError: No module named 'x'",
        }
    ]


def test_probes(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json() == {"status": "ready"}


def test_not_ready_when_the_rules_fail_to_load(monkeypatch):
    import server.engine
    from server.app import create_app

    def broken_registry():
        raise ImportError("a built-in rule is broken")

    monkeypatch.setattr(server.engine, "default_registry", broken_registry)
    client = create_app({"DEV_MODE": True}).test_client()

    assert client.get("/healthz").status_code == 200
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.content_type == "application/problem+json"
    assert client.post("/v1/lint", json={}).status_code == 503


def test_openapi_documents_lint_with_the_draft_and_report_schemas(client):
    response = client.get("/openapi.json")

    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"] == "3.0.3"
    assert spec["info"]["title"] == "draftlint"
    operation = spec["paths"]["/v1/lint"]["post"]
    body_ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert body_ref == "#/components/schemas/Draft"
    response_ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert response_ref == "#/components/schemas/Report"
    schemas = spec["components"]["schemas"]
    assert {"from", "to", "cc", "bcc", "body", "compose_type", "in_reply_to"} <= set(
        schemas["Draft"]["properties"]
    )
    assert set(schemas["Report"]["properties"]) == {
        "findings",
        "audience",
        "policy",
        "elapsed_ms",
        "failed_rules",
    }
    assert {"type", "title", "status", "detail", "errors"} == set(schemas["Problem"]["properties"])
    assert {"/v1/parse", "/v1/rules", "/healthz", "/readyz"} <= set(spec["paths"])


@pytest.mark.parametrize("path", ["/v1/lint", "/v1/parse", "/v1/events"])
def test_openapi_documents_every_error_a_json_body_can_get(client, path):
    responses = client.get("/openapi.json").get_json()["paths"][path]["post"]["responses"]
    for status in ("400", "401", "413", "415", "422", "503"):
        assert list(responses[status]["content"]) == ["application/problem+json"], status


def test_front_page_explains_and_offers_a_playground(client):
    response = client.get("/")

    assert response.status_code == 200
    assert response.content_type == "text/html; charset=utf-8"
    html = response.get_data(as_text=True)
    assert "draftlint" in html
    assert '<textarea id="draft"' in html
    assert "reply_all" in html  # the sample draft is prefilled
    assert "http://" not in html and "https://" not in html  # no CDN
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert client.get("/static/playground.js").status_code == 200
    assert client.get("/static/style.css").status_code == 200


def test_front_page_sample_is_a_valid_draft(client):
    import json

    from server.app import create_app

    app = create_app({"DEV_MODE": True})
    with app.open_resource("static/sample-reply-all.json") as sample_file:
        draft = json.load(sample_file)
    assert client.post("/v1/lint", json=draft).status_code == 200
