"""Every store test runs twice: on a SQLite file and on PostgreSQL.

PostgreSQL is `$TEST_POSTGRES_URL` (default: the server these machines run on 127.0.0.1). Each
test gets a schema of its own, made for it and dropped after it, reached through the URL's
`search_path`, so tests never see each other's rows. When PostgreSQL is unreachable its half of
the tests is skipped with the reason, except under CI (`$CI` set), where it fails: a green CI
run must mean both backends passed.
"""

from collections.abc import Iterator, Mapping

import pytest
import sqlalchemy as sa
from marshmallow import fields, validate

from linters import Finding, Severity
from linters.registry import Options, Registry, Rule
from server import store
from server.store import migrate


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


@pytest.fixture
def database_url(empty_database_url: str) -> str:
    """An empty database on each backend (tests/conftest.py)."""
    return empty_database_url


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
