"""The per-request database session."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from guruconnect.server.state import get_state


async def db_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with get_state(request).db() as session:
        yield session


DB = Annotated[AsyncSession, Depends(db_session)]
