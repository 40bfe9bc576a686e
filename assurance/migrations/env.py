"""Alembic environment: migrations run on the connection ``assurance.db`` hands over."""

from alembic import context
from sqlmodel import SQLModel

import assurance.models  # noqa: F401  (registers the tables on SQLModel.metadata)
import assurance.outbox.models  # noqa: F401  (the outbox's tables)

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
