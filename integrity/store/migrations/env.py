"""Alembic environment: migrates over the connection (and transaction) that ``Store.open`` hands in.

Store.open takes the write lock first (``BEGIN IMMEDIATE`` on SQLite, a transaction-scoped advisory
lock on PostgreSQL), so a scheduler and a CLI opening the same store at once migrate it once.

To write a new revision, add ``versions/NNNN_<what>.py`` by hand (``down_revision`` = the previous
one) and change ``integrity/store/schema.py`` to match; ``tests/store`` checks the two agree.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from integrity.store.schema import metadata

connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError("the results store migrates itself: open it with integrity.store.Store.open(url) "
                       "instead of running alembic directly")

context.configure(
    connection=connection,
    target_metadata=metadata,
    # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
    render_as_batch=connection.dialect.name == "sqlite",
    transactional_ddl=True,
)
with context.begin_transaction():
    context.run_migrations()
