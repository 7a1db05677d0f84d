"""The servers the tests need (tests/conftest.py, tests/shared_state): what happens when one is
missing, and a PostgreSQL schema of one test's (or one `make bench` run's) own."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa


def unreachable(reason: str, remedy: str) -> None:
    """A server the tests need is not there: skip them, saying why, except under CI (`$CI`
    set), where they fail, so that a green CI run means they ran."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must run these tests", pytrace=False)
    pytest.skip(f"{reason}; {remedy}")


@contextlib.contextmanager
def postgres_schema(base_url: str, prefix: str = "test") -> Iterator[str]:
    """Create an empty schema in `base_url`'s database and yield a URL that works in it (its
    search_path); the schema is dropped afterwards, with everything in it."""
    schema = f"{prefix}_{uuid.uuid4().hex}"
    owner = sa.create_engine(base_url, connect_args={"connect_timeout": 3})
    with owner.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = sa.make_url(base_url).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with owner.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        owner.dispose()
