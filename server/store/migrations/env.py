"""Alembic's entry point, run by server.store.migrate on the connection it passes in."""

from alembic import context

from server.store.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "Run migrations through server.store.migrate (or `draftlint db upgrade`), "
        "which passes the database connection in; offline SQL scripts are not supported."
    )

# Batch mode: SQLite cannot ALTER most things, so Alembic copies the table instead there.
context.configure(
    connection=connection, target_metadata=Base.metadata, render_as_batch=True, compare_type=True
)
with context.begin_transaction():
    context.run_migrations()
