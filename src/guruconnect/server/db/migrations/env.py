"""Alembic environment: always handed a live connection by guruconnect.server.db.migrate."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from guruconnect.server.db.models import Base

connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError("run migrations through guruconnect.server.db.migrate.upgrade")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    # Dialect-specific indexes made by hand in migrations (e.g. the PostgreSQL trigram
    # index) are not in the models; autogenerate must not try to drop them.
    include_name=lambda name, kind, _parent: (
        not (kind == "index" and str(name).startswith("trgm_"))
    ),
)
with context.begin_transaction():
    context.run_migrations()
