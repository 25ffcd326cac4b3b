"""Database URLs for tests: a fresh SQLite file, or a fresh PostgreSQL database."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg

POSTGRES_ENV = "GURU_TEST_POSTGRES_URL"


def postgres_base() -> str | None:
    return os.environ.get(POSTGRES_ENV) or None


def _server_dsn(url: str) -> tuple[str, str]:
    """Split a SQLAlchemy URL into an asyncpg DSN for the server and its database name."""
    plain = url.replace("postgresql+asyncpg://", "postgresql://", 1)
    head, _, db = plain.rpartition("/")
    return head, db.split("?")[0]


async def _admin(url: str, sql: str) -> None:
    head, db = _server_dsn(url)
    conn = await asyncpg.connect(f"{head}/{db or 'postgres'}")
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@contextmanager
def database_url(kind: str, data_dir: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite+aiosqlite:///{data_dir / 'guruconnect.db'}"
        return
    base = postgres_base()
    assert base is not None
    name = f"guru_test_{secrets.token_hex(6)}"
    asyncio.run(_admin(base, f'CREATE DATABASE "{name}"'))
    head, _ = _server_dsn(base)
    try:
        yield f"{head.replace('postgresql://', 'postgresql+asyncpg://', 1)}/{name}"
    finally:
        asyncio.run(_admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
