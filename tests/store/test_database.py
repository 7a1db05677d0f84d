"""The server's engine bounds every database call; commands' engines do not."""

import sqlalchemy as sa

from server.store.database import STATEMENT_TIMEOUT_MS, connect

SQLITE_BUSY_MS = "15000"  # both wait this long for another writer on a SQLite file


def _setting(connection, dialect: str) -> str:
    query = "SHOW statement_timeout" if dialect == "postgresql" else "PRAGMA busy_timeout"
    return str(connection.execute(sa.text(query)).scalar())


def test_the_servers_engine_bounds_statements_and_keeps_the_urls_options(database, database_url):
    engine = connect(database_url, bounded=True)
    try:
        with engine.connect() as connection:
            dialect = engine.dialect.name
            expected = f"{STATEMENT_TIMEOUT_MS}ms" if dialect == "postgresql" else SQLITE_BUSY_MS
            assert _setting(connection, dialect) == expected
            # The test database's own options (its schema on the search path) still hold.
            assert connection.execute(sa.text("SELECT count(*) FROM organisations")).scalar() == 0
    finally:
        engine.dispose()


def test_commands_run_unbounded(database_url):
    engine = connect(database_url)
    try:
        with engine.connect() as connection:
            dialect = engine.dialect.name
            expected = "0" if dialect == "postgresql" else SQLITE_BUSY_MS
            assert _setting(connection, dialect) == expected
    finally:
        engine.dispose()
