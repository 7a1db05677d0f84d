"""`POST /v1/drafts/from-eml`: a raw message in, Draft JSON out; bad input is a 4xx problem."""

import logging
from pathlib import Path

import pytest

from server.app import create_app

EML = Path(__file__).parents[1] / "cli" / "samples"
RFC822 = "message/rfc822"


def post_eml(client, data: bytes, content_type: str = RFC822, **kwargs):
    return client.post("/v1/drafts/from-eml", data=data, content_type=content_type, **kwargs)


@pytest.mark.parametrize("content_type", [RFC822, "application/octet-stream"])
def test_an_eml_becomes_a_draft_that_lints(client, content_type):
    response = post_eml(client, (EML / "reply_all_plain.eml").read_bytes(), content_type)

    assert response.status_code == 200
    draft = response.get_json()
    assert draft["compose_type"] == "reply_all"
    assert draft["subject"] == "RE: Offsite agenda"
    assert draft["from"] == {"email": "peter@corp.example", "name": "Peter Smith"}
    assert [r["email"] for r in draft["to"]] == ["boss@corp.example", "anna@corp.example"]
    assert draft["cc"][0]["name"] == "Smith, Bob"
    assert draft["body"]["content"].startswith("OK with me")
    assert client.post("/v1/lint", json=draft).status_code == 200  # Draft JSON, as it says


def test_attachments_and_html_bodies_come_through(client):
    response = post_eml(client, (EML / "forward_html_attachments.eml").read_bytes())

    draft = response.get_json()
    assert draft["compose_type"] == "forward"
    assert draft["body"]["type"] == "html"
    assert "Zahlen März.pdf" in [a["name"] for a in draft["attachments"]]


@pytest.mark.parametrize(
    ("data", "content_type", "status"),
    [
        (b"", RFC822, 400),
        (b"\r\n \r\n", RFC822, 400),
        (b"\x00\x01 some bytes, no headers at all", RFC822, 400),
        (b"From: a@corp.example\r\n\r\nhi", "text/plain", 415),
        (b'{"subject": "hi"}', "application/json", 415),
    ],
)
def test_bad_input_is_a_problem(client, data, content_type, status):
    response = post_eml(client, data, content_type)

    assert response.status_code == status
    assert response.content_type == "application/problem+json"
    assert response.get_json()["status"] == status


def test_an_mbox_from_line_is_allowed(client):
    data = b"From peter@corp.example Mon Mar  3 09:12:00 2025\nSubject: Hi\n\nHello"
    assert post_eml(client, data).get_json()["subject"] == "Hi"


def test_a_message_over_the_size_limit_is_a_413(registry):
    app = create_app(
        {"DEV_MODE": True, "TESTING": True, "MAX_CONTENT_LENGTH": 1000}, registry=registry
    )
    response = post_eml(app.test_client(), b"Subject: big\r\n\r\n" + b"x" * 2000)

    assert response.status_code == 413
    assert response.content_type == "application/problem+json"


def test_it_needs_an_api_key_outside_dev_mode(secured_app, api_key):
    data = (EML / "reply_all_plain.eml").read_bytes()
    client = secured_app.test_client()

    assert post_eml(client, data).status_code == 401
    authorised = post_eml(client, data, headers={"Authorization": f"Bearer {api_key}"})
    assert authorised.status_code == 200


def test_it_is_documented_in_openapi(client):
    operation = client.get("/openapi.json").get_json()["paths"]["/v1/drafts/from-eml"]["post"]

    assert set(operation["requestBody"]["content"]) == {RFC822, "application/octet-stream"}
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema["$ref"] == "#/components/schemas/Draft"
    assert {"400", "401", "413", "415"} <= set(operation["responses"])


def test_parse_returns_the_text_its_blocks_point_into(client):
    draft = {"body": {"type": "text", "content": "Hi Anna,\n\nThe room is booked.\n\nPeter"}}
    parts = client.post("/v1/parse", json=draft).get_json()

    kinds = {
        block["kind"]: parts["text"][block["start"] : block["end"]] for block in parts["blocks"]
    }
    assert kinds["body"] == "The room is booked."


def test_nothing_of_the_message_is_logged(client, caplog):
    caplog.set_level(logging.DEBUG)
    canary = "7c3a-canary"
    data = f"From: {canary}@corp.example\r\nSubject: {canary}\r\n\r\n{canary} body".encode()

    assert post_eml(client, data).status_code == 200
    assert post_eml(client, b"\x00" + data).status_code == 400
    logged = caplog.text + "".join(repr(record.args) for record in caplog.records)
    assert canary not in logged
    assert "POST /v1/drafts/from-eml 200" in caplog.text
