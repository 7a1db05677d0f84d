"""Migrations run from an empty database to head and back down to empty, on both backends."""

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from server import store
from server.cli import main
from server.store import migrate
from server.store.models import Base

TABLES = {
    "organisations",
    "org_aliases",
    "admins",
    "policy_drafts",
    "policy_versions",
    "audit_entries",
    "counters",
    "sign_in_tokens",
    "admin_sessions",
    "backtest_runs",
}


def _tables(engine: sa.Engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}


def test_upgrade_from_empty_to_head_and_down_to_base(database_url):
    engine = store.connect(database_url)
    assert _tables(engine) == set()
    assert migrate.current_revision(engine) is None

    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.head_revision()
    assert _tables(engine) == TABLES

    migrate.downgrade(engine, "base")
    assert migrate.current_revision(engine) is None
    assert _tables(engine) == set()

    migrate.upgrade(engine)  # and up again: the downgrade left nothing in the way
    assert _tables(engine) == TABLES
    engine.dispose()


def test_the_migrated_schema_matches_the_models(database):
    with database.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_draftlint_db_upgrade_and_downgrade(database_url, capsys):
    assert main(["db", "upgrade", "--database-url", database_url]) == 0
    assert "database at revision 0003" in capsys.readouterr().out
    assert main(["db", "downgrade", "--database-url", database_url]) == 0  # one step
    assert "database at revision 0002" in capsys.readouterr().out
    engine = store.connect(database_url)
    assert _tables(engine) == TABLES - {"backtest_runs"}
    assert main(["db", "downgrade", "base", "--database-url", database_url]) == 0
    assert "database at revision base (empty)" in capsys.readouterr().out
    assert _tables(engine) == set()
    engine.dispose()


def test_upgrading_a_0001_database_keeps_its_rows_and_adds_admin_sessions(database_url):
    """An install made before server-side sessions upgrades in place (`draftlint db upgrade`)."""
    engine = store.connect(database_url)
    migrate.upgrade(engine, "0001")
    with store.session_factory(engine).begin() as session:
        org = store.create_org(session, "corp.example", "Corp", actor="cli")
        store.add_admin(session, org, "olga@corp.example", "owner", actor="cli")

    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.head_revision()
    with store.session_factory(engine).begin() as session:
        org = store.get_org(session, "corp.example")
        assert store.get_admin(session, org, "olga@corp.example").role == "owner"
        sid = store.start_admin_session(session, org, "olga@corp.example", "owner", method="link")
        assert store.find_admin_session(session, sid).email == "olga@corp.example"
    engine.dispose()


def test_upgrading_a_0002_database_keeps_its_rows_and_adds_backtest_runs(database_url):
    engine = store.connect(database_url)
    migrate.upgrade(engine, "0002")
    with store.session_factory(engine).begin() as session:
        org = store.create_org(session, "corp.example", "Corp", actor="cli")
        store.add_admin(session, org, "olga@corp.example", "owner", actor="cli")

    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == "0003"
    with store.session_factory(engine).begin() as session:
        org = store.get_org(session, "corp.example")
        run = store.start_backtest(
            session,
            org,
            actor="olga@corp.example",
            upload_bytes=10,
            draft_revision=0,
            published_version=None,
        )
        assert store.list_backtests(session, org)[0].id == run.id
    migrate.downgrade(engine, "0002")  # and back: the runs go, the rest stays
    assert _tables(engine) == TABLES - {"backtest_runs"}
    engine.dispose()
