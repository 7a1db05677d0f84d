"""Schema migrations (Alembic), run from code: no alembic.ini to find or keep in sync.

`upgrade(engine_or_url)` brings a database to the newest schema, `downgrade(engine_or_url, rev)`
takes it back; `draftlint db upgrade|downgrade` calls them. New revisions go in
`migrations/versions/`, numbered `NNNN_what.py`, written by hand or with Alembic's autogenerate
against `models.Base.metadata` (tests/store/test_migrations.py fails when the two disagree).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

from .database import connect

MIGRATIONS = Path(__file__).parent / "migrations"


def config(connection: Connection | None = None) -> Config:
    """An Alembic configuration pointing at our migrations; env.py runs them on `connection`."""
    alembic_config = Config()
    alembic_config.set_main_option("script_location", str(MIGRATIONS))
    alembic_config.attributes["connection"] = connection
    return alembic_config


@contextmanager
def _connection(engine_or_url: Engine | str) -> Iterator[Connection]:
    engine = connect(engine_or_url) if isinstance(engine_or_url, str) else engine_or_url
    try:
        with engine.begin() as connection:
            yield connection
    finally:
        if engine is not engine_or_url:
            engine.dispose()


def upgrade(engine_or_url: Engine | str, revision: str = "head") -> None:
    with _connection(engine_or_url) as connection:
        command.upgrade(config(connection), revision)


def downgrade(engine_or_url: Engine | str, revision: str = "-1") -> None:
    """Go back to `revision`: "-1" is one step, "base" an empty database."""
    with _connection(engine_or_url) as connection:
        command.downgrade(config(connection), revision)


def current_revision(engine_or_url: Engine | str) -> str | None:
    with _connection(engine_or_url) as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(config()).get_current_head()
