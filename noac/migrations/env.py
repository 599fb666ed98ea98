"""Alembic environment: runs on the connection ``noac.db.migrate`` hands over."""

from alembic import context
from sqlmodel import SQLModel

import noac.models  # noqa: F401  (registers the tables)
from noac.db import create_db_engine, schema_filter

target_metadata = SQLModel.metadata
connection = context.config.attributes.get("connection")
if connection is None:
    connection = create_db_engine().connect()

context.configure(
    connection=connection,
    target_metadata=target_metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    include_object=schema_filter(connection.dialect.name),
)
with context.begin_transaction():
    context.run_migrations()
