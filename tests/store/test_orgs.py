"""Organisations, aliases, admins and one-time sign-in links."""

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from server import store
from server.store.models import SignInToken

ACTOR = "owner@corp.example"


@pytest.fixture
def org(make_org):
    return make_org("corp.example")


def test_an_organisation_is_found_by_slug_and_created_once(sessions, org):
    with sessions() as session:
        assert store.get_org(session, "corp.example").id == org.id
        with pytest.raises(store.NotFound):
            store.get_org(session, "nowhere.example")
    with pytest.raises(store.AlreadyExists), sessions.begin() as session:
        store.create_org(session, "corp.example", "Again", actor=ACTOR)


@pytest.mark.parametrize("slug", ["", "Corp.Example", "corp example", "-corp", "corp/x", "a" * 254])
def test_a_bad_slug_is_refused(sessions, slug):
    with pytest.raises(ValueError, match="slug"), sessions.begin() as session:
        store.create_org(session, slug, "Bad", actor=ACTOR)


def test_aliases_map_a_tenant_or_a_domain_to_one_organisation(sessions, org, make_org):
    tenant = "72F988BF-86F1-41AF-91AB-2D7CD011DB47"
    with sessions.begin() as session:
        store.add_alias(session, org, "entra-tenant", tenant, actor=ACTOR)
        store.add_alias(session, org, store.AliasKind.GOOGLE_DOMAIN, "corp.example", actor=ACTOR)

    with sessions() as session:
        assert store.org_for_alias(session, "entra-tenant", tenant.lower()).slug == "corp.example"
        assert store.org_for_alias(session, "google-domain", "CORP.example ").id == org.id
        assert store.org_for_alias(session, "google-domain", tenant) is None
        assert store.org_for_alias(session, "entra-tenant", "corp.example") is None

    other = make_org("other.example")
    with pytest.raises(store.AlreadyExists), sessions.begin() as session:
        store.add_alias(session, other, "google-domain", "corp.example", actor=ACTOR)
    with pytest.raises(ValueError), sessions.begin() as session:
        store.add_alias(session, org, "okta-org", "corp", actor=ACTOR)


def test_admins_have_lower_cased_emails_and_a_role(sessions, org):
    with sessions.begin() as session:
        store.add_admin(session, org, " Anna@Corp.Example", "editor", actor=ACTOR)
        store.add_admin(session, org, "ben@corp.example", store.Role.VIEWER, actor=ACTOR)

    with sessions() as session:
        anna = store.get_admin(session, org, "ANNA@corp.example")
        assert (anna.email, anna.role) == ("anna@corp.example", "editor")
        assert [a.email for a in store.list_admins(session, org)] == [
            "anna@corp.example",
            "ben@corp.example",
        ]
    with pytest.raises(store.AlreadyExists), sessions.begin() as session:
        store.add_admin(session, org, "anna@corp.example", "owner", actor=ACTOR)
    with pytest.raises(ValueError), sessions.begin() as session:
        store.add_admin(session, org, "cy@corp.example", "superuser", actor=ACTOR)


def test_a_sign_in_link_is_stored_only_as_its_hash_and_works_once(sessions, database, org):
    with sessions.begin() as session:
        store.add_admin(session, org, "a@corp.example", "owner", actor=ACTOR)
        token = store.issue_sign_in_token(session, org, "A@corp.example", actor=ACTOR)

    with database.connect() as connection:
        [row] = connection.execute(sa.select(SignInToken.__table__))
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in repr(row)

    with sessions.begin() as session:
        admin = store.redeem_sign_in_token(session, token)
        assert (admin.org_id, admin.email) == (org.id, "a@corp.example")
    with pytest.raises(store.NotFound), sessions.begin() as session:
        store.redeem_sign_in_token(session, token)


def test_a_sign_in_link_expires_after_24_hours(sessions, org):
    issued = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    with sessions.begin() as session:
        store.add_admin(session, org, "a@corp.example", "owner", actor=ACTOR)
        token = store.issue_sign_in_token(session, org, "a@corp.example", actor=ACTOR, now=issued)

    with pytest.raises(store.NotFound), sessions.begin() as session:
        store.redeem_sign_in_token(session, token, now=issued + timedelta(hours=24))
    with sessions.begin() as session:
        store.redeem_sign_in_token(session, token, now=issued + timedelta(hours=23, minutes=59))


def test_links_are_only_for_existing_admins_and_unknown_tokens_fail(sessions, org):
    with pytest.raises(store.NotFound), sessions.begin() as session:
        store.issue_sign_in_token(session, org, "stranger@corp.example", actor=ACTOR)
    with pytest.raises(store.NotFound), sessions.begin() as session:
        store.redeem_sign_in_token(session, "not-a-token")


def test_draftlint_admin_create_bootstraps_an_org_and_prints_a_working_link(database_url, capsys):
    from server.cli import main

    assert main(["db", "upgrade", "--database-url", database_url]) == 0
    capsys.readouterr()
    argv = ["admin", "create", "--org", "corp.example", "--email", "Boss@Corp.Example"]
    assert main([*argv, "--database-url", database_url, "--base-url", "https://lint.corp/"]) == 0

    out = capsys.readouterr().out
    assert "boss@corp.example is owner of corp.example" in out
    link = out.strip().splitlines()[-1]
    prefix = "https://lint.corp/admin/sign-in/"
    assert link.startswith(prefix)
    engine = store.connect(database_url)
    with store.session_factory(engine).begin() as session:
        admin = store.redeem_sign_in_token(session, link.removeprefix(prefix))
        assert (admin.org.slug, admin.role) == ("corp.example", "owner")
    engine.dispose()

    # Again, for the same admin: a new link, no duplicate org or admin.
    assert main([*argv, "--database-url", database_url]) == 0
    assert "http://127.0.0.1:8000/admin/sign-in/" in capsys.readouterr().out


def test_draftlint_admin_create_needs_a_migrated_database(database_url, capsys):
    from server.cli import main

    argv = ["admin", "create", "--org", "corp.example", "--email", "a@corp.example"]
    assert main([*argv, "--database-url", database_url]) == 2
    assert "run `draftlint db upgrade` first" in capsys.readouterr().err
