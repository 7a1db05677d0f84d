"""Connecting: which database, one engine per process, sessions from it."""

from __future__ import annotations

import os

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_FILE = "draftlint.sqlite3"
# Bounds of every database call a request makes, well inside Outlook's send budget (3 s): a
# database that accepts connections and never answers must not hold a worker (or a send).
CONNECT_TIMEOUT_S = 2  # libpq's least
STATEMENT_TIMEOUT_MS = 1500
POOL_TIMEOUT_S = 2


def resolve_url(configured: str | None, instance_path: str) -> str:
    """`configured` (the app's DATABASE_URL), else $DATABASE_URL, else a SQLite file in the
    instance folder: nothing to install for a first run."""
    return (
        configured
        or os.environ.get("DATABASE_URL")
        or f"sqlite:///{os.path.join(instance_path, SQLITE_FILE)}"
    )


def connect(url: str, *, bounded: bool = False, **engine_options) -> Engine:
    """The engine for `url`: create it once per process and share it.

    SQLite gets foreign keys switched on (they are off by default) and a busy timeout, so
    concurrent writers wait for each other instead of failing at once. `bounded` (the server's
    engine) limits how long PostgreSQL may take to connect, to run a statement and to lend a
    pooled connection; commands such as `db upgrade` run unbounded.
    """
    connect_args = engine_options.setdefault("connect_args", {})
    if url.startswith("sqlite"):
        connect_args.setdefault("timeout", 15)
    elif bounded and url.startswith("postgresql"):
        connect_args.setdefault("connect_timeout", CONNECT_TIMEOUT_S)
        # Added to the URL's own options (a search_path, say), which connect_args would replace.
        given = make_url(url).query.get("options", "")
        given = given if isinstance(given, str) else " ".join(given)
        timeout = f"-c statement_timeout={STATEMENT_TIMEOUT_MS}"
        connect_args.setdefault("options", f"{given} {timeout}".strip())
        engine_options.setdefault("pool_timeout", POOL_TIMEOUT_S)
    engine = create_engine(url, **engine_options)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_foreign_keys)
    return engine


def _sqlite_foreign_keys(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    # Objects stay readable after commit: the HTTP layer renders them after the transaction.
    return sessionmaker(engine, expire_on_commit=False)
