"""A throw-away PostgreSQL database per run, so benchmarks never touch real data."""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import AsyncIterator

import asyncpg
from sqlalchemy.engine import make_url

ENV_VARS = ("GURU_BENCH_POSTGRES_URL", "GURU_TEST_POSTGRES_URL")


def postgres_url_from_env() -> str:
    for name in ENV_VARS:
        if os.environ.get(name):
            return os.environ[name]
    return ""


@contextlib.asynccontextmanager
async def scratch_database(url: str) -> AsyncIterator[str]:
    """CREATE DATABASE guru_bench_<random> on url's server; yield its SQLAlchemy URL."""
    base = make_url(url)
    host = base.host or ""
    if host not in ("127.0.0.1", "localhost", "::1", ""):
        raise ValueError(f"refusing a PostgreSQL server that is not on loopback: {host!r}")
    name = f"guru_bench_{secrets.token_hex(4)}"
    # asyncpg speaks plain postgresql:// URLs, without SQLAlchemy's driver suffix.
    admin_dsn = base.set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(admin_dsn, timeout=15)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        conn = await asyncpg.connect(admin_dsn, timeout=15)
        try:
            # FORCE: a server that did not exit cleanly may still hold connections.
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()
