"""/ws/viewer/{machine_id}: a technician watches and controls one machine.

Each frame from the browser is parsed (guruconnect.protocol), then authorized
(``_authorize``: control role and scope, clamped coordinates), then handled.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from fastapi import APIRouter, WebSocket
from starlette.websockets import WebSocketDisconnect

from guruconnect.protocol import CloseCode, ProtocolError, encode
from guruconnect.protocol.codec import decode_viewer_inbound
from guruconnect.protocol.desktop import (
    DesktopClose,
    DesktopOpen,
    KeyframeRequest,
    KeyInput,
    Ping,
    PointerInput,
    Pong,
    ReleaseAll,
    ReleaseControl,
    StreamSettings,
    TakeControl,
    ViewerInbound,
)
from guruconnect.server.agents.presence import AgentLink
from guruconnect.server.audit import chain
from guruconnect.server.auth.principal import Principal
from guruconnect.server.auth.roles import Scope
from guruconnect.server.auth.websocket import accept_browser, authenticate_browser
from guruconnect.server.db.models import Machine
from guruconnect.server.db.types import utcnow
from guruconnect.server.desktop import clipboard
from guruconnect.server.desktop.authorize import clamp_pointer
from guruconnect.server.desktop.outbox import Outbox, OutboxOverflow
from guruconnect.server.desktop.session import DesktopSession, SessionState, Viewer
from guruconnect.server.http.websocket import close_quietly, receive_frame
from guruconnect.server.machines.events import publish_machine
from guruconnect.server.state import AppState, get_state
from guruconnect.server.support import desktop as support_desktop

log = logging.getLogger("guruconnect.desktop")
router = APIRouter()

TICK = 5.0  # how often the loop looks at the clock while the browser is quiet
# The viewer pings every 2 s, but browsers throttle timers in hidden tabs to one a
# minute: three minutes of silence is a dead tab, not a background one.
IDLE_LIMIT = 180.0
# A first start on a visitor's computer imports PyAV and numpy from a freshly unpacked
# one-time agent with cold disk caches: measured past 30 s on a loaded 2-core machine.
WORKER_START_LIMIT = 60.0


class Refused(Exception):
    """Input the viewer may not send: dropped and logged, the socket stays open."""


def _authorize(session: DesktopSession, viewer: Viewer, message: ViewerInbound) -> ViewerInbound:
    if isinstance(message, PointerInput | KeyInput | ReleaseAll | StreamSettings):
        if not viewer.may_control:
            raise Refused("no machines:control scope")
        if session.controller is not viewer:
            raise Refused("view only: another technician has control")
    if isinstance(message, PointerInput):
        clamped, changed = clamp_pointer(message, session.monitors)
        if changed:
            log.info(
                "clamped pointer (%d,%d) from %s", message.x, message.y, viewer.principal.username
            )
        return clamped
    return message


def _handle(session: DesktopSession, viewer: Viewer, message: ViewerInbound) -> None:
    if isinstance(message, Ping):
        viewer.outbox.control(encode(Pong(t=message.t)))
    elif isinstance(message, TakeControl):
        if not session.take_control(viewer):
            raise Refused("control is held by someone else, or not yours to take")
    elif isinstance(message, ReleaseControl):
        session.release_control(viewer)
    elif isinstance(message, StreamSettings):
        session.apply_settings(message)
    elif isinstance(message, KeyframeRequest):
        session.request_keyframe()
    else:
        session.to_worker(encode(message))


def _link(state: AppState, machine_id: str) -> AgentLink | None:
    # A support session's guest counts only once they allowed access (support/desktop.py).
    return state.presence.get(machine_id) or state.support.desktop_link(machine_id)


async def _open_session(state: AppState, machine_id: str) -> DesktopSession | None:
    link = _link(state, machine_id)
    if link is None:
        return None
    session, created = state.desktops.get_or_create(machine_id)
    if created:
        await link.connection.send(
            encode(DesktopOpen(session_id=session.session_id, token=session.token))
        )
        state.metrics.desktop_sessions.set(len(state.desktops))
        log.info("desktop session %s opened for machine %s", session.session_id, machine_id)
    return session


async def _record(
    state: AppState, machine_id: str, principal: Principal, action: str, details: dict[str, Any]
) -> None:
    """Audit who watched which machine and for how long; keep the machine's summary
    (hosts connected, last accessed) current for the dashboards."""
    if support_desktop.is_support_target(machine_id):
        await support_desktop.record_view(state, machine_id, principal, action, details)
        return
    async with state.db() as db:
        machine = await db.get(Machine, machine_id)
        if machine is None:
            return
        if action == "desktop.view_started":
            machine.last_host_session_at = utcnow()
        await chain.record(db, principal, action, f"machine:{machine_id}", details)
        await db.commit()
        await publish_machine(state, machine)


async def _leave(state: AppState, session: DesktopSession, viewer: Viewer) -> None:
    session.remove_viewer(viewer)
    if session.viewers:
        return
    # Nobody watches: nothing may keep capturing (issue: capture only while watched).
    state.desktops.discard(session)
    state.metrics.desktop_sessions.set(len(state.desktops))
    link = _link(state, session.machine_id)
    if link is not None:
        await link.connection.send(encode(DesktopClose(session_id=session.session_id)))
    if session.worker is not None:
        await session.worker.close(CloseCode.NORMAL, "no viewers left")
    log.info("desktop session %s closed", session.session_id)


@router.websocket("/ws/viewer/{machine_id}")
async def viewer_socket(ws: WebSocket, machine_id: str) -> None:
    state = get_state(ws)
    principal = await accept_browser(state, ws, Scope.MACHINES_READ)
    if principal is None:
        return
    if support_desktop.is_support_target(machine_id):
        refusal = await support_desktop.authorize_viewer(state, principal, machine_id[:64])
        if refusal is not None:
            await ws.close(*refusal)
            return
        target = machine_id[:64]
    else:
        async with state.db() as db:
            machine = await db.get(Machine, machine_id[:64])
        if machine is None or not principal.sees_company(machine.company):
            await ws.close(CloseCode.NOT_FOUND, "no such machine")
            return
        target = machine.id
    session = await _open_session(state, target)
    if session is None:
        await ws.close(CloseCode.AGENT_GONE, "the machine is offline")
        return

    async def close(code: int, reason: str) -> None:
        await close_quietly(ws, code, reason)

    viewer = Viewer(principal, Outbox(ws.send_bytes), close)
    session.add_viewer(viewer)
    sender = asyncio.create_task(viewer.outbox.run())
    log.info("%s is viewing machine %s", principal.username, target)
    joined = time.monotonic()
    await _record(state, target, principal, "desktop.view_started", {"session": session.session_id})
    last_heard = time.monotonic()
    try:
        while True:
            try:
                raw = await receive_frame(ws, TICK)
            except ProtocolError as exc:
                if exc.code != CloseCode.TIMEOUT:
                    raise
                if time.monotonic() - last_heard > IDLE_LIMIT:
                    raise ProtocolError(CloseCode.TIMEOUT, "viewer went silent") from exc
                waited = time.time() - session.started_at
                if session.state is SessionState.WAITING_WORKER and waited > WORKER_START_LIMIT:
                    raise ProtocolError(
                        CloseCode.AGENT_GONE, "the agent did not start the desktop"
                    ) from exc
                if session.state is SessionState.ENDED:
                    return
                if await authenticate_browser(state, ws, Scope.MACHINES_READ) is None:
                    raise ProtocolError(CloseCode.SESSION_REVOKED, "session ended") from exc
                continue
            last_heard = time.monotonic()
            message = decode_viewer_inbound(raw)
            if isinstance(message, clipboard.FROM_VIEWER):
                await clipboard.from_viewer(state, session, viewer, message)
                continue
            try:
                _handle(session, viewer, _authorize(session, viewer, message))
            except Refused as refusal:
                state.metrics.desktop_refused.inc()
                log.warning(
                    "refused %s from %s on machine %s: %s",
                    type(message).__name__,
                    principal.username,
                    target,
                    refusal,
                )
    except ProtocolError as exc:
        log.warning(
            "closing viewer of %s for %s: %s (%d)",
            target,
            principal.username,
            exc.reason,
            exc.code,
        )
        await close_quietly(ws, exc.code, exc.reason)
    except OutboxOverflow:
        await close_quietly(ws, CloseCode.TRY_AGAIN_LATER, "viewer too slow")
    except WebSocketDisconnect:
        pass
    finally:
        sender.cancel()
        await _leave(state, session, viewer)
        seconds = round(time.monotonic() - joined)
        details = {"session": session.session_id, "seconds": seconds}
        await _record(state, target, principal, "desktop.view_ended", details)
