"""The admin JSON API under /v1/admin, on both database backends: sessions and roles, one
organisation never reaching another's data, ETag/If-Match, preview without storing, publish,
versions, diff, rollback, audit log and statistics; and POST /v1/events."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from server import store

CORP = "corp.example"
OTHER = "other.example"
RULE = "test-says-word"  # the test registry's one rule: warns when the new text has `word`
API_KEY = "events-key-0123456789"
CANARY = "canary4b7e2d"

READS = [
    ("get", "/v1/admin/session", {}),
    ("get", "/v1/admin/policy/draft", {}),
    ("get", "/v1/admin/policy/draft.yaml", {}),
    ("get", "/v1/admin/policy/versions", {}),
    ("get", "/v1/admin/policy/versions/1", {}),
    ("get", "/v1/admin/policy/diff?from=1&to=draft", {}),
    ("get", "/v1/admin/audit", {}),
    ("get", "/v1/admin/stats", {}),
]
WRITES = [
    ("put", "/v1/admin/policy/draft", {"json": {}}),
    ("post", "/v1/admin/policy/draft/validate", {"json": {}}),
    (
        "put",
        "/v1/admin/policy/draft.yaml",
        {"data": "rules: {}\n", "content_type": "application/yaml"},
    ),
    ("post", "/v1/admin/policy/preview", {"json": {"body": {"content": "OK"}}}),
    (
        "post",
        "/v1/admin/policy/preview-eml",
        {"data": b"Subject: x\r\n\r\nOK\r\n", "content_type": "message/rfc822"},
    ),
    ("post", "/v1/admin/policy/publish", {"json": {}}),
    ("post", "/v1/admin/policy/rollback", {"json": {"version": 1}}),
]


def _draft(body: str = "OK", **extra) -> dict:
    return {
        "compose_type": "reply_all",
        "subject": f"Re: {CANARY}",
        "from": {"email": f"{CANARY}@corp.example", "name": CANARY},
        "to": [{"email": f"anna.{CANARY}@corp.example"}],
        "body": {"type": "html", "content": f"<p>{body} {CANARY}</p>"},
        **extra,
    }


def _document(word: str) -> dict:
    return {"rules": {RULE: {"word": word}}}


def _etag(admin) -> str:
    return admin.client.get("/v1/admin/policy/draft").headers["ETag"]


def _save(admin, document: dict):
    return admin.client.put(
        "/v1/admin/policy/draft",
        json=document,
        headers=admin.headers(**{"If-Match": _etag(admin)}),
    )


def _publish(admin, comment: str = ""):
    return admin.client.post(
        "/v1/admin/policy/publish",
        json={"comment": comment},
        headers=admin.headers(**{"If-Match": _etag(admin)}),
    )


def _audit(admin) -> list[dict]:
    return admin.client.get("/v1/admin/audit").get_json()["entries"]


@pytest.fixture
def corp(signed_in):
    return signed_in(CORP, "olga@corp.example", "owner")


@pytest.fixture
def other(signed_in):
    return signed_in(OTHER, "mallory@other.example", "owner")


# --- who may call what ---------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "kwargs"), READS + WRITES)
def test_without_a_session_every_endpoint_is_401(app, method, path, kwargs):
    response = getattr(app.test_client(), method)(path, **kwargs)
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize(("method", "path", "kwargs"), WRITES)
def test_a_viewer_cannot_write(signed_in, method, path, kwargs):
    viewer = signed_in(CORP, "vic@corp.example", "viewer")
    headers = viewer.headers(**{"If-Match": '"draft-0"'})
    response = getattr(viewer.client, method)(path, headers=headers, **kwargs)
    assert response.status_code == 403
    assert "editor" in response.get_json()["detail"]


def test_a_viewer_reads(signed_in):
    viewer = signed_in(CORP, "vic@corp.example", "viewer")
    for method, path, _ in READS:
        response = getattr(viewer.client, method)(path)
        assert response.status_code in (200, 404), path  # 404: no version 1 yet


def test_an_editor_edits_and_publishes(signed_in):
    editor = signed_in(CORP, "ed@corp.example", "editor")
    assert _save(editor, _document("Thanks")).status_code == 200
    assert _publish(editor).status_code == 201


# --- one organisation never sees another's data --------------------------------------------


@pytest.fixture
def corp_with_history(corp, app):
    """Corp has a published version 1 and 2, a draft, audit entries and statistics."""
    assert _save(corp, _document("Corpword1")).status_code == 200
    assert _publish(corp, "corp first").status_code == 201
    assert _save(corp, _document("Corpword2")).status_code == 200
    assert _publish(corp, "corp second").status_code == 201
    assert _save(corp, _document("Corpdraft")).status_code == 200
    app.config["API_KEYS"] = {API_KEY: CORP}
    events = [{"rule": RULE, "severity": "warning", "outcome": "shown", "count": 7}]
    response = app.test_client().post(
        "/v1/events", json={"events": events}, headers={"Authorization": f"Bearer {API_KEY}"}
    )
    assert response.status_code == 200
    return corp


def test_another_org_reads_only_its_own(corp_with_history, other):
    draft = other.client.get("/v1/admin/policy/draft").get_json()
    assert draft["document"] == {}
    assert other.client.get("/v1/admin/policy/versions").get_json() == {"versions": []}
    assert other.client.get("/v1/admin/policy/versions/1").status_code == 404
    assert other.client.get("/v1/admin/policy/diff?from=1&to=2").status_code == 404
    assert "Corp" not in other.client.get("/v1/admin/policy/draft.yaml").get_data(as_text=True)
    actors = {entry["actor"] for entry in _audit(other)}
    assert "olga@corp.example" not in actors
    stats = other.client.get("/v1/admin/stats").get_json()
    assert stats["per_rule_per_day"] == []
    assert stats["per_outcome"]["shown"] == 0
    # ... while corp sees its own.
    assert corp_with_history.client.get("/v1/admin/stats").get_json()["per_outcome"]["shown"] == 7


def test_the_org_in_the_url_or_body_is_ignored(corp_with_history, other):
    for path in ("/v1/admin/policy/draft?org=corp.example", "/v1/admin/audit?org=corp.example"):
        response = other.client.get(path)
        assert "Corp" not in response.get_data(as_text=True)
    # An "org" in the body is no way in either: it is not part of a policy, so it is refused.
    response = other.client.put(
        "/v1/admin/policy/draft",
        json={"org": CORP, **_document("x")},
        headers=other.headers(**{"If-Match": _etag(other)}),
    )
    assert response.status_code == 422
    assert "org" in response.get_json()["errors"]


def test_another_org_cannot_change_this_ones_policy(corp_with_history, other):
    corp_etag = _etag(corp_with_history)
    # Mallory sends corp's ETag: it is checked against her own draft (at another revision).
    response = other.client.put(
        "/v1/admin/policy/draft",
        json=_document("mallory"),
        headers=other.headers(**{"If-Match": corp_etag}),
    )
    assert response.status_code == 412
    rollback = other.client.post(
        "/v1/admin/policy/rollback",
        json={"version": 1},
        headers=other.headers(**{"If-Match": _etag(other)}),
    )
    assert rollback.status_code == 404  # corp's version 1 is not hers
    corp_draft = corp_with_history.client.get("/v1/admin/policy/draft").get_json()
    assert corp_draft["document"] == _document("Corpdraft")
    assert corp_draft["etag"] == corp_etag
    versions = corp_with_history.client.get("/v1/admin/policy/versions").get_json()["versions"]
    assert [v["number"] for v in versions] == [2, 1]


def test_the_session_of_another_org_cannot_use_this_ones_csrf_token(corp, other):
    response = other.client.put(
        "/v1/admin/policy/draft",
        json={},
        headers={"If-Match": _etag(other), "X-CSRF-Token": corp.csrf},
    )
    assert response.status_code == 403


# --- the draft: ETag, If-Match, validation -------------------------------------------------


def test_get_draft_has_an_etag(corp):
    response = corp.client.get("/v1/admin/policy/draft")
    assert response.status_code == 200
    body = response.get_json()
    assert response.headers["ETag"] == body["etag"] == '"draft-0"'
    assert body["document"] == {}


def test_put_without_if_match_is_428(corp):
    response = corp.client.put("/v1/admin/policy/draft", json={}, headers=corp.headers())
    assert response.status_code == 428
    assert response.mimetype == "application/problem+json"


def test_concurrent_edits_never_lose_an_update(corp, signed_in):
    second = signed_in(CORP, "peter@corp.example", "editor")
    etag = _etag(corp)
    first = corp.client.put(
        "/v1/admin/policy/draft",
        json=_document("first"),
        headers=corp.headers(**{"If-Match": etag}),
    )
    assert first.status_code == 200
    assert first.headers["ETag"] != etag
    stale = second.client.put(
        "/v1/admin/policy/draft",
        json=_document("second"),
        headers=second.headers(**{"If-Match": etag}),
    )
    assert stale.status_code == 412
    assert stale.mimetype == "application/problem+json"
    assert corp.client.get("/v1/admin/policy/draft").get_json()["document"] == _document("first")
    # Re-read and retry: now it lands.
    assert _save(second, _document("second")).status_code == 200


def test_put_invalid_policy_is_422_naming_the_field(corp):
    response = corp.client.put(
        "/v1/admin/policy/draft",
        json={"rules": {RULE: {"word": 5}, "no-such-rule": {}}},
        headers=corp.headers(**{"If-Match": _etag(corp)}),
    )
    assert response.status_code == 422
    errors = response.get_json()["errors"]["rules"]
    assert errors[RULE] == {"word": ["Not a valid string."]}
    assert errors["no-such-rule"] == ["Unknown rule id."]
    assert _etag(corp) == '"draft-0"'  # nothing written


def test_validate(corp):
    ok = corp.client.post(
        "/v1/admin/policy/draft/validate", json=_document("fine"), headers=corp.headers()
    )
    assert ok.get_json() == {"valid": True}
    bad = corp.client.post(
        "/v1/admin/policy/draft/validate",
        json={"rules": {RULE: {"word": ["not", "a", "string"]}}},
        headers=corp.headers(),
    )
    assert bad.status_code == 200
    assert bad.get_json()["valid"] is False
    assert RULE in bad.get_json()["errors"]["rules"]
    assert _etag(corp) == '"draft-0"'


def test_yaml_export_and_import(corp):
    assert _save(corp, _document("Yamlword")).status_code == 200
    exported = corp.client.get("/v1/admin/policy/draft.yaml")
    assert exported.mimetype == "application/yaml"
    assert "Yamlword" in exported.get_data(as_text=True)
    etag = exported.headers["ETag"]

    text = exported.get_data(as_text=True).replace("Yamlword", "Imported")
    missing = corp.client.put(
        "/v1/admin/policy/draft.yaml",
        data=text,
        content_type="application/yaml",
        headers=corp.headers(),
    )
    assert missing.status_code == 428
    imported = corp.client.put(
        "/v1/admin/policy/draft.yaml",
        data=text,
        content_type="application/yaml",
        headers=corp.headers(**{"If-Match": etag}),
    )
    assert imported.status_code == 200
    assert imported.get_json()["document"] == _document("Imported")
    stale = corp.client.put(
        "/v1/admin/policy/draft.yaml",
        data=text,
        content_type="application/yaml",
        headers=corp.headers(**{"If-Match": etag}),
    )
    assert stale.status_code == 412
    bad = corp.client.put(
        "/v1/admin/policy/draft.yaml",
        data="rules: [unclosed",
        content_type="application/yaml",
        headers=corp.headers(**{"If-Match": _etag(corp)}),
    )
    assert bad.status_code == 422
    wrong_type = corp.client.put(
        "/v1/admin/policy/draft.yaml",
        data="{}",
        content_type="application/json",
        headers=corp.headers(**{"If-Match": _etag(corp)}),
    )
    assert wrong_type.status_code == 415


# --- preview -------------------------------------------------------------------------------


def _all_rows(database_url: str) -> str:
    engine = sa.create_engine(database_url)
    try:
        metadata = sa.MetaData()
        metadata.reflect(engine)
        with engine.connect() as connection:
            return "\n".join(
                repr(row)
                for table in metadata.sorted_tables
                for row in connection.execute(table.select())
            )
    finally:
        engine.dispose()


def test_preview_lints_under_draft_and_published_and_stores_nothing(corp, database_url):
    assert _save(corp, _document("Thanks")).status_code == 200
    before = _all_rows(database_url)
    response = corp.client.post(
        "/v1/admin/policy/preview", json=_draft("OK, Thanks"), headers=corp.headers()
    )
    assert response.status_code == 200
    reports = response.get_json()
    assert [f["excerpt"] for f in reports["draft"]["findings"]] == ["Thanks"]
    assert [f["excerpt"] for f in reports["published"]["findings"]] == ["OK"]  # the defaults
    after = _all_rows(database_url)
    assert CANARY not in after
    assert after == before  # not even an audit entry: a preview changes nothing


def test_preview_uses_the_published_version(corp):
    assert _save(corp, _document("Published")).status_code == 200
    assert _publish(corp).status_code == 201
    assert _save(corp, _document("Drafted")).status_code == 200
    reports = corp.client.post(
        "/v1/admin/policy/preview", json=_draft("Published Drafted"), headers=corp.headers()
    ).get_json()
    assert reports["published"]["policy"]["version"] == 1
    assert [f["excerpt"] for f in reports["published"]["findings"]] == ["Published"]
    assert [f["excerpt"] for f in reports["draft"]["findings"]] == ["Drafted"]


def test_preview_eml(corp, database_url):
    assert _save(corp, _document("Thanks")).status_code == 200
    eml = (
        f"From: Peter <{CANARY}@corp.example>\r\nTo: a@corp.example, b@corp.example\r\n"
        f"Subject: Re: {CANARY}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        f"OK, Thanks {CANARY}\r\n"
    ).encode()
    response = corp.client.post(
        "/v1/admin/policy/preview-eml",
        data=eml,
        content_type="message/rfc822",
        headers=corp.headers(),
    )
    assert response.status_code == 200
    reports = response.get_json()
    assert [f["excerpt"] for f in reports["draft"]["findings"]] == ["Thanks"]
    assert [f["excerpt"] for f in reports["published"]["findings"]] == ["OK"]
    assert CANARY not in _all_rows(database_url)


def test_preview_of_invalid_draft_is_422(corp):
    response = corp.client.post(
        "/v1/admin/policy/preview", json={"compose_type": "shout"}, headers=corp.headers()
    )
    assert response.status_code == 422
    assert "compose_type" in response.get_json()["errors"]


# --- publish, versions, diff, rollback, audit ----------------------------------------------


def test_publish_needs_if_match_and_changes_the_etag(corp):
    assert _save(corp, _document("One")).status_code == 200
    missing = corp.client.post("/v1/admin/policy/publish", json={}, headers=corp.headers())
    assert missing.status_code == 428
    etag = _etag(corp)
    published = corp.client.post(
        "/v1/admin/policy/publish",
        json={"comment": "first"},
        headers=corp.headers(**{"If-Match": etag}),
    )
    assert published.status_code == 201
    body = published.get_json()
    assert (body["number"], body["comment"], body["author"]) == (1, "first", "olga@corp.example")
    assert body["document"] == _document("One")
    assert published.headers["ETag"] != etag
    again = corp.client.post(
        "/v1/admin/policy/publish", json={}, headers=corp.headers(**{"If-Match": etag})
    )
    assert again.status_code == 412  # a double click does not publish twice


def test_versions_diff_and_rollback(corp):
    for word in ("One", "Two"):
        assert _save(corp, _document(word)).status_code == 200
        assert _publish(corp, f"publish {word}").status_code == 201
    assert _save(corp, _document("Three")).status_code == 200

    versions = corp.client.get("/v1/admin/policy/versions").get_json()["versions"]
    assert [(v["number"], v["comment"]) for v in versions] == [
        (2, "publish Two"),
        (1, "publish One"),
    ]
    assert "document" not in versions[0]
    assert corp.client.get("/v1/admin/policy/versions/1").get_json()["document"] == _document("One")
    assert corp.client.get("/v1/admin/policy/versions/9").status_code == 404

    diff = corp.client.get("/v1/admin/policy/diff?from=1&to=2").get_json()
    assert diff["from"] == 1
    assert diff["to"] == 2
    assert diff["changes"] == [{"path": ["rules", RULE, "word"], "before": "One", "after": "Two"}]
    to_draft = corp.client.get("/v1/admin/policy/diff?from=1").get_json()
    assert to_draft["to"] == "draft"
    assert to_draft["changes"][0]["after"] == "Three"
    assert corp.client.get("/v1/admin/policy/diff?from=1&to=nope").status_code == 422

    missing = corp.client.post(
        "/v1/admin/policy/rollback", json={"version": 1}, headers=corp.headers()
    )
    assert missing.status_code == 428
    rolled = corp.client.post(
        "/v1/admin/policy/rollback",
        json={"version": 1, "comment": "back to One"},
        headers=corp.headers(**{"If-Match": _etag(corp)}),
    )
    assert rolled.status_code == 201
    assert (rolled.get_json()["number"], rolled.get_json()["restored_from"]) == (3, 1)
    assert corp.client.get("/v1/admin/policy/draft").get_json()["document"] == _document("One")
    unknown = corp.client.post(
        "/v1/admin/policy/rollback",
        json={"version": 42},
        headers=corp.headers(**{"If-Match": _etag(corp)}),
    )
    assert unknown.status_code == 404


def test_every_change_has_an_audit_entry(corp):
    assert _save(corp, _document("One")).status_code == 200
    assert _publish(corp).status_code == 201
    etag = _etag(corp)
    assert (
        corp.client.put(
            "/v1/admin/policy/draft.yaml",
            data="rules: {}\n",
            content_type="application/yaml",
            headers=corp.headers(**{"If-Match": etag}),
        ).status_code
        == 200
    )
    rolled = corp.client.post(
        "/v1/admin/policy/rollback",
        json={"version": 1},
        headers=corp.headers(**{"If-Match": _etag(corp)}),
    )
    assert rolled.status_code == 201
    actions = [(e["action"], e["actor"]) for e in _audit(corp)]
    assert actions[:5] == [
        ("policy.rollback", "olga@corp.example"),
        ("policy.draft.save", "olga@corp.example"),  # the YAML import
        ("policy.publish", "olga@corp.example"),
        ("policy.draft.save", "olga@corp.example"),
        ("admin.sign-in", "olga@corp.example"),
    ]


def test_audit_pages(corp):
    for word in ("a", "b", "c", "d"):
        assert _save(corp, _document(word)).status_code == 200
    first = corp.client.get("/v1/admin/audit?limit=2").get_json()
    assert len(first["entries"]) == 2
    second = corp.client.get(f"/v1/admin/audit?limit=2&before={first['next_before']}").get_json()
    assert [e["id"] for e in second["entries"]] == sorted(
        (e["id"] for e in second["entries"]), reverse=True
    )
    assert max(e["id"] for e in second["entries"]) < min(e["id"] for e in first["entries"])
    assert corp.client.get("/v1/admin/audit?limit=0").status_code == 422
    assert corp.client.get("/v1/admin/audit?limit=100000").status_code == 422


# --- statistics and /v1/events -------------------------------------------------------------


@pytest.fixture
def events_client(app, make_admin):
    make_admin(CORP, "olga@corp.example")
    app.config["API_KEYS"] = {API_KEY: CORP}
    client = app.test_client()

    def post(payload):
        return client.post(
            "/v1/events", json=payload, headers={"Authorization": f"Bearer {API_KEY}"}
        )

    return post


def test_events_are_counted_into_stats(events_client, corp):
    today = datetime.now(UTC).date()
    yesterday = today - timedelta(days=1)
    events = [
        {"rule": RULE, "severity": "warning", "outcome": "shown", "count": 3},
        {"rule": RULE, "severity": "warning", "outcome": "shown", "day": yesterday.isoformat()},
        {"rule": RULE, "severity": "hint", "outcome": "edited", "count": 2},
        {"rule": RULE, "severity": "warning", "outcome": "sent_anyway"},
    ]
    response = events_client({"events": events})
    assert response.status_code == 200
    assert response.get_json() == {"recorded": 4}
    assert events_client({"events": events[:1]}).status_code == 200

    stats = corp.client.get("/v1/admin/stats").get_json()
    assert stats["per_rule_per_day"] == [
        {"day": yesterday.isoformat(), "rule": RULE, "count": 1},
        {"day": today.isoformat(), "rule": RULE, "count": 6},
    ]
    assert stats["per_outcome"] == {
        "shown": 7,
        "edited": 2,
        "sent_anyway": 1,
        "changed_recipients": 0,
        "dismissed": 0,
    }
    edited = corp.client.get("/v1/admin/stats?outcome=edited").get_json()
    assert edited["per_rule_per_day"] == [{"day": today.isoformat(), "rule": RULE, "count": 2}]
    window = f"from={(today - timedelta(days=1)).isoformat()}&to={yesterday.isoformat()}"
    only_yesterday = corp.client.get(f"/v1/admin/stats?{window}").get_json()
    assert only_yesterday["per_outcome"]["shown"] == 1


def test_stats_query_is_checked(corp):
    assert corp.client.get("/v1/admin/stats?from=2025-02-01&to=2025-01-01").status_code == 422
    assert corp.client.get("/v1/admin/stats?from=2020-01-01&to=2025-01-01").status_code == 422
    assert corp.client.get("/v1/admin/stats?outcome=clicked").status_code == 422


@pytest.mark.parametrize(
    ("event", "field"),
    [
        ({"rule": RULE, "severity": "warning", "outcome": "clicked"}, "outcome"),
        ({"rule": "no-such-rule", "severity": "warning", "outcome": "shown"}, "rule"),
        ({"rule": RULE, "severity": "off", "outcome": "shown"}, "severity"),
        ({"rule": RULE, "severity": "warning", "outcome": "shown", "count": 0}, "count"),
        ({"rule": RULE, "severity": "warning", "outcome": "shown", "count": 10**6}, "count"),
        ({"rule": RULE, "severity": "warning", "outcome": "shown", "count": "3"}, "count"),
        ({"rule": RULE, "severity": "warning", "outcome": "shown", "day": "2001-01-01"}, "day"),
        ({"rule": RULE, "severity": "warning", "outcome": "shown", "text": CANARY}, "text"),
    ],
)
def test_bad_events_are_422_naming_the_field(events_client, event, field):
    response = events_client({"events": [event]})
    assert response.status_code == 422
    assert field in str(response.get_json()["errors"])


def test_events_are_capped(events_client):
    event = {"rule": RULE, "severity": "warning", "outcome": "shown"}
    assert events_client({"events": [event] * 501}).status_code == 422
    assert events_client({"events": []}).status_code == 422


def test_events_need_an_identity(app):
    response = app.test_client().post("/v1/events", json={"events": []})
    assert response.status_code == 401


def test_events_of_an_unknown_org_are_404(app):
    app.config["API_KEYS"] = {API_KEY: "nowhere.example"}
    event = {"rule": RULE, "severity": "warning", "outcome": "shown"}
    response = app.test_client().post(
        "/v1/events", json={"events": [event]}, headers={"Authorization": f"Bearer {API_KEY}"}
    )
    assert response.status_code == 404


def test_events_in_dev_mode_go_to_the_local_org(make_app, database_url):
    app = make_app(database_url, DEV_MODE=True)
    client = app.test_client()
    event = {"rule": RULE, "severity": "warning", "outcome": "dismissed", "count": 2}
    assert client.post("/v1/events", json={"events": [event]}).status_code == 200
    stats = client.get("/v1/admin/stats").get_json()
    assert stats["per_outcome"]["dismissed"] == 2


# --- documentation -------------------------------------------------------------------------


def test_admin_api_is_in_the_openapi_document(app):
    spec = app.test_client().get("/openapi.json").get_json()
    for path in (
        "/v1/admin/policy/draft",
        "/v1/admin/policy/preview",
        "/v1/admin/policy/publish",
        "/v1/admin/policy/rollback",
        "/v1/admin/audit",
        "/v1/admin/stats",
        "/v1/events",
    ):
        assert path in spec["paths"], path
    assert "adminSession" in spec["components"]["securitySchemes"]
    put = spec["paths"]["/v1/admin/policy/draft"]["put"]
    assert {"401", "403", "412", "422", "428"} <= set(put["responses"])


def test_store_is_untouched_by_a_refused_write(corp, app):
    with app.extensions["draftlint.storage"].sessions() as db:
        before = len(store.list_entries(db, store.get_org(db, CORP)))
    corp.client.put(
        "/v1/admin/policy/draft",
        json={"rules": {RULE: {"word": 1}}},
        headers=corp.headers(**{"If-Match": _etag(corp)}),
    )
    with app.extensions["draftlint.storage"].sessions() as db:
        assert len(store.list_entries(db, store.get_org(db, CORP))) == before
