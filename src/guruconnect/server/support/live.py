"""/ws/support-live: a technician's support sessions and their chat, as they change.

The dashboard loads the list over REST and this socket says what changed: a session
(created, guest joined, consent, ended...), a chat line, or that a session left this
technician's list (claimed by a colleague). Authenticated at the handshake by the
session cookie and our Origin, with the support:sessions scope; re-checked every 30 s.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time

from fastapi import APIRouter, WebSocket
from starlette.websockets import WebSocketDisconnect

from guruconnect.protocol import CloseCode
from guruconnect.server.auth.principal import Principal
from guruconnect.server.auth.roles import Scope
from guruconnect.server.auth.websocket import accept_browser, authenticate_browser
from guruconnect.server.live.bus import AUTH, Event
from guruconnect.server.state import get_state
from guruconnect.server.support.events import SUPPORT
from guruconnect.server.support.service import is_visible

router = APIRouter()
RECHECK_SECONDS = 30.0


def frame_for(principal: Principal, event: Event) -> str | None:
    """What this technician is told about ``event``, or None (not theirs to know)."""
    kind = event.get("type")
    if kind not in ("support_session", "support_chat"):
        return None
    visible = is_visible(principal, event.get("assigned_to"), event.get("created_by"))
    if kind == "support_chat":
        if not visible:
            return None
        return json.dumps({"type": "chat", "session_id": event["session_id"],
                           "line": event["line"]})  # fmt: skip
    if not visible:
        return json.dumps({"type": "session_gone", "id": event["session"]["id"]})
    return json.dumps({"type": "session", "session": event["session"]})


async def _drain(ws: WebSocket) -> None:
    with contextlib.suppress(WebSocketDisconnect):
        while True:
            if (await ws.receive())["type"] == "websocket.disconnect":
                return


@router.websocket("/ws/support-live")
async def support_live(ws: WebSocket) -> None:
    state = get_state(ws)
    principal = await accept_browser(state, ws, Scope.SUPPORT_SESSIONS)
    if principal is None:
        return
    reader = asyncio.create_task(_drain(ws))
    try:
        async with state.bus.subscribe([SUPPORT, AUTH], maxsize=5000) as sub:
            await ws.send_text('{"type":"hello"}')
            recheck_at = time.monotonic() + RECHECK_SECONDS
            while True:
                getter = asyncio.create_task(sub.queue.get())
                wait = max(0.0, recheck_at - time.monotonic())
                done, _ = await asyncio.wait(
                    {getter, reader}, timeout=wait, return_when=asyncio.FIRST_COMPLETED
                )
                if getter not in done:
                    getter.cancel()
                    if reader in done:
                        return
                else:
                    if sub.overflowed.is_set():
                        await ws.close(CloseCode.TRY_AGAIN_LATER, "too slow; reconnect")
                        return
                    event = getter.result()
                    if event.get("type") == "revoked" and event.get("user_id") == (
                        principal.user_id
                    ) and event.get("session_id") in (None, principal.session_id):  # fmt: skip
                        await ws.close(CloseCode.SESSION_REVOKED, "signed out")
                        return
                    frame = frame_for(principal, event)
                    if frame is not None:
                        await ws.send_text(frame)
                if time.monotonic() >= recheck_at:
                    if await authenticate_browser(state, ws, Scope.SUPPORT_SESSIONS) is None:
                        await ws.close(CloseCode.SESSION_REVOKED, "session ended")
                        return
                    recheck_at = time.monotonic() + RECHECK_SECONDS
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        reader.cancel()
