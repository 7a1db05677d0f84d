"""Every store test runs twice: on a SQLite file and on PostgreSQL.

PostgreSQL is `$TEST_POSTGRES_URL` (default: the server these machines run on 127.0.0.1). Each
test gets a schema of its own, made for it and dropped after it, reached through the URL's
`search_path`, so tests never see each other's rows. When PostgreSQL is unreachable its half of
the tests is skipped with the reason, except under CI (`$CI` set), where it fails: a green CI
run must mean both backends passed.
"""

import os
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from marshmallow import fields, validate

from linters import Finding, Severity
from linters.registry import Options, Registry, Rule
from server import store
from server.store import migrate

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BACKENDS = ("sqlite", "postgresql")


class WordOptions(Options):
    word = fields.String(validate=validate.Length(min=1, max=50))
    times = fields.Integer(strict=True, validate=validate.Range(min=1, max=100))


class RepeatsWord(Rule):
    """Warns when the new text says `word` at least `times` times: easy to steer from a policy."""

    id = "test-repeats-word"
    summary = "The new text repeats the configured word."
    default_severity = Severity.WARNING
    options = WordOptions
    defaults: Mapping = {"word": "OK", "times": 1}

    def check(self, ctx, options):
        if ctx.segmentation.new_text.count(options["word"]) >= options["times"]:
            yield Finding(
                rule=self.id,
                severity=self.default_severity,
                message=f"Says {options['word']!r}.",
                explanation="Say something more.",
            )


@pytest.fixture
def rules() -> Registry:
    return Registry({RepeatsWord.id: RepeatsWord()})


@pytest.fixture(scope="session")
def postgres_url() -> str:
    url = os.environ.get("TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    engine = sa.create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect():
            pass
    except sa.exc.OperationalError as exc:
        reason = f"PostgreSQL at {engine.url!r} is unreachable: {type(exc).__name__}"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI must test both backends", pytrace=False)
        pytest.skip(f"{reason}; set TEST_POSTGRES_URL or start PostgreSQL to run these")
    finally:
        engine.dispose()
    return url


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path: Path) -> Iterator[str]:
    """An empty database: a fresh SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.sqlite3'}"
        return
    base_url = request.getfixturevalue("postgres_url")
    schema = f"test_{uuid.uuid4().hex}"
    admin = sa.create_engine(base_url)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in base_url else "?"
    try:
        yield f"{base_url}{separator}options={quote(f'-csearch_path={schema}')}"
    finally:
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def database(database_url: str) -> Iterator[sa.Engine]:
    """The database migrated to the newest schema."""
    engine = store.connect(database_url)
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(database):
    return store.session_factory(database)


@pytest.fixture
def make_org(sessions):
    """make_org(slug) creates an organisation (actor "owner@<slug>") in its own transaction."""

    def make(slug: str = "corp.example") -> store.Organisation:
        with sessions.begin() as session:
            return store.create_org(session, slug, slug.title(), actor=f"owner@{slug}")

    return make


@pytest.fixture
def all_rows(database):
    """all_rows() is every row of every table, as one string to search."""
    return lambda: _dump(database)


def _dump(engine: sa.Engine) -> str:
    metadata = sa.MetaData()
    metadata.reflect(engine)
    with engine.connect() as connection:
        return "\n".join(
            repr(row)
            for table in metadata.sorted_tables
            for row in connection.execute(table.select())
        )
