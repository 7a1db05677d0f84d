"""Connecting: which database, one engine per process, sessions from it."""

from __future__ import annotations

import os

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

SQLITE_FILE = "draftlint.sqlite3"


def resolve_url(configured: str | None, instance_path: str) -> str:
    """`configured` (the app's DATABASE_URL), else $DATABASE_URL, else a SQLite file in the
    instance folder: nothing to install for a first run."""
    return (
        configured
        or os.environ.get("DATABASE_URL")
        or f"sqlite:///{os.path.join(instance_path, SQLITE_FILE)}"
    )


def connect(url: str, **engine_options) -> Engine:
    """The engine for `url`: create it once per process and share it.

    SQLite gets foreign keys switched on (they are off by default) and a busy timeout, so
    concurrent writers wait for each other instead of failing at once.
    """
    if url.startswith("sqlite"):
        engine_options.setdefault("connect_args", {}).setdefault("timeout", 15)
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
