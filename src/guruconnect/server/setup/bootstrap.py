"""The one-time bootstrap token: the only unauthenticated way to create a user.

It exists only while no administrator exists. Claiming it deletes it in the same
statement that checks it, so two racing requests cannot both succeed.
"""

from __future__ import annotations

import hmac
import logging

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from guruconnect.server.auth.roles import Role
from guruconnect.server.auth.tokens import hash_token, new_token
from guruconnect.server.db.models import KeyValue, User

KEY = "bootstrap_token_sha256"
log = logging.getLogger("guruconnect.setup")


async def admin_exists(db: AsyncSession) -> bool:
    count = await db.scalar(select(func.count()).select_from(User).where(User.role == Role.ADMIN))
    return bool(count)


async def issue_if_needed(db: AsyncSession) -> str | None:
    """At start: with no administrator, replace any old token with a new one and return it."""
    if await admin_exists(db):
        await db.execute(delete(KeyValue).where(KeyValue.key == KEY))
        await db.commit()
        return None
    token = new_token("gcb", 24)
    await db.execute(delete(KeyValue).where(KeyValue.key == KEY))
    db.add(KeyValue(key=KEY, value=hash_token(token)))
    await db.commit()
    return token


async def claim(db: AsyncSession, token: str) -> bool:
    """Consume the token if it is the current one. Caller then creates the admin."""
    stored = await db.scalar(select(KeyValue.value).where(KeyValue.key == KEY))
    if stored is None or not hmac.compare_digest(stored, hash_token(token)):
        return False
    result = await db.execute(delete(KeyValue).where(KeyValue.key == KEY, KeyValue.value == stored))
    return getattr(result, "rowcount", 0) == 1
