"""The dashboard WebSocket: a snapshot of visible machines, then live changes.

Authenticated at the handshake by the session cookie, from our own Origin only.
Closed with SESSION_REVOKED when the user signs out or changes password, wherever
that happened, because revocations travel on the bus.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging

from fastapi import APIRouter, WebSocket
from starlette.websockets import WebSocketDisconnect

from guruconnect.protocol import CloseCode
from guruconnect.server.auth.principal import Principal
from guruconnect.server.auth.roles import Scope
from guruconnect.server.auth.websocket import authenticate_browser
from guruconnect.server.http.origin import browser_origin_required
from guruconnect.server.live.bus import AUTH, MACHINES, Event
from guruconnect.server.machines import service
from guruconnect.server.state import AppState, get_state

log = logging.getLogger("guruconnect.live")
RECHECK_SECONDS = 30.0
router = APIRouter()


async def _snapshot(state: AppState, principal: Principal) -> str:
    async with state.db() as db:
        machines = await service.visible_machines(db, principal)
    payload = [
        service.to_out(m, online=state.presence.is_online(m.id)).model_dump(mode="json")
        for m in machines
    ]
    return json.dumps({"type": "snapshot", "machines": payload})


def _concerns(principal: Principal, event: Event) -> bool:
    if event.get("type") == "revoked":
        return event.get("user_id") == principal.user_id and event.get("session_id") in (
            None,
            principal.session_id,
        )
    return principal.sees_company(str(event.get("company", "")))


async def _drain_client(ws: WebSocket) -> None:
    """The dashboard sends nothing we act on; reading notices when it goes away."""
    with contextlib.suppress(WebSocketDisconnect):
        while True:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                return


@router.websocket("/ws/dashboard")
async def dashboard_socket(ws: WebSocket) -> None:
    state = get_state(ws)
    if not browser_origin_required(ws, state.settings.origins):
        log.warning("refused dashboard socket from Origin %r", ws.headers.get("origin"))
        await ws.close(CloseCode.POLICY)
        return
    principal = await authenticate_browser(state, ws, Scope.MACHINES_READ)
    await ws.accept()
    if principal is None:
        await ws.close(CloseCode.AUTH_FAILED, "not signed in")
        return
    state.metrics.dashboard_sockets.inc()
    reader = asyncio.create_task(_drain_client(ws))
    try:
        async with state.bus.subscribe([MACHINES, AUTH], maxsize=2000) as sub:
            await ws.send_text(await _snapshot(state, principal))
            while True:
                getter = asyncio.create_task(sub.queue.get())
                overflow = asyncio.create_task(sub.overflowed.wait())
                done, _ = await asyncio.wait(
                    {getter, overflow, reader},
                    timeout=RECHECK_SECONDS,
                    return_when=asyncio.FIRST_COMPLETED,
                )
                for task in (getter, overflow):
                    if task not in done:
                        task.cancel()
                if reader in done:
                    return
                if not done:
                    # Expiry, and revocations made by another process (the admin CLI),
                    # send no bus event: look at the session again now and then.
                    if await authenticate_browser(state, ws, Scope.MACHINES_READ) is None:
                        await ws.close(CloseCode.SESSION_REVOKED, "session ended")
                        return
                    continue
                if overflow in done:
                    # Fell too far behind: start over from a fresh snapshot.
                    await ws.close(CloseCode.TRY_AGAIN_LATER, "too slow; reconnect")
                    return
                event = getter.result()
                if not _concerns(principal, event):
                    continue
                if event["type"] == "revoked":
                    await ws.close(CloseCode.SESSION_REVOKED, "signed out")
                    return
                await ws.send_text(json.dumps({k: v for k, v in event.items() if k != "company"}))
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        reader.cancel()
        state.metrics.dashboard_sockets.dec()
