"""/ws/media: the agent's desktop worker streams frames here and receives input.

The worker authenticates with the session id and one-time token the server handed
its agent in DesktopOpen over the agent's own authenticated, pinned socket.
"""

from __future__ import annotations

import asyncio
import hmac
import logging

from fastapi import APIRouter, WebSocket
from starlette.websockets import WebSocketDisconnect

from guruconnect.protocol import CloseCode, ProtocolError
from guruconnect.protocol.codec import decode_worker
from guruconnect.protocol.desktop import MediaHello, Monitors, TileFrame, VideoFrame
from guruconnect.server.desktop import clipboard
from guruconnect.server.desktop.outbox import Outbox
from guruconnect.server.desktop.session import DesktopSession, SessionState, WorkerLink
from guruconnect.server.http.origin import origin_allowed
from guruconnect.server.http.websocket import close_quietly, receive_frame
from guruconnect.server.state import AppState, get_state

log = logging.getLogger("guruconnect.desktop")
router = APIRouter()

HELLO_TIMEOUT = 10.0
# The worker sends a frame whenever the screen changes; a still screen may be silent
# for a long time, so this only catches a dead peer (the server sends pings too).
IDLE_LIMIT = 600.0


async def _attach(state: AppState, ws: WebSocket) -> tuple[DesktopSession, WorkerLink]:
    hello = decode_worker(await receive_frame(ws, HELLO_TIMEOUT))
    if not isinstance(hello, MediaHello):
        raise ProtocolError(CloseCode.UNEXPECTED, "expected media_hello first")
    session = state.desktops.by_session_id(hello.session_id)
    if (
        session is None
        or session.state is not SessionState.WAITING_WORKER
        or not hmac.compare_digest(session.token, hello.token)
    ):
        raise ProtocolError(CloseCode.AUTH_FAILED, "unknown desktop session or bad token")

    async def close(code: int, reason: str) -> None:
        await close_quietly(ws, code, reason)

    worker = WorkerLink(Outbox(ws.send_bytes), close)
    session.attach_worker(worker)
    return session, worker


async def _end_session(state: AppState, session: DesktopSession, reason: str) -> None:
    state.desktops.discard(session)
    for viewer in list(session.viewers.values()):
        await viewer.close(CloseCode.AGENT_GONE, reason)
    state.metrics.desktop_sessions.set(len(state.desktops))


def raw_bytes(raw: bytes | str) -> bytes:
    return raw if isinstance(raw, bytes) else b""


@router.websocket("/ws/media")
async def media_socket(ws: WebSocket) -> None:
    state = get_state(ws)
    if not origin_allowed(ws, state.settings.origins):
        await ws.close(CloseCode.POLICY)
        return
    await ws.accept()
    session: DesktopSession | None = None
    sender: asyncio.Task[None] | None = None
    try:
        session, worker = await _attach(state, ws)
        sender = asyncio.create_task(worker.outbox.run())
        log.info("desktop worker attached for machine %s", session.machine_id)
        while True:
            raw = await receive_frame(ws, IDLE_LIMIT)
            message = decode_worker(raw)
            if isinstance(message, VideoFrame | TileFrame):
                state.metrics.desktop_frames.inc()
                session.relay_frame(raw if isinstance(raw, bytes) else b"", message.keyframe)
            elif isinstance(message, clipboard.FROM_WORKER):  # never waits for a viewer
                await clipboard.from_worker(state, session, message, raw_bytes(raw))
            elif isinstance(message, Monitors):
                session.set_monitors(message, raw if isinstance(raw, bytes) else b"")
            else:
                raise ProtocolError(CloseCode.UNEXPECTED, "media_hello after the handshake")
    except ProtocolError as exc:
        log.warning("closing desktop worker socket: %s (%d)", exc.reason, exc.code)
        await close_quietly(ws, exc.code, exc.reason)
    except WebSocketDisconnect:
        pass
    finally:
        if sender is not None:
            sender.cancel()
        if session is not None:
            clipboard.worker_left(session)
        if session is not None and session.worker is not None:
            await _end_session(state, session, "the agent left the session")
