"""The server's engine bounds every database call; commands' engines do not."""

import sqlalchemy as sa

from server.store.database import STATEMENT_TIMEOUT_MS, connect


def test_the_servers_engine_bounds_statements_and_keeps_the_urls_options(database, database_url):
    engine = connect(database_url, bounded=True)
    try:
        with engine.connect() as connection:
            if engine.dialect.name != "postgresql":
                return  # SQLite is a local file: its busy timeout is what bounds it
            timeout = connection.execute(sa.text("SHOW statement_timeout")).scalar()
            assert timeout == f"{STATEMENT_TIMEOUT_MS}ms"
            # The test database's own options (its schema on the search path) still hold.
            assert connection.execute(sa.text("SELECT count(*) FROM organisations")).scalar() == 0
    finally:
        engine.dispose()


def test_commands_run_unbounded(database_url):
    engine = connect(database_url)
    try:
        if engine.dialect.name == "postgresql":
            with engine.connect() as connection:
                assert connection.execute(sa.text("SHOW statement_timeout")).scalar() == "0"
    finally:
        engine.dispose()
