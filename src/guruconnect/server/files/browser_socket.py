"""/ws/files/{machine_id}: a technician's file panel (browse, upload) for one machine.

Handshake: our Origin, a signed-in session, company scope, and ``machines:files``
(refused and logged otherwise). Each frame from the browser is parsed, authorized
(the scope again, re-read from the session while the socket is quiet) and relayed
unchanged to the agent's files socket; each reply is parsed and relayed back.
Uploads flow with the sender's credit window, so the relay holds at most a frame.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from fastapi import APIRouter, WebSocket
from starlette.websockets import WebSocketDisconnect

from guruconnect.protocol import CloseCode, ProtocolError
from guruconnect.protocol.codec import decode_files_browser_inbound, decode_files_reply
from guruconnect.protocol.files import (
    CancelDownload,
    FileError,
    FilesHello,
    TransferDone,
    UploadAck,
    UploadBegin,
    UploadReady,
)
from guruconnect.server.auth.principal import Principal
from guruconnect.server.auth.roles import Scope
from guruconnect.server.auth.websocket import accept_browser, authenticate_browser
from guruconnect.server.db.models import Machine
from guruconnect.server.files import audit
from guruconnect.server.files.channel import AgentUnavailable, Channel
from guruconnect.server.http.websocket import close_quietly, receive_frame
from guruconnect.server.state import AppState, get_state

log = logging.getLogger("guruconnect.files")
router = APIRouter()

TICK = 10.0
IDLE_LIMIT = 600.0


class _Relay:
    def __init__(
        self, state: AppState, principal: Principal, machine_id: str, channel: Channel
    ) -> None:
        self.state = state
        self.principal = principal
        self.machine_id = machine_id
        self.channel = channel
        self.uploads: dict[int, audit.Transfer] = {}
        self.moved: dict[int, int] = {}

    async def end(self, request_id: int, outcome: audit.Outcome, **kw: str) -> None:
        transfer = self.uploads.pop(request_id, None)
        if transfer is None:
            return
        moved = self.moved.pop(request_id, 0)
        await audit.record(
            self.state, self.principal, self.machine_id, transfer, outcome, moved=moved, **kw
        )

    async def from_agent(self, browser: WebSocket, lock: asyncio.Lock) -> None:
        while True:
            raw = await receive_frame(self.channel.ws, IDLE_LIMIT * 2)
            reply = decode_files_reply(raw)
            if isinstance(reply, FilesHello):
                raise ProtocolError(CloseCode.UNEXPECTED, "files_hello after the handshake")
            transfer = self.uploads.get(reply.id)
            if transfer is not None:
                if isinstance(reply, UploadReady):
                    transfer.path, transfer.offset = reply.path, reply.offset
                elif isinstance(reply, UploadAck):
                    self.moved[reply.id] = reply.offset - transfer.offset
                elif isinstance(reply, TransferDone):
                    await self.end(reply.id, "completed", sha256=reply.sha256)
                elif isinstance(reply, FileError):
                    outcome: audit.Outcome = "cancelled" if reply.code == "cancelled" else "failed"
                    if reply.code == "exists":  # the technician decides; nothing moved yet
                        self.uploads.pop(reply.id, None)
                    else:
                        await self.end(reply.id, outcome, reason=f"{reply.code}: {reply.message}")
            async with lock:
                await browser.send_bytes(raw if isinstance(raw, bytes) else b"")


def _refuse(state: AppState, principal: Principal, machine_id: str, what: str) -> None:
    state.metrics.files_refused.inc()
    log.warning(
        "refused %s from %s on machine %s: no machines:files scope",
        what, principal.username, machine_id,
    )  # fmt: skip


@router.websocket("/ws/files/{machine_id}")
async def files_socket(ws: WebSocket, machine_id: str) -> None:
    state = get_state(ws)
    principal = await accept_browser(state, ws, Scope.MACHINES_READ)
    if principal is None:
        return
    if not principal.can(Scope.MACHINES_FILES):
        _refuse(state, principal, machine_id[:64], "files socket")
        await ws.close(CloseCode.FORBIDDEN, "requires the machines:files scope")
        return
    async with state.db() as db:
        machine = await db.get(Machine, machine_id[:64])
    if machine is None or not principal.sees_company(machine.company):
        await ws.close(CloseCode.NOT_FOUND, "no such machine")
        return
    try:
        channel = await state.files.open(state.presence, machine.id)
    except AgentUnavailable as exc:
        await close_quietly(ws, CloseCode.AGENT_GONE, str(exc))
        return
    relay = _Relay(state, principal, machine.id, channel)
    lock = asyncio.Lock()

    async def tell(frame: bytes) -> None:
        async with lock:
            await ws.send_bytes(frame)

    state.files.watch(principal.user_id, machine.id, tell)
    downstream = asyncio.create_task(relay.from_agent(ws, lock))
    log.info("%s opened the file panel of machine %s", principal.username, machine.id)
    try:
        await _from_browser(state, ws, relay, downstream)
    except ProtocolError as exc:
        log.warning("closing file panel of %s for %s: %s (%d)",
                    machine.id, principal.username, exc.reason, exc.code)  # fmt: skip
        await close_quietly(ws, exc.code, exc.reason)
    except WebSocketDisconnect:
        pass
    finally:
        state.files.unwatch(principal.user_id, machine.id, tell)
        downstream.cancel()
        with contextlib.suppress(BaseException):
            await downstream
        channel.finish()
        for request_id in list(relay.uploads):
            await relay.end(request_id, "failed", reason="connection lost; resumable")


async def _from_browser(
    state: AppState, ws: WebSocket, relay: _Relay, downstream: asyncio.Task[None]
) -> None:
    principal = relay.principal
    last_heard = time.monotonic()
    while True:
        receiving = asyncio.create_task(receive_frame(ws, TICK))
        await asyncio.wait({receiving, downstream}, return_when=asyncio.FIRST_COMPLETED)
        if downstream.done():
            receiving.cancel()
            raise ProtocolError(CloseCode.AGENT_GONE, "the files connection ended")
        try:
            raw = receiving.result()
        except ProtocolError as exc:
            if exc.code != CloseCode.TIMEOUT:
                raise
            if time.monotonic() - last_heard > IDLE_LIMIT:
                raise ProtocolError(CloseCode.TIMEOUT, "file panel idle") from exc
            fresh = await authenticate_browser(state, ws, Scope.MACHINES_FILES)
            if fresh is None:
                raise ProtocolError(CloseCode.SESSION_REVOKED, "session ended") from exc
            relay.principal = principal = fresh
            continue
        last_heard = time.monotonic()
        message = decode_files_browser_inbound(raw)
        if not principal.can(Scope.MACHINES_FILES):
            _refuse(state, principal, relay.machine_id, type(message).__name__)
            continue
        if isinstance(message, CancelDownload):
            running = state.files.downloads.get((principal.user_id, message.transfer))
            if running is not None and running.machine_id == relay.machine_id:
                running.cancel()
            continue
        if isinstance(message, UploadBegin):
            relay.uploads[message.id] = audit.Transfer(
                "upload", message.path, message.size, via=message.source
            )
        await relay.channel.send(raw if isinstance(raw, bytes) else b"")
