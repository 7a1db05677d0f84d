"""Fixtures for the Outlook identity tests: the Microsoft stand-in, organisations mapped to its
tenants, and an app (with the real rules) wired to it.

The stand-in (`microsoft`) is a real HTTPS server on 127.0.0.1 playing Entra ID (discovery,
rotating signing keys, the on-behalf-of token endpoint MSAL talks to) and Microsoft Graph; it
lives in tests/support/entra.py, whose docstring tells how it works. Tokens are signed with its
keys, forged ones with others; nothing in the app is patched.
"""

from __future__ import annotations

import entra as entra_support
import pytest

from server import store
from server.app import create_app

TENANT_A = "a1a1a1a1-0000-4000-8000-00000000000a"
TENANT_B = "b2b2b2b2-0000-4000-8000-00000000000b"
TENANT_UNMAPPED = "c3c3c3c3-0000-4000-8000-00000000000c"
API_KEY = "script-key-0123456789abcdef"


@pytest.fixture(scope="session")
def _microsoft(tmp_path_factory):
    with entra_support.serve(tmp_path_factory.mktemp("microsoft")) as server:
        yield server


@pytest.fixture
def microsoft(_microsoft):
    _microsoft.reset()
    yield _microsoft
    _microsoft.reset()


@pytest.fixture
def outlook_config(microsoft) -> dict:
    """The OUTLOOK_* settings pointing at the stand-in, for tests that build parts by hand."""
    return entra_support.outlook_config(microsoft)


@pytest.fixture
def make_app(microsoft):
    """make_app(database_url, **config): the app with the built-in rules, wired to the stand-in,
    with organisation `alpha.example` on TENANT_A and `beta.example` on TENANT_B."""

    def make(database_url: str, *, with_secret: bool = True, **config):
        settings = {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "API_KEYS": {API_KEY: "alpha.example"},
            **entra_support.outlook_config(microsoft, with_secret=with_secret),
            **config,
        }
        app = create_app(settings)
        sessions = app.extensions["draftlint.storage"].sessions
        with sessions.begin() as db:
            for slug, tenant in (("alpha.example", TENANT_A), ("beta.example", TENANT_B)):
                org = store.create_org(db, slug, slug.title(), actor="setup")
                store.add_alias(db, org, "entra-tenant", tenant, actor="setup")
        return app

    return make


@pytest.fixture
def app(make_app, sqlite_url):
    return make_app(sqlite_url)


@pytest.fixture
def lint(app, microsoft):
    """lint(draft, tenant=TENANT_A, token=None) -> the response of POST /v1/lint."""
    client = app.test_client()

    def post(draft: dict, tenant: str = TENANT_A, token: str | None = None):
        token = token or microsoft.access_token(tenant)
        return client.post("/v1/lint", json=draft, headers={"Authorization": f"Bearer {token}"})

    return post


@pytest.fixture
def publish():
    """publish(app, org, document): publish a policy for an organisation, as an admin would."""

    def publish(app, slug: str, document: dict) -> None:
        engine_registry = app.extensions["draftlint"].registry
        sessions = app.extensions["draftlint.storage"].sessions
        with sessions.begin() as db:
            org = store.get_org(db, slug)
            etag = store.get_draft(db, org).etag
            draft = store.save_draft(
                db, org, document, if_match=etag, actor="a@x", registry=engine_registry
            )
            store.publish(db, org, if_match=draft.etag, actor="a@x", registry=engine_registry)

    return publish
