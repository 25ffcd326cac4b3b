"""Authenticating a browser's WebSocket at the handshake, by its session cookie."""

from __future__ import annotations

from starlette.requests import HTTPConnection

from guruconnect.server.auth import sessions
from guruconnect.server.auth.deps import principal_from_session
from guruconnect.server.auth.principal import Principal
from guruconnect.server.auth.roles import Scope
from guruconnect.server.state import AppState


async def authenticate_browser(
    state: AppState, conn: HTTPConnection, scope: Scope
) -> Principal | None:
    """The signed-in, fully verified user holding ``scope``, or None."""
    async with state.db() as db:
        loaded = await sessions.load(db, conn.cookies.get(sessions.COOKIE, ""), state.settings)
    if loaded is None or loaded[0].state != sessions.SessionState.ACTIVE:
        return None
    principal = principal_from_session(*loaded)
    return principal if principal.can(scope) else None
