"""Fixtures for the admin tests: a database on both backends, an app wired to an identity-provider
stand-in, and helpers to sign in the way a browser does.

The stand-in (`idp`) is a real OpenID provider on https://127.0.0.1:<port> with its own keys,
discovery document, authorize and token endpoints (PKCE checked); it lives in tests/support/idp.py,
shared with the browser tests, whose docstring tells how it works. Tests choose who signs in
(`idp.claims`) and can spoil the token (`idp.tamper`, `idp.sign_with_rogue_key`) to check that
verification refuses it; nothing is patched in the app.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

# --- the identity-provider stand-in (tests/support/idp.py) ---------------------------------
import idp as idp_support
import pytest
from sign_in_links import redeem

from server import store
from server.app import create_app

IdentityProvider = idp_support.IdentityProvider
idp_config = idp_support.idp_config


@pytest.fixture(scope="session")
def _idp_server(tmp_path_factory) -> Iterator[IdentityProvider]:
    with idp_support.serve(tmp_path_factory.mktemp("idp")) as server:
        yield server


@pytest.fixture
def idp(_idp_server) -> Iterator[IdentityProvider]:
    _idp_server.reset()
    yield _idp_server
    _idp_server.reset()


# --- the app (databases: `database_url` and `sqlite_url` of tests/conftest.py) ------------


@pytest.fixture
def make_app(registry, idp):
    """make_app(database_url, **config): the app under test, wired to the stand-in."""

    def make(database_url: str, **config):
        settings = {"TESTING": True, "DATABASE_URL": database_url, **idp_config(idp)}
        settings.update(config)
        return create_app(settings, registry=registry)

    return make


@pytest.fixture
def app(make_app, database_url):
    return make_app(database_url)


@pytest.fixture
def sessions(app):
    return app.extensions["draftlint.storage"].sessions


@pytest.fixture
def make_admin(sessions):
    """make_admin(org, email, role, entra_tenant=, google_domain=) creates what is missing."""

    def make(
        org_slug: str, email: str, role: str = "owner", *, entra_tenant=None, google_domain=None
    ):
        with sessions.begin() as db:
            try:
                org = store.get_org(db, org_slug)
            except store.NotFound:
                org = store.create_org(db, org_slug, org_slug.title(), actor="setup")
            if entra_tenant:
                store.add_alias(db, org, "entra-tenant", entra_tenant, actor="setup")
            if google_domain:
                store.add_alias(db, org, "google-domain", google_domain, actor="setup")
            if email and store.get_admin(db, org, email) is None:
                store.add_admin(db, org, email, role, actor="setup")

    return make


@pytest.fixture
def link_for(sessions):
    """link_for(org, email): a one-time sign-in path, as `draftlint admin create` prints it."""

    def issue(org_slug: str, email: str) -> str:
        with sessions.begin() as db:
            org = store.get_org(db, org_slug)
            return f"/admin/sign-in/{store.issue_sign_in_token(db, org, email, actor='cli')}"

    return issue


@dataclass
class Admin:
    """A browser signed in as an admin: the test client and its CSRF token."""

    client: object
    csrf: str

    def headers(self, **extra) -> dict:
        return {"X-CSRF-Token": self.csrf, **extra}


@pytest.fixture
def signed_in(app, make_admin, link_for):
    """signed_in(org, email, role): a fresh client signed in through a one-time link."""

    def sign_in(org_slug: str, email: str, role: str = "owner") -> Admin:
        make_admin(org_slug, email, role)
        client = app.test_client()
        response = redeem(client, link_for(org_slug, email))
        assert response.status_code == 303, response.get_data(as_text=True)
        me = client.get("/v1/admin/session")
        assert me.status_code == 200
        return Admin(client, me.get_json()["csrf_token"])

    return sign_in
