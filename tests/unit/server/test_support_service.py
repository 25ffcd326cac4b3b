"""service.create against a real database: a code collision is caught by the UNIQUE
constraint and retried with a new draw, and an ended session's code can be drawn again.

``codes.new_code`` is replaced by a fixed sequence here only to force the collision that
random draws make too rare to test; the database, constraint and retry loop are real.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from guruconnect.server.auth.principal import Principal
from guruconnect.server.auth.roles import scopes_for
from guruconnect.server.db import migrate
from guruconnect.server.db.engine import make_engine, make_session_factory
from guruconnect.server.db.models import SupportSession, User
from guruconnect.server.support import codes, service
from tests.support.databases import database_url


def _draws(monkeypatch: pytest.MonkeyPatch, sequence: list[str]) -> list[str]:
    handed: list[str] = []
    it: Iterator[str] = iter(sequence)

    def fixed() -> str:
        handed.append(next(it))
        return handed[-1]

    monkeypatch.setattr(codes, "new_code", fixed)
    return handed


def test_collision_retries_and_ended_codes_return(
    db_kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    handed = _draws(monkeypatch, ["111111", "111111", "111111", "222222", "111111"])
    with database_url(db_kind, tmp_path) as url:
        asyncio.run(_scenario(url))
    assert handed == ["111111", "111111", "111111", "222222", "111111"]


async def _scenario(url: str) -> None:
    engine = make_engine(url)
    try:
        await migrate.upgrade(engine)
        factory = make_session_factory(engine)
        async with factory() as db:
            user = User(username="tech", password_hash="x", role="technician", company_scope=["*"])
            db.add(user)
            await db.commit()
            tech = Principal(user.id, "tech", "technician", scopes_for("technician"), ("*",),
                             "session")  # fmt: skip
        args = {"name": "", "note": "", "assigned_to": None, "expires_in_minutes": None}
        async with factory() as db:
            first = await service.create(db, tech, **args)  # type: ignore[arg-type]
        async with factory() as db:
            # Draws 111111 twice more (taken: the UNIQUE constraint refuses), then 222222.
            second = await service.create(db, tech, **args)  # type: ignore[arg-type]
        assert (first.code, second.code) == ("111111", "222222")
        async with factory() as db:
            ended = await db.get(SupportSession, first.id)
            assert ended is not None
            assert await service.finish(db, ended, by=tech, who="tech", reason="cancelled")
            assert ended.active_code is None and ended.status == "cancelled"
        async with factory() as db:
            third = await service.create(db, tech, **args)  # type: ignore[arg-type]
        assert third.code == "111111" and third.id != first.id  # released, so drawable again
    finally:
        await engine.dispose()
