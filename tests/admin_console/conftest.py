"""The admin console's pages through Flask's test client, on a throw-away SQLite file.

The app runs with the built-in rules and without dev mode, so nobody is signed in by default:
each admin signs in through the one-time link route, with a token from the store, exactly as
`draftlint admin create` hands one out. Two organisations, so every test can check isolation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from sign_in_links import redeem

from server import store
from server.app import create_app
from server.engine import current_storage
from server.store import Role

ORG = "corp.example"
OTHER_ORG = "other.example"


@dataclass
class Admin:
    client: object
    email: str
    org: str

    def csrf(self, path: str = "/admin/policy") -> str:
        """The CSRF token, read from a page as a browser would."""
        html = self.client.get(path).get_data(as_text=True)
        return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)

    def etag(self) -> str:
        html = self.client.get("/admin/policy").get_data(as_text=True)
        return re.search(r'name="etag" value="([^"]+)"', html).group(1).replace("&#34;", '"')


@pytest.fixture
def app(tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'admin.sqlite'}",
        }
    )
    store.upgrade(current_storage_of(app).database)
    with app.app_context(), current_storage().sessions.begin() as session:
        for slug in (ORG, OTHER_ORG):
            org = store.create_org(session, slug, slug, actor="test")
            for role in Role:
                store.add_admin(session, org, f"{role.value}@{slug}", role, actor="test")
    return app


def current_storage_of(app):
    with app.app_context():
        return current_storage()


@pytest.fixture
def sign_in(app):
    def sign_in(role: Role = Role.OWNER, org: str = ORG) -> Admin:
        email = f"{Role(role).value}@{org}"
        with app.app_context(), current_storage().sessions.begin() as session:
            token = store.issue_sign_in_token(
                session, store.get_org(session, org), email, actor="test"
            )
        client = app.test_client()
        response = redeem(client, f"/admin/sign-in/{token}")
        assert response.status_code in (302, 303), response.status_code
        return Admin(client, email, org)

    return sign_in


@pytest.fixture
def owner(sign_in) -> Admin:
    return sign_in(Role.OWNER)


@pytest.fixture
def in_store(app):
    """Run `fn(session, org)` in a transaction on an organisation's data."""

    def run(fn, org: str = ORG):
        with app.app_context(), current_storage().sessions.begin() as session:
            return fn(session, store.get_org(session, org))

    return run
