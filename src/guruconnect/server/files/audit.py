"""One audit entry per transfer, in the hash-chained log: who, which machine, which
path, what size, the SHA-256, and how it ended."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Literal

from guruconnect.server.audit import chain
from guruconnect.server.auth.principal import Principal
from guruconnect.server.state import AppState

log = logging.getLogger("guruconnect.files")

Outcome = Literal["completed", "cancelled", "failed"]


@dataclass
class Transfer:
    direction: Literal["upload", "download"]
    path: str
    size: int
    offset: int = 0  # where this attempt started (resume)
    via: str = "panel"  # panel | clipboard | http


async def record(
    state: AppState,
    principal: Principal,
    machine_id: str,
    transfer: Transfer,
    outcome: Outcome,
    *,
    sha256: str = "",
    moved: int = 0,
    reason: str = "",
) -> None:
    details: dict[str, object] = {
        "path": transfer.path,
        "size": transfer.size,
        "outcome": outcome,
        "bytes": moved,
        "via": transfer.via,
    }
    if transfer.offset:
        details["resumed_at"] = transfer.offset
    if sha256:
        details["sha256"] = sha256
    if reason:
        details["reason"] = reason[:500]
    log.info(
        "%s %s of %s on %s by %s: %s",
        transfer.direction, outcome, transfer.path, machine_id, principal.username, reason or "ok",
    )  # fmt: skip
    # Shielded: the entry must be written even when the request that ends the transfer is
    # being cancelled (a browser that went away mid-download).
    task = asyncio.create_task(_write(state, principal, machine_id, transfer.direction, details))
    _writing.add(task)
    task.add_done_callback(_writing.discard)
    await asyncio.shield(task)


_writing: set[asyncio.Task[None]] = set()


async def _write(
    state: AppState, principal: Principal, machine_id: str, direction: str,
    details: dict[str, object],
) -> None:  # fmt: skip
    async with state.db() as db:
        await chain.record(db, principal, f"files.{direction}", f"machine:{machine_id}", details)
        await db.commit()
