"""The "Your session" page: how and until when this browser is signed in, on how many browsers,
and "Sign out everywhere" (a form posted with the CSRF token)."""

from __future__ import annotations

import pytest
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from server import store
from server.app import create_app
from server.store import Role

from .conftest import ORG


def _page(client):
    response = client.get("/admin/session")
    assert response.status_code == 200
    return HTMLParser(response.get_data(as_text=True))


@pytest.mark.parametrize("role", list(Role))
def test_every_role_sees_its_session_and_can_end_them_all(sign_in, role):
    admin = sign_in(role)
    other_browser = sign_in(role)
    colleague = sign_in(Role.OWNER if role != Role.OWNER else Role.VIEWER)

    page = _page(admin.client)
    link = page.css_first('.who a[href="/admin/session"]')
    assert link.text() == "Your session"
    assert link.attributes.get("aria-current") == "page"
    main = page.css_first("main").text(separator=" ")
    assert f"as {role.value}@{ORG}, {role.value}" in " ".join(main.split())
    assert "a one-time link" in main
    assert "on 2 browsers" in " ".join(main.split())
    form = page.css_first('form[action="/admin/sign-out-everywhere"]')
    assert form.css_first("button").text() == "Sign out everywhere"
    csrf = form.css_first('input[name="csrf_token"]').attributes["value"]

    response = admin.client.post("/admin/sign-out-everywhere", data={"csrf_token": csrf})

    assert response.status_code == 302
    for client in (admin.client, other_browser.client):
        assert client.get("/admin/policy").status_code == 302  # to the sign-in page
    assert colleague.client.get("/admin/policy").status_code == 200


def test_sign_out_everywhere_needs_the_csrf_token(owner, in_store):
    assert owner.client.post("/admin/sign-out-everywhere").status_code == 403
    assert owner.client.get("/admin/policy").status_code == 200

    def actions(session, org):
        return [entry.action for entry in store.list_entries(session, org)]

    assert "admin.sign-out-everywhere" not in in_store(actions)


def test_the_link_to_the_page_is_on_every_page(owner):
    for path in ("/admin/policy", "/admin/history", "/admin/audit"):
        page = HTMLParser(owner.client.get(path).get_data(as_text=True))
        assert page.css_first('.who a[href="/admin/session"]'), path


def test_dev_mode_has_no_session_to_end(tmp_path):
    app = create_app({"DEV_MODE": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'dev.sqlite3'}"})
    main = _page(app.test_client()).css_first("main")
    assert "Dev mode" in main.text()
    assert main.css_first("form") is None
