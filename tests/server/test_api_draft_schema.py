"""/v1/lint and /v1/parse read drafts with one shared DraftSchema and its fast path.

Large recipient lists are read quickly and still checked; an invalid recipient among many is
refused with marshmallow's wording, naming its index; a quote header wrapped in HTML stays out of
the new text that /v1/parse returns.
"""

from __future__ import annotations

from linters import schema

GOOD = {"email": "anna@corp.example", "name": "Anna"}


def reply_all(cc: list) -> dict:
    return {
        "compose_type": "reply_all",
        "from": {"email": "peter@corp.example"},
        "to": [{"email": "julie@corp.example"}],
        "cc": cc,
        "body": {"type": "html", "content": "<div>OK with me</div>"},
    }


def test_a_thousand_recipients_are_linted(client):
    cc = [{"email": f"person{i}@corp.example", "name": f"Person {i}"} for i in range(1000)]
    response = client.post("/v1/lint", json=reply_all(cc))
    assert response.status_code == 200
    assert response.get_json()["audience"] == 1001


def test_an_invalid_recipient_among_many_is_a_422_worded_by_marshmallow(client):
    cc = [GOOD] * 500 + [{"email": "", "name": "Nobody"}] + [GOOD] * 10
    response = client.post("/v1/lint", json=reply_all(cc))
    assert response.status_code == 422
    assert response.get_json()["errors"] == {
        "cc": {"500": {"email": ["Length must be between 1 and 320."]}}
    }


def test_an_unknown_recipient_field_is_a_422(client):
    response = client.post("/v1/lint", json=reply_all([GOOD, {**GOOD, "role": "cc"}]))
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"cc": {"1": {"role": ["Unknown field."]}}}


def test_no_draft_schema_is_built_per_request(client, monkeypatch):
    built = []
    init = schema.DraftSchema.__init__

    def counting(self, *args, **kwargs):
        built.append(1)
        init(self, *args, **kwargs)

    monkeypatch.setattr(schema.DraftSchema, "__init__", counting)
    for path in ("/v1/lint", "/v1/parse"):
        assert client.post(path, json=reply_all([GOOD])).status_code == 200
    assert built == []


def test_parse_leaves_a_wrapped_quote_header_out_of_the_new_text(client):
    draft = reply_all([GOOD])
    draft["body"]["content"] = (
        "<div>Works for me.</div><div>On Mon, 3 Mar 2025 at 10:00, Jane Doe "
        "&lt;jane@x.example&gt;</div><div>wrote:</div><blockquote><div>Can we move the call?"
        "</div></blockquote>"
    )
    parsed = client.post("/v1/parse", json=draft).get_json()
    assert parsed["new_text"] == "Works for me."
    assert parsed["quote"].startswith("On Mon, 3 Mar 2025 at 10:00, Jane Doe <jane@x.example>")
