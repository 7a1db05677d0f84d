"""`draftlint admin create` with identity-provider aliases, and `draftlint org alias`, on a
throw-away SQLite database."""

from __future__ import annotations

import re

import pytest

from server import store
from server.cli import main
from server.store import migrate

TENANT = "7f6b1c2a-0000-4000-8000-00000000c0de"
OTHER_TENANT = "11111111-2222-4333-8444-555555555555"


@pytest.fixture
def database_url(tmp_path, monkeypatch) -> str:
    """A migrated SQLite file, given to the commands as $DATABASE_URL."""
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    migrate.upgrade(url)
    monkeypatch.setenv("DATABASE_URL", url)
    return url


def aliases_of(url: str) -> dict[tuple[str, str], str]:
    """{(kind, value): org slug} for every alias in the database."""
    engine = store.connect(url)
    try:
        with store.session_factory(engine)() as session:
            rows = session.query(store.OrgAlias).all()
            return {(a.kind, a.value): a.org.slug for a in rows}
    finally:
        engine.dispose()


def orgs_of(url: str) -> set[str]:
    engine = store.connect(url)
    try:
        with store.session_factory(engine)() as session:
            return {org.slug for org in session.query(store.Organisation).all()}
    finally:
        engine.dispose()


CREATE = ["admin", "create", "--org", "corp.example", "--email", "olga@corp.example"]


def create(*extra: str) -> int:
    return main([*CREATE, *extra])


def test_admin_create_maps_a_tenant_and_a_domain(database_url, capsys):
    code = create("--entra-tenant", TENANT.upper(), "--google-domain", "Corp.Example")
    out = capsys.readouterr().out

    assert code == 0
    assert f"Mapped entra-tenant {TENANT} to corp.example." in out
    assert "Mapped google-domain corp.example to corp.example." in out
    assert re.search(r"http://127\.0\.0\.1:8000/admin/sign-in/\S+", out)
    assert aliases_of(database_url) == {
        ("entra-tenant", TENANT): "corp.example",
        ("google-domain", "corp.example"): "corp.example",
    }


def test_admin_create_again_with_the_same_alias_issues_a_new_link(database_url, capsys):
    assert create("--entra-tenant", TENANT) == 0
    capsys.readouterr()

    assert create("--entra-tenant", TENANT) == 0
    out = capsys.readouterr().out
    assert "was already mapped to corp.example" in out
    assert "/admin/sign-in/" in out


def test_admin_create_with_a_taken_alias_changes_nothing(database_url, capsys):
    assert create("--google-domain", "corp.example") == 0
    capsys.readouterr()

    args = ["admin", "create", "--org", "other.example", "--email", "x@other.example"]
    code = main([*args, "--google-domain", "corp.example"])
    captured = capsys.readouterr()

    assert code == 2
    assert captured.err.strip() == (
        "draftlint: google-domain 'corp.example' already belongs to organisation "
        "'corp.example'; a tenant or domain maps to one organisation only"
    )
    assert "sign-in" not in captured.out
    assert orgs_of(database_url) == {"corp.example"}  # rolled back: no half-made organisation


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--entra-tenant", "contoso.onmicrosoft.com", "give the tenant ID, a GUID"),
        ("--google-domain", "olga@corp.example", "give the Google Workspace domain"),
        ("--google-domain", "", "give the Google Workspace domain"),
    ],
)
def test_malformed_aliases_are_refused(database_url, capsys, option, value, message):
    assert create(option, value) == 2
    assert message in capsys.readouterr().err
    assert orgs_of(database_url) == set()


def test_org_alias_maps_to_an_existing_org(database_url, capsys):
    assert create() == 0
    capsys.readouterr()

    assert main(["org", "alias", "--org", "corp.example", "--entra-tenant", TENANT]) == 0
    assert capsys.readouterr().out == f"Mapped entra-tenant {TENANT} to corp.example.\n"
    assert main(["org", "alias", "--org", "corp.example", "--google-domain", "corp.example"]) == 0
    assert main(["org", "alias", "--org", "corp.example", "--google-domain", "corp.example"]) == 0
    assert "was already mapped" in capsys.readouterr().out.splitlines()[-1]
    assert aliases_of(database_url) == {
        ("entra-tenant", TENANT): "corp.example",
        ("google-domain", "corp.example"): "corp.example",
    }


