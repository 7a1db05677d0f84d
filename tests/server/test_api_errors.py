"""Bad input gets a 4xx problem (RFC 9457), never a 5xx; every error is problem JSON."""

import json

import pytest

PROBLEM = "application/problem+json"


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status
    assert response.content_type == PROBLEM
    problem = response.get_json()
    assert problem["type"] == "about:blank"
    assert problem["status"] == status
    assert problem["title"]
    assert problem["detail"]
    return problem


def post_raw(client, data, content_type="application/json"):
    return client.post("/v1/lint", data=data, content_type=content_type)


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ('{"subject": "Re: x",', "Malformed JSON"),
        ("", "Empty input"),
        ("[" * 100_000, "nested too deeply"),
        ('{"a": ' * 100_000, "nested too deeply"),
        (b'{"subject": "\xff\xfe"}', "Invalid UTF-8"),
        (b'{"subject": "a\x00b"}', "NUL byte"),
        (
            '{"to": [{"email": "a@b", "type": "group", "member_count": ' + "9" * 5000 + "}]}",
            "too many digits",
        ),
    ],
    ids=["truncated", "empty", "deep-arrays", "deep-objects", "bad-utf8", "raw-nul", "huge-int"],
)
def test_undecodable_bodies_are_400(client, body, detail):
    problem = assert_problem(post_raw(client, body), 400)
    assert detail in problem["detail"]


def test_schema_errors_are_422_naming_each_field(client, sample):
    problem = assert_problem(client.post("/v1/lint", json=sample("invalid_types.json")), 422)

    errors = problem["errors"]
    assert "compose_type" in errors
    assert errors["to"]["0"]["email"] == ["Missing data for required field."]
    assert "member_count" in errors["to"]["1"]
    assert "cc" in errors
    assert "content" in errors["body"]
    assert errors["colour"] == ["Unknown field."]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ('{"subject": "Re: x\\ud800"}', "subject"),
        ('{"body": {"content": "ok \\udfff"}}', "body"),
        ('{"to": [{"email": "a@b", "name": "\\ud83d"}]}', "to"),
    ],
)
def test_unpaired_surrogates_are_422_naming_the_field(client, body, field):
    problem = assert_problem(post_raw(client, body), 422)
    assert field in problem["errors"]
    assert "surrogate" in json.dumps(problem["errors"])


def test_lone_surrogates_in_a_python_draft_never_break_exemptions():
    from linters import Policy, lint
    from linters.model import Address, Body, ComposeType, Draft, Recipient

    draft = Draft(
        compose_type=ComposeType.REPLY_ALL,
        subject="Re: [VOTE] x\ud800",
        sender=Address("me\udfff@corp.example"),
        to=(Recipient("a@corp.example"), Recipient("b@corp.example"), Recipient("c@corp.example")),
        body=Body("+1"),
    )
    policy = Policy.build({"exemptions": {"senders": ["nobody@corp\\.example"]}})
    assert lint(draft, policy).failed_rules == ()


@pytest.mark.parametrize("body", ["[]", '"a draft"', "null", "42"])
def test_a_body_that_is_not_an_object_is_422(client, body):
    problem = assert_problem(post_raw(client, body), 422)
    assert "_schema" in problem["errors"]


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_non_json_content_type_is_415(client, content_type):
    response = client.post("/v1/lint", data='{"subject": "x"}', content_type=content_type)
    assert_problem(response, 415)


def test_body_over_the_limit_is_413(client):
    body = json.dumps({"body": {"content": "a" * (3 * 1024 * 1024)}})
    problem = assert_problem(post_raw(client, body), 413)
    assert str(2 * 1024 * 1024) in problem["detail"]


def test_unknown_route_is_404(client):
    assert_problem(client.get("/v1/nothing-here"), 404)


def test_wrong_method_is_405_with_allow(client):
    response = client.get("/v1/lint")
    assert_problem(response, 405)
    assert "POST" in response.headers["Allow"]


def test_parse_validates_like_lint(client):
    response = client.post("/v1/parse", data="{", content_type="application/json")
    assert_problem(response, 400)
    response = client.post("/v1/parse", json={"to": "nobody"})
    assert "to" in assert_problem(response, 422)["errors"]


# --- hostile but valid input: answered, not crashed on ----------------------------------


def test_null_characters_in_strings_are_linted(client):
    draft = {"subject": "a\u0000b", "body": {"content": "OK\u0000\u0000 with me"}}
    response = client.post("/v1/lint", json=draft)
    assert response.status_code == 200
    assert response.get_json()["findings"][0]["rule"] == "test-says-word"


def test_fifty_thousand_recipients(client):
    draft = {
        "compose_type": "reply_all",
        "to": [{"email": f"person{i}@corp.example"} for i in range(50_000)],
        "body": {"content": "OK"},
    }
    response = client.post("/v1/lint", json=draft)
    assert response.status_code == 200
    assert response.get_json()["audience"] == 50_000


def test_ten_thousand_deep_html(client):
    html = "<div>" * 10_000 + "OK with me" + "</div>" * 10_000
    draft = {"body": {"type": "html", "content": html}}
    for path in ("/v1/lint", "/v1/parse"):
        response = client.post(path, json=draft)
        assert response.status_code == 200, path


def test_too_many_recipients_is_422_not_a_hang(client):
    draft = {"to": [{"email": "a@b"}] * 100_001}
    problem = assert_problem(client.post("/v1/lint", json=draft), 422)
    assert "to" in problem["errors"]


# --- our own failures --------------------------------------------------------------------


def test_unexpected_exception_is_a_500_problem_without_details(registry):
    from server.app import create_app

    app = create_app({"DEV_MODE": True}, registry=registry)

    @app.post("/test-only/explode")
    def explode():
        raise RuntimeError("secret internals")

    response = app.test_client().post("/test-only/explode")
    problem = assert_problem(response, 500)
    assert "secret" not in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)
    assert "errors" not in problem
