"""Support sessions across a server restart.

Guests' agents reconnect after a restart (their join token stays valid), so a session
that had a guest is not ended at once: it gets the usual reconnect grace period, and
ends as "agent left" only if nobody comes back.
"""

from __future__ import annotations

from guruconnect.protocol import CloseCode
from guruconnect.server.state import AppState
from guruconnect.server.support import control, service


async def adopt_orphans(state: AppState) -> None:
    async with state.db() as db:
        sessions = await service.live_with_guest(db)
    for session in sessions:
        control.end_unless_back(state, session.id)


async def close_all(state: AppState) -> None:
    for link in state.support.links():
        await link.connection.close(CloseCode.GOING_AWAY, "server shutting down")
