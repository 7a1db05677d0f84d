"""`require_admin` on HTML pages (the console's) and JSON routes, and `current_admin`."""

import pytest
from flask import jsonify, render_template_string

from server.admin.session import current_admin, require_admin
from server.store import Role


@pytest.fixture
def app(make_app, sqlite_url):
    app = make_app(sqlite_url)

    @app.route("/admin/test-page")
    @require_admin(Role.EDITOR)
    def page():
        return f"hello {current_admin().email}"

    @app.route("/v1/admin/test-json")
    @require_admin(Role.OWNER)
    def json_route():
        return jsonify(email=current_admin().email)

    @app.route("/admin/test-form")
    @require_admin()
    def form():
        return render_template_string("{{ csrf_token() }}")

    return app


def test_a_page_redirects_to_sign_in_with_next(app):
    response = app.test_client().get("/admin/test-page?tab=2")
    assert response.status_code == 302
    assert response.location == "/admin/sign-in?next=%2Fadmin%2Ftest-page%3Ftab%3D2"


def test_a_page_refuses_too_low_a_role_with_a_page(signed_in):
    viewer = signed_in("corp.example", "vic@corp.example", "viewer")
    response = viewer.client.get("/admin/test-page")
    assert response.status_code == 403
    assert response.mimetype == "text/html"
    assert "editor" in response.get_data(as_text=True)


def test_a_page_lets_the_role_in(signed_in):
    editor = signed_in("corp.example", "ed@corp.example", "editor")
    assert editor.client.get("/admin/test-page").get_data(as_text=True) == "hello ed@corp.example"


def test_json_routes_answer_401_and_403_as_problems(app, signed_in):
    anonymous = app.test_client().get("/v1/admin/test-json")
    assert anonymous.status_code == 401
    assert anonymous.mimetype == "application/problem+json"
    editor = signed_in("corp.example", "ed@corp.example", "editor")
    refused = editor.client.get("/v1/admin/test-json")
    assert refused.status_code == 403
    assert refused.mimetype == "application/problem+json"
    owner = signed_in("corp.example", "olga@corp.example", "owner")
    assert owner.client.get("/v1/admin/test-json").get_json() == {"email": "olga@corp.example"}


def test_csrf_token_is_a_template_global_matching_the_session(signed_in):
    owner = signed_in("corp.example", "olga@corp.example", "owner")
    assert owner.client.get("/admin/test-form").get_data(as_text=True) == owner.csrf
