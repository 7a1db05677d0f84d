"""Signing in to the admin console in a real headless Chromium, not in dev mode.

The app runs as in production (a secret key, Secure session cookies, no dev-mode admin) on a
fresh SQLite file, bootstrapped the way an operator does it: `draftlint admin create` with
`--entra-tenant` and `--google-domain`. Microsoft and Google sign-in go through the
identity-provider stand-in of tests/support/idp.py on https://127.0.0.1 (it approves at once),
with the real OIDC code on the server side: MSAL, PKCE, ID-token verification. Only this
browser context ignores certificate errors, for the stand-in's self-signed certificate.
"""

from __future__ import annotations

import re
import secrets
from contextlib import redirect_stdout
from io import StringIO

import idp as idp_support
import pytest

from server.app import create_app
from server.cli import main as draftlint

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
expect = sync_api.expect

ORG = "corp.example"
TENANT = "7f6b1c2a-0000-4000-8000-00000000c0de"
UNKNOWN_TENANT = "11111111-dead-beef-0000-000000000000"
NO_ACCESS = "You are not an admin of an organisation on this draftlint server."


@pytest.fixture(scope="module")
def idp_server(tmp_path_factory):
    with idp_support.serve(tmp_path_factory.mktemp("idp")) as server:
        yield server


@pytest.fixture
def idp(idp_server):
    idp_server.reset()
    yield idp_server
    idp_server.reset()


def cli(*args: str) -> str:
    """Run `draftlint ...` as an operator would; its output."""
    out = StringIO()
    with redirect_stdout(out):
        code = draftlint(list(args))
    assert code == 0, out.getvalue()
    return out.getvalue()


@pytest.fixture(scope="module")
def live(serve, tmp_path_factory, idp_server):
    """The app as deployed, on loopback: (base url, database url)."""
    database_url = f"sqlite:///{tmp_path_factory.mktemp('sign-in-db') / 'draftlint.sqlite'}"
    cli("db", "upgrade", "--database-url", database_url)
    bootstrap = ["admin", "create", "--org", ORG, "--database-url", database_url]
    cli(*bootstrap, "--email", "olga@corp.example", "--entra-tenant", TENANT)
    cli(*bootstrap, "--email", "gus@corp.example", "--role", "editor")
    cli("org", "alias", "--org", ORG, "--google-domain", ORG, "--database-url", database_url)
    app = create_app(
        {
            "SECRET_KEY": secrets.token_urlsafe(32),
            "DATABASE_URL": database_url,
            **idp_support.idp_config(idp_server),
        }
    )
    assert not app.config["DEV_MODE"] and app.config["SESSION_COOKIE_SECURE"]
    with serve(app) as url:
        yield url, database_url


@pytest.fixture
def page(open_page, live):
    """A fresh browser (no cookies) that accepts the stand-in's self-signed certificate."""
    base_url, _ = live
    return open_page(base_url, ignore_https_errors=True)


def url_of(live, path: str) -> re.Pattern:
    return re.compile("^" + re.escape(live[0] + path) + r"(\?.*)?$")


def expect_signed_in(page, live, email: str, role: str) -> None:
    expect(page).to_have_url(url_of(live, "/admin/policy"))
    who = page.locator(".who")
    expect(who.locator("strong")).to_have_text(ORG)
    expect(who.locator(".who-email")).to_contain_text(f"{email} ({role})")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def expect_sign_in_page(page, live) -> None:
    expect(page).to_have_url(url_of(live, "/admin/sign-in"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to the admin console")


def start_at_the_console(page, live, provider: str) -> None:
    page.goto("/admin")
    expect_sign_in_page(page, live)
    assert "next=%2Fadmin" in page.url
    page.get_by_role("link", name=f"Sign in with {provider}").click()


def test_sign_in_with_microsoft_then_sign_out(page, live, idp):
    idp.claims = {"tid": TENANT, "preferred_username": "Olga@corp.example"}

    start_at_the_console(page, live, "Microsoft")

    expect_signed_in(page, live, "olga@corp.example", "owner")
    # It went through the stand-in: an authorization code flow with PKCE, redeemed once.
    assert [r["code_challenge_method"] for r in idp.authorize_requests] == ["S256"]
    assert [r["grant_type"] for r in idp.token_requests] == ["authorization_code"]
    cookie = next(c for c in page.context.cookies() if c["name"] == "draftlint_session")
    assert cookie["secure"] and cookie["httpOnly"] and cookie["sameSite"] == "Lax"

    page.get_by_role("button", name="Sign out").click()
    expect_sign_in_page(page, live)
    page.goto("/admin/policy")
    expect_sign_in_page(page, live)
    assert "next=%2Fadmin%2Fpolicy" in page.url


def test_sign_in_with_google(page, live, idp):
    idp.claims = {"hd": "corp.example", "email": "gus@corp.example"}

    start_at_the_console(page, live, "Google")

    expect_signed_in(page, live, "gus@corp.example", "editor")
    assert [r["code_challenge_method"] for r in idp.authorize_requests] == ["S256"]
    page.get_by_role("link", name="Audit log").click()
    expect(page.locator("main")).to_contain_text("admin.sign-in")


def test_an_unknown_tenant_is_refused_clearly(page, live, idp):
    idp.claims = {"tid": UNKNOWN_TENANT, "preferred_username": "eve@elsewhere.example"}

    start_at_the_console(page, live, "Microsoft")

    expect(page.get_by_role("heading", level=1)).to_have_text("Not allowed")
    expect(page.get_by_role("alert")).to_have_text(NO_ACCESS)
    expect(page.get_by_role("link", name="Sign in as someone else")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    page.goto("/admin")
    expect_sign_in_page(page, live)


def test_the_link_printed_by_admin_create_signs_in_once(page, live):
    base_url, database_url = live
    out = cli(
        "admin", "create", "--org", ORG, "--email", "lina@corp.example", "--role", "viewer",
        "--base-url", base_url, "--database-url", database_url,
    )  # fmt: skip
    link = re.search(r"^(http://\S+/admin/sign-in/\S+)$", out, re.MULTILINE)
    assert link, out

    page.goto(link[1])  # opening it spends nothing (a mail scanner may do just that)
    page.goto(link[1])
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect_signed_in(page, live, "lina@corp.example", "viewer")

    page.get_by_role("button", name="Sign out").click()
    expect_sign_in_page(page, live)
    page.goto(link[1])
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("alert")).to_have_text(
        "This sign-in link is unknown, used or expired. Ask for a new one."
    )
    page.goto("/admin")
    expect_sign_in_page(page, live)
