"""Authenticating a browser's WebSocket at the handshake, by its session cookie."""

from __future__ import annotations

import logging

from fastapi import WebSocket
from starlette.requests import HTTPConnection

from guruconnect.protocol import CloseCode
from guruconnect.server.auth import sessions
from guruconnect.server.auth.deps import principal_from_session
from guruconnect.server.auth.principal import Principal
from guruconnect.server.auth.roles import Scope
from guruconnect.server.http.origin import browser_origin_required
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


log = logging.getLogger("guruconnect.auth")


async def accept_browser(state: AppState, ws: WebSocket, scope: Scope) -> Principal | None:
    """The handshake every browser socket shares: our Origin or HTTP 403; then accept,
    and close with 4401 at once unless a signed-in user holding ``scope`` is there."""
    if not browser_origin_required(ws, state.settings.origins):
        log.warning("refused %s from Origin %r", ws.url.path, ws.headers.get("origin"))
        await ws.close(CloseCode.POLICY)
        return None
    principal = await authenticate_browser(state, ws, scope)
    await ws.accept()
    if principal is None:
        await ws.close(CloseCode.AUTH_FAILED, "not signed in")
    return principal
