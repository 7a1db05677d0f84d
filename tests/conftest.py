"""Fixtures shared across test folders: a small predictable rule registry for the adapter tests
(tests/cli, tests/server), and empty databases on both backends (tests/store, tests/admin).

The adapters run against a registry holding one small, predictable rule instead of the built-in
rules, which are tested in tests/linters and change as they are tuned. pytest imports test files
and conftests with `--import-mode=importlib` (pyproject.toml), so this file does not put tests/ on
sys.path, where tests/linters and tests/server would shadow the real packages.
"""

import os
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
import redis
import sqlalchemy as sa
from marshmallow import fields
from servers import postgres_schema, unreachable  # tests/support, on the path (pyproject.toml)

from linters import Finding, Severity, Span
from linters.registry import Options, PluginError, Registry, Rule
from server.store import migrate

BROKEN_PLUGIN = PluginError(
    "broken = broken_pkg:Rule", "failed to import: ModuleNotFoundError: No module named 'x'"
)


class WordOptions(Options):
    word = fields.String(metadata={"description": "The word that trips the rule."})


class SaysWord(Rule):
    """Warns when the new text contains `word` ("OK" unless configured)."""

    id = "test-says-word"
    summary = "The new text contains the configured word."
    default_severity = Severity.WARNING
    options = WordOptions
    defaults: Mapping = {"word": "OK"}
    docs = "docs/rules/test-says-word.md"

    def check(self, ctx, options):
        text = ctx.segmentation.new_text
        start = text.find(options["word"])
        if start >= 0:
            end = start + len(options["word"])
            yield Finding(
                rule=self.id,
                severity=self.default_severity,
                message=f"Says {options['word']!r}.",
                explanation="Say something more.",
                excerpt=text[start:end],
                span=Span(start, end),
            )


@pytest.fixture
def registry() -> Registry:
    """The test registry: `SaysWord`, and one plugin that failed to load."""
    return Registry({SaysWord.id: SaysWord()}, errors=(BROKEN_PLUGIN,))


class Clock:
    """A clock the tests move by hand (`clock.now += 61`), for caches' expiry and refresh."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


# --- databases: every persistence test runs on a SQLite file and on PostgreSQL ---------------

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """`$TEST_POSTGRES_URL` (default: the server these machines run). Unreachable: the PostgreSQL
    half of the tests is skipped with the reason, except under CI (`$CI` set), where it fails, so
    that a green CI run means both backends passed."""
    url = os.environ.get("TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    engine = sa.create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect():
            pass
    except sa.exc.OperationalError as exc:
        unreachable(
            f"PostgreSQL at {engine.url!r} is unreachable: {type(exc).__name__}",
            "set TEST_POSTGRES_URL or start PostgreSQL to run these",
        )
    finally:
        engine.dispose()
    return url


@pytest.fixture(params=("sqlite", "postgresql"))
def empty_database_url(request, tmp_path: Path) -> Iterator[str]:
    """An empty database: a fresh SQLite file, or a PostgreSQL schema made for this test (reached
    through the URL's search_path) and dropped after it."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.sqlite3'}"
        return
    with postgres_schema(request.getfixturevalue("postgres_url")) as url:
        yield url


@pytest.fixture
def database_url(empty_database_url: str) -> str:
    """A database migrated to the newest schema, on each backend."""
    migrate.upgrade(empty_database_url)
    return empty_database_url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A migrated SQLite file, for tests that are about HTTP rather than the database."""
    url = f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
    migrate.upgrade(url)
    return url


# --- Redis: the machine's, for the shared rate limits and the shared state ----------------------

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture(scope="session")
def redis_url() -> str:
    """`$TEST_REDIS_URL` (default: the server `.ci/run` starts); unreachable, as PostgreSQL."""
    url = os.environ.get("TEST_REDIS_URL", DEFAULT_REDIS_URL)
    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        unreachable(
            f"Redis at {url} is unreachable: {type(exc).__name__}",
            "set TEST_REDIS_URL or start redis-server to run these",
        )
    finally:
        client.close()
    return url


@pytest.fixture
def redis_prefix(redis_url) -> Iterator[str]:
    """A key prefix of this test's own; its keys are deleted afterwards."""
    prefix = f"test-{uuid.uuid4().hex}"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=f"*{prefix}*"))
    if keys:
        client.delete(*keys)
    client.close()


# --- a database the test can take away: the fail-open tests --------------------------------


class DatabaseOutage:
    """A migrated database for an app (`url`) that `cut(app)` makes unavailable and `restore()`
    brings back, on either backend."""

    def __init__(self, url: str, cut, restore):
        self.url = url
        self._cut = cut
        self._restore = restore

    def cut(self, app=None) -> None:
        """Take the database away. `app`: its pooled connections are dropped too (a SQLite
        file stays readable through a connection opened before its folder went away)."""
        self._cut()
        if app is not None:
            app.extensions["draftlint.storage"].database.dispose()

    def restore(self) -> None:
        self._restore()


@pytest.fixture(params=("sqlite", "postgresql"))
def database_outage(request, tmp_path: Path) -> Iterator[DatabaseOutage]:
    """PostgreSQL reached through a TCP forwarder on 127.0.0.1 (tests/support/tcp_proxy.py),
    in a schema of the test's own: `cut` stops the forwarder, so connecting is refused and open
    connections are reset, as when the database server goes down. SQLite: `cut` renames the
    folder holding the file away, so it cannot be opened."""
    if request.param == "sqlite":
        folder = tmp_path / "db"
        folder.mkdir()
        away = tmp_path / "db-away"
        url = f"sqlite:///{folder / 'draftlint.sqlite3'}"
        migrate.upgrade(url)
        yield DatabaseOutage(url, lambda: folder.rename(away), lambda: away.rename(folder))
        return
    from tcp_proxy import TcpProxy  # tests/support, on the path (pyproject.toml)

    with postgres_schema(request.getfixturevalue("postgres_url")) as schema_url:
        direct = sa.make_url(schema_url)
        migrate.upgrade(schema_url)
        with TcpProxy(direct.host or "127.0.0.1", direct.port or 5432) as proxy:
            url = direct.set(host="127.0.0.1", port=proxy.port)
            yield DatabaseOutage(
                url.render_as_string(hide_password=False), proxy.cut, proxy.restore
            )
