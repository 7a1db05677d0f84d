"""Who may see what: signed out, roles, and one organisation never seeing another's data."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from server import store
from server.store import Role

from .conftest import OTHER_ORG

PAGES = (
    "/admin/policy",
    "/admin/policy/export.yaml",
    "/admin/preview",
    "/admin/backtest",
    "/admin/publish",
    "/admin/history",
    "/admin/history/1/rollback",
    "/admin/audit",
    "/admin/stats",
    "/admin/session",
)


@pytest.mark.parametrize("path", PAGES)
def test_signed_out_pages_redirect_to_sign_in(app, path):
    response = app.test_client().get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/admin/sign-in?next=")


@pytest.mark.parametrize(
    "path",
    [
        "/admin/policy",
        "/admin/policy/import",
        "/admin/publish",
        "/admin/history/1/rollback",
        "/admin/backtest",
        "/admin/backtest/1/delete",
    ],
)
def test_signed_out_posts_change_nothing(app, in_store, path):
    def entries(session, org):
        return len(store.list_entries(session, org))

    before = in_store(entries)
    response = app.test_client().post(path, data={"etag": '"draft-0"'})
    assert response.status_code in (302, 403)
    assert in_store(entries) == before


@pytest.mark.parametrize("role", list(Role))
def test_every_role_reads_every_page(sign_in, in_store, role):
    def publish(session, org):
        etag = store.get_draft(session, org).etag
        store.publish(session, org, if_match=etag, actor="test")

    in_store(publish)
    admin = sign_in(role)
    for path in (
        "/admin/policy",
        "/admin/preview",
        "/admin/backtest",
        "/admin/history",
        "/admin/audit",
        "/admin/stats",
    ):
        response = admin.client.get(path)
        assert response.status_code == 200, path
        page = HTMLParser(response.get_data(as_text=True))
        who = page.css_first(".who").text(separator=" ")
        assert "corp.example" in who and f"{role.value}@corp.example" in who
        assert page.css_first('nav[aria-label="Admin console"] a[aria-current="page"]')
        # CSP-compatible: scripts only from files, no inline handlers or styles
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]
        assert all(script.attributes.get("src") for script in page.css("script"))
        for element in page.css("*"):
            assert "style" not in element.attributes, path
            assert not any(name.startswith("on") for name in element.attributes), path
        sign_out = page.css_first(".sign-out")
        assert sign_out.attributes["action"] == "/admin/sign-out"
        assert sign_out.css_first('input[name="csrf_token"]').attributes["value"]


def test_a_second_organisation_sees_only_its_own_data(sign_in, in_store):
    def tune_and_publish(session, org):
        etag = store.get_draft(session, org).etag
        store.save_draft(
            session,
            org,
            {"rules": {"large-audience": {"threshold": 77}}},
            if_match=etag,
            actor="owner@corp.example",
        )
        draft = store.get_draft(session, org)
        store.publish(
            session, org, if_match=draft.etag, actor="owner@corp.example", comment="corp-only"
        )
        store.record_events(
            session, org, [(datetime.now(UTC).date(), "large-audience", "hint", "shown", 9)]
        )

    in_store(tune_and_publish)
    other = sign_in(Role.OWNER, org=OTHER_ORG)

    policy = HTMLParser(other.client.get("/admin/policy").get_data(as_text=True))
    assert policy.css_first("#f-rules--large-audience--threshold").attributes["value"] == ""
    assert "77" not in other.client.get("/admin/policy/export.yaml").get_data(as_text=True)
    history = other.client.get("/admin/history").get_data(as_text=True)
    assert "Nothing has been published yet" in history and "corp-only" not in history
    audit = other.client.get("/admin/audit").get_data(as_text=True)
    assert "owner@corp.example" not in audit and "corp-only" not in audit
    stats = other.client.get("/admin/stats").get_data(as_text=True)
    assert "large-audience" not in stats.split("What people did")[0].split("Findings shown")[1]
    # corp's version 1 does not exist for the other organisation
    assert other.client.get("/admin/history/1/rollback").status_code == 404
    etag = (
        HTMLParser(other.client.get("/admin/policy").get_data(as_text=True))
        .css_first('input[name="etag"]')
        .attributes["value"]
    )
    response = other.client.post(
        "/admin/history/1/rollback", data={"csrf_token": other.csrf(), "etag": etag}
    )
    assert response.status_code == 404
    # Saving in the other organisation leaves corp's draft alone.
    response = other.client.post(
        "/admin/policy",
        data={
            "csrf_token": other.csrf(),
            "etag": etag,
            "rules.large-audience.threshold": "30",
            "rules.content-free-reply-all.exempt_subjects": "\\[VOTE\\]",
            "rules.empty-check-in.compose_types": ["new", "reply", "reply_all", "forward"],
            "rules.vague-confusion.compose_types": ["new", "reply", "reply_all", "forward"],
        },
    )
    assert response.status_code == 303
    corp = in_store(lambda s, o: store.get_draft(s, o).document)
    other_doc = in_store(lambda s, o: store.get_draft(s, o).document, org=OTHER_ORG)
    assert corp["rules"]["large-audience"]["threshold"] == 77
    assert other_doc == {"rules": {"large-audience": {"threshold": 30}}}
