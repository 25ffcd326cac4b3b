"""Migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, inspect

from guruconnect.server.db import migrate
from guruconnect.server.db.engine import make_engine
from guruconnect.server.db.models import Base
from tests.support.databases import database_url


def test_migrations_match_models(db_kind: str, tmp_path: Path) -> None:
    # database_url creates the PostgreSQL database with its own event loop, so the
    # check itself runs in a separate asyncio.run.
    with database_url(db_kind, tmp_path) as url:
        asyncio.run(_check(url))


async def _check(url: str) -> None:
    engine = make_engine(url)
    try:
        await migrate.upgrade(engine)
        await migrate.upgrade(engine)  # idempotent: a restart re-runs it

        def diff(conn: Connection) -> list[object]:
            # The trigram index exists only on PostgreSQL and outside the models.
            context = MigrationContext.configure(
                conn,
                opts={
                    "compare_type": True,
                    "include_name": lambda name, kind, _parent: (
                        not (kind == "index" and str(name).startswith("trgm_"))
                    ),
                },
            )
            return list(compare_metadata(context, Base.metadata))

        async with engine.connect() as conn:
            assert await conn.run_sync(diff) == []
            tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
        assert {"users", "machines", "web_sessions", "api_keys"} <= tables
    finally:
        await engine.dispose()