def test_org_alias_records_an_audit_entry(database_url, capsys):
    assert create() == 0
    assert main(["org", "alias", "--org", "corp.example", "--entra-tenant", TENANT]) == 0

    engine = store.connect(database_url)
    try:
        with store.session_factory(engine)() as session:
            org = store.get_org(session, "corp.example")
            entries = store.list_entries(session, org)
            assert (entries[0].actor, entries[0].action) == ("cli", "alias.add")
    finally:
        engine.dispose()


def test_org_alias_for_an_unknown_org_exits_2(database_url, capsys):
    code = main(["org", "alias", "--org", "nobody.example", "--entra-tenant", TENANT])

    assert code == 2
    assert capsys.readouterr().err.strip() == (
        "draftlint: no organisation 'nobody.example': create it with `draftlint admin create`"
    )
    assert aliases_of(database_url) == {}


def test_org_alias_taken_by_another_org_exits_2(database_url, capsys):
    assert create("--entra-tenant", TENANT) == 0
    assert main(["admin", "create", "--org", "b.example", "--email", "b@b.example"]) == 0
    capsys.readouterr()

    code = main(["org", "alias", "--org", "b.example", "--entra-tenant", TENANT])

    assert code == 2
    assert f"entra-tenant '{TENANT}' already belongs to organisation 'corp.example'" in (
        capsys.readouterr().err
    )
    assert aliases_of(database_url) == {("entra-tenant", TENANT): "corp.example"}


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["--entra-tenant", TENANT, "--google-domain", "corp.example"],
    ],
)
def test_org_alias_takes_exactly_one_kind(database_url, capsys, args):
    assert main(["org", "alias", "--org", "corp.example", *args]) == 2
    assert "usage: draftlint org alias" in capsys.readouterr().err


def test_commands_need_an_upgraded_database(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'empty.sqlite3'}")

    assert main(["org", "alias", "--org", "corp.example", "--entra-tenant", TENANT]) == 2
    assert "run `draftlint db upgrade` first" in capsys.readouterr().err


# --- admin remove (what it does to live sessions: tests/admin/test_revocation.py) ----------

REMOVE = ["admin", "remove", "--org", "corp.example", "--email", "olga@corp.example"]


def _sessions_of(url: str) -> list[str]:
    engine = store.connect(url)
    try:
        with store.session_factory(engine)() as session:
            return [row.email for row in session.query(store.AdminSession).all()]
    finally:
        engine.dispose()


def _start_session(url: str, email: str, role: str, **options) -> None:
    engine = store.connect(url)
    try:
        with store.session_factory(engine).begin() as session:
            org = store.get_org(session, "corp.example")
            store.start_admin_session(session, org, email, role, **options)
    finally:
        engine.dispose()


def test_admin_remove_takes_the_admin_off_and_ends_their_sessions(database_url, capsys):
    assert create("--role", "editor") == 0
    _start_session(database_url, "olga@corp.example", "editor", method="link")
    capsys.readouterr()

    assert main(REMOVE) == 0
    assert capsys.readouterr().out == (
        "Removed olga@corp.example (editor) from corp.example; ended 1 session.\n"
    )
    assert _sessions_of(database_url) == []

    assert main(REMOVE) == 2  # again: nobody left to remove
    assert capsys.readouterr().err == (
        "draftlint: no admin 'olga@corp.example' in corp.example, and no session of theirs to "
        "end: nothing was changed\n"
    )


def test_admin_remove_of_an_app_role_admin_says_what_it_did(database_url, capsys):
    assert create() == 0
    _start_session(database_url, "anna@corp.example", "owner", method="entra", app_role=True)
    capsys.readouterr()

    code = main(["admin", "remove", "--org", "corp.example", "--email", "anna@corp.example"])

    assert code == 0
    assert capsys.readouterr().out == (
        "anna@corp.example is not on corp.example's admin list: signed in through a Microsoft "
        "Entra app role. Ended 1 session. Take the Draftlint app role away in Entra ID, or they "
        "can sign in again.\n"
    )
    assert _sessions_of(database_url) == []


def test_admin_remove_in_an_unknown_org_exits_2(database_url, capsys):
    assert main([*REMOVE[:3], "nobody.example", *REMOVE[4:]]) == 2
    assert capsys.readouterr().err == "draftlint: no organisation 'nobody.example'\n"


def test_admin_remove_needs_an_upgraded_database(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    assert main(REMOVE) == 2
    assert "run `draftlint db upgrade` first" in capsys.readouterr().err
