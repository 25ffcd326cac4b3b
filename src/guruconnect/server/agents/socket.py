"""The agent WebSocket: one connection per agent, for as long as it runs.

Each connection is handled in isolation: a bad frame closes that connection only,
with a close code saying why, and a log line. Handlers for each message type are in
``handle``; parsing is in guruconnect.protocol; authentication is in ``handshake``.
"""

from __future__ import annotations

import logging
import time

from fastapi import APIRouter, WebSocket
from starlette.websockets import WebSocketDisconnect

from guruconnect import __version__
from guruconnect.protocol import (
    SUPPORTED_VERSIONS,
    AgentHello,
    AgentMessage,
    CloseCode,
    Heartbeat,
    HeartbeatAck,
    Inventory,
    MetadataUpdate,
    ProtocolError,
    ServerHello,
    Welcome,
    decode_agent,
    encode,
    negotiate,
)
from guruconnect.server.agents.handshake import authenticate, new_challenge
from guruconnect.server.agents.presence import AgentLink
from guruconnect.server.db.models import Machine
from guruconnect.server.db.types import utcnow
from guruconnect.server.http.origin import origin_allowed
from guruconnect.server.http.websocket import SocketChannel, close_quietly, receive_frame
from guruconnect.server.machines import service
from guruconnect.server.machines.events import publish_machine, publish_summary
from guruconnect.server.machines.schemas import MachineOut
from guruconnect.server.state import AppState, get_state

log = logging.getLogger("guruconnect.agents")
router = APIRouter()


class AgentSession:
    def __init__(self, state: AppState, ws: WebSocket) -> None:
        self.state = state
        self.ws = ws
        self.public_ip = state.client_ip(ws)
        self.agent_id = ""
        self.link: AgentLink | None = None
        # What dashboards last heard about this machine: going offline updates it
        # without a database round trip (thousands may disconnect at once).
        self.summary: MachineOut | None = None

    async def handshake(self) -> Machine:
        challenge = new_challenge()
        await self.ws.send_bytes(
            encode(
                ServerHello(
                    versions=list(SUPPORTED_VERSIONS),
                    challenge=challenge,
                    server_version=__version__,
                )
            )
        )
        frame = await receive_frame(self.ws, self.state.settings.agent_auth_timeout_seconds)
        hello = decode_agent(frame)
        if not isinstance(hello, AgentHello):
            raise ProtocolError(CloseCode.UNEXPECTED, "expected agent_hello first")
        self.agent_id = hello.agent_id
        version = negotiate(hello.versions)
        async with self.state.db() as db:
            machine = await authenticate(db, hello, challenge)
        s = self.state.settings
        await self.ws.send_bytes(
            encode(
                Welcome(
                    version=version,
                    heartbeat_interval=float(s.heartbeat_interval_seconds),
                    inventory_interval=float(s.inventory_interval_seconds),
                    public_ip=self.public_ip,
                )
            )
        )
        return machine

    async def go_online(self, machine: Machine) -> None:
        self.link = AgentLink(machine.id, self.public_ip, SocketChannel(self.ws))
        previous = self.state.presence.add(self.link)
        if previous is not None:
            await previous.connection.close(CloseCode.REPLACED, "replaced by a newer connection")
        self.state.metrics.agents_connected.set(len(self.state.presence))
        async with self.state.db() as db:
            fresh = await db.get(Machine, machine.id)
            if fresh is not None:
                fresh.last_seen = utcnow()
                fresh.public_ip = self.public_ip
                fresh.online = True
                await db.commit()
                self.summary = await publish_machine(self.state, fresh)
        log.info("agent %s connected from %s", machine.id, self.public_ip)

    async def go_offline(self) -> None:
        if self.link is None or not self.state.presence.remove(self.link):
            return
        now = utcnow()
        # Recorded before any await, so even a cancelled handler leaves last_seen to
        # the batch flush (periodic, and once more at shutdown).
        self.state.presence.seen(self.link.agent_id, now)
        self.state.presence.went_offline(self.link.agent_id)
        self.state.metrics.agents_connected.set(len(self.state.presence))
        if self.summary is not None:
            self.summary = self.summary.model_copy(update={"online": False, "last_seen": now})
            await publish_summary(self.state, self.summary)
        log.info("agent %s disconnected", self.link.agent_id)

    async def handle(self, message: AgentMessage) -> None:
        self.state.metrics.agent_frames.labels(type=type(message).__name__).inc()
        if isinstance(message, Heartbeat):
            self.state.presence.seen(self.agent_id, utcnow())
            await self.ws.send_bytes(encode(HeartbeatAck(seq=message.seq, server_time=time.time())))
        elif isinstance(message, Inventory):
            async with self.state.db() as db:
                machine = await service.apply_inventory(db, self.agent_id, message, self.public_ip)
            if machine is not None:
                self.summary = await publish_machine(self.state, machine)
        elif isinstance(message, MetadataUpdate):
            async with self.state.db() as db:
                machine = await service.apply_metadata(db, self.agent_id, message)
            if machine is not None:
                self.summary = await publish_machine(self.state, machine)
        else:
            raise ProtocolError(CloseCode.UNEXPECTED, f"unexpected {type(message).__name__}")

    async def run(self) -> None:
        # Three missed heartbeats and the agent is presumed gone (e.g. a cut cable).
        idle_limit = 3.0 * self.state.settings.heartbeat_interval_seconds + 5
        try:
            machine = await self.handshake()
            await self.go_online(machine)
            while True:
                frame = await receive_frame(self.ws, idle_limit)
                await self.handle(decode_agent(frame))
        except ProtocolError as exc:
            self.state.metrics.agent_rejections.labels(code=str(int(exc.code))).inc()
            log.warning(
                "closing agent %s from %s: %s (%d)",
                self.agent_id or "?",
                self.public_ip,
                exc.reason,
                exc.code,
            )
            await close_quietly(self.ws, exc.code, exc.reason)
        except WebSocketDisconnect:
            pass
        finally:
            await self.go_offline()


@router.websocket("/ws/agent")
async def agent_socket(ws: WebSocket) -> None:
    state = get_state(ws)
    if not origin_allowed(ws, state.settings.origins):
        log.warning("refused agent socket from foreign Origin %r", ws.headers.get("origin"))
        await ws.close(CloseCode.POLICY)
        return
    if state.shutting_down:
        await ws.close(CloseCode.TRY_AGAIN_LATER)
        return
    await ws.accept()
    await AgentSession(state, ws).run()
