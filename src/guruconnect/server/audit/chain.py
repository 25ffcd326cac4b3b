"""Appending to and verifying the hash-chained audit log.

Each entry's hash is sha256(previous hash + canonical JSON of the entry). Changing,
removing or reordering any entry breaks the chain from that entry on, and ``verify``
names the first broken one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from guruconnect.server.auth.principal import Principal
from guruconnect.server.db.models import AuditEntry
from guruconnect.server.db.types import utcnow

GENESIS = "0" * 64


def entry_hash(prev: str, at: dt.datetime, user: str, action: str, target: str,
               details: dict[str, Any]) -> str:  # fmt: skip
    body = json.dumps(
        [at.astimezone(dt.UTC).isoformat(timespec="microseconds"), user, action, target, details],
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256((prev + body).encode()).hexdigest()


async def record(
    db: AsyncSession,
    principal: Principal | None,
    action: str,
    target: str,
    details: dict[str, Any],
) -> AuditEntry:
    """Add an entry to the session's transaction; the caller commits with its change."""
    if db.get_bind().dialect.name == "postgresql":
        # Serialize appends so two writers cannot chain from the same previous entry.
        await db.execute(text("SELECT pg_advisory_xact_lock(7243101)"))
    prev = await db.scalar(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1))
    at = utcnow()
    username = principal.username if principal else "system"
    prev_hash = prev or GENESIS
    entry = AuditEntry(
        at=at,
        user_id=principal.user_id if principal else None,
        username=username,
        action=action,
        target=target,
        details=details,
        prev_hash=prev_hash,
        hash=entry_hash(prev_hash, at, username, action, target, details),
    )
    db.add(entry)
    await db.flush()
    return entry


async def verify(db: AsyncSession) -> int | None:
    """The id of the first entry that breaks the chain, or None if it is intact."""
    prev = GENESIS
    for entry in await db.scalars(select(AuditEntry).order_by(AuditEntry.id)):
        expected = entry_hash(prev, entry.at, entry.username, entry.action, entry.target,
                              entry.details)  # fmt: skip
        if entry.prev_hash != prev or entry.hash != expected:
            return entry.id
        prev = entry.hash
    return None
