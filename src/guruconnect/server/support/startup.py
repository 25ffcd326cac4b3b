"""Support sessions across a server restart, and their expiry while it runs.

Guests' agents reconnect after a restart (their join token stays valid), so a session
that had a guest is not ended at once: it gets the usual reconnect grace period, and
ends as "agent left" only if nobody comes back. Codes whose expiry passed are released
every ``support_expiry_sweep_seconds`` (and whenever the list or the portal looks), so technicians'
dashboards show them expired without a reload.
"""

from __future__ import annotations

import asyncio
import logging

from guruconnect.protocol import CloseCode
from guruconnect.server.state import AppState
from guruconnect.server.support import control, service
from guruconnect.server.support.events import publish_session

log = logging.getLogger("guruconnect.support")


async def adopt_orphans(state: AppState) -> None:
    async with state.db() as db:
        sessions = await service.live_with_guest(db)
    for session in sessions:
        control.end_unless_back(state, session.id)


async def close_all(state: AppState) -> None:
    for link in state.support.links():
        await link.connection.close(CloseCode.GOING_AWAY, "server shutting down")


async def expire_due(state: AppState) -> None:
    async with state.db() as db:
        for session in await service.expire_due(db):
            await publish_session(state, session)


async def expire_periodically(state: AppState) -> None:
    while True:
        await asyncio.sleep(state.settings.support_expiry_sweep_seconds)
        try:
            await expire_due(state)
        except Exception:  # the next sweep tries again
            log.exception("could not expire support sessions")
