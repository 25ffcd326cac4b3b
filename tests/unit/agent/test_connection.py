"""run_agent against a real WebSocket server over TLS, playing the server's side."""

from __future__ import annotations

import asyncio
import base64
import logging
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
import pytest_asyncio
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from guruconnect.agent.config import AgentConfig
from guruconnect.agent.connection import run_agent
from guruconnect.agent.identity import public_key_b64
from guruconnect.protocol import (
    AgentHello,
    Heartbeat,
    HeartbeatAck,
    Inventory,
    MetadataUpdate,
    ServerHello,
    Welcome,
    decode_agent,
    encode,
)
from guruconnect.protocol.messages import auth_payload

from .conftest import ServerCert
from .test_config import make_config


@dataclass
class AgentServer:
    """Authenticates agents like the real server should, and records what they send."""

    public_key: str = ""
    close_after_welcome: int | None = None  # close code for the first connection
    connections: int = 0
    hellos: list[AgentHello] = field(default_factory=list)
    frames: list[object] = field(default_factory=list)
    close_codes: list[int | None] = field(default_factory=list)
    heartbeat_seen: asyncio.Event = field(default_factory=asyncio.Event)
    port: int = 0

    async def handle(self, ws: ServerConnection) -> None:
        self.connections += 1
        challenge = os.urandom(32)
        try:
            await ws.send(encode(ServerHello(versions=[1], challenge=challenge)))
            hello = decode_agent(await ws.recv())
            assert isinstance(hello, AgentHello)
            public = Ed25519PublicKey.from_public_bytes(base64.b64decode(self.public_key))
            public.verify(hello.signature, auth_payload(challenge, hello.agent_id))
            self.hellos.append(hello)
            await ws.send(
                encode(Welcome(version=1, heartbeat_interval=0.1, inventory_interval=3600))
            )
            if self.close_after_welcome is not None and self.connections == 1:
                await ws.close(self.close_after_welcome, "restarting")
                return
            async for frame in ws:
                message = decode_agent(frame)
                self.frames.append(message)
                if isinstance(message, Heartbeat):
                    self.heartbeat_seen.set()
                    await ws.send(encode(HeartbeatAck(seq=message.seq, server_time=0.0)))
        except ConnectionClosed:
            pass
        finally:
            self.close_codes.append(ws.close_code)


@pytest_asyncio.fixture
async def agent_server(server_cert: ServerCert) -> AsyncIterator[AgentServer]:
    endpoint = AgentServer()
    async with serve(endpoint.handle, "127.0.0.1", 0, ssl=server_cert.server_context()) as server:
        endpoint.port = next(iter(server.sockets)).getsockname()[1]
        yield endpoint


def agent_config(server: AgentServer, fingerprint: str, **overrides: object) -> AgentConfig:
    cfg = make_config(
        server_url=f"https://127.0.0.1:{server.port}", server_fingerprint=fingerprint, **overrides
    )
    server.public_key = public_key_b64(cfg.seed)
    return cfg


@pytest.mark.asyncio
async def test_authenticates_reports_beats_and_stops_cleanly(
    agent_server: AgentServer, server_cert: ServerCert
) -> None:
    cfg = agent_config(agent_server, server_cert.fingerprint, name="pc1", tag="vip")
    stop = asyncio.Event()
    agent = asyncio.create_task(run_agent(cfg, stop=stop))
    # The agent floors the heartbeat interval at 1 s whatever the server asks.
    await asyncio.wait_for(agent_server.heartbeat_seen.wait(), 5)
    stop.set()
    await asyncio.wait_for(agent, 5)

    assert [h.agent_id for h in agent_server.hellos] == [cfg.agent_id]
    assert agent_server.frames[0] == MetadataUpdate(name="pc1", tag="vip")
    assert isinstance(agent_server.frames[1], Inventory)
    assert isinstance(agent_server.frames[2], Heartbeat) and agent_server.frames[2].seq == 0
    await asyncio.sleep(0.1)
    assert agent_server.close_codes == [1000]


@pytest.mark.asyncio
async def test_pin_mismatch_never_sends_the_hello(
    agent_server: AgentServer, other_cert: ServerCert, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "guruconnect.agent")
    cfg = agent_config(agent_server, other_cert.fingerprint)
    stop = asyncio.Event()
    agent = asyncio.create_task(run_agent(cfg, stop=stop))
    for _ in range(50):
        if agent_server.close_codes:
            break
        await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(agent, 5)
    assert agent_server.connections >= 1
    assert agent_server.hellos == []
    assert any("does not match the pinned" in r.getMessage() for r in caplog.records)


@pytest.mark.asyncio
async def test_server_restart_means_a_quick_reconnect(
    agent_server: AgentServer, server_cert: ServerCert, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "guruconnect.agent")
    agent_server.close_after_welcome = 1001
    cfg = agent_config(agent_server, server_cert.fingerprint, max_backoff=600.0)
    stop = asyncio.Event()
    agent = asyncio.create_task(run_agent(cfg, stop=stop))
    for _ in range(100):
        if len(agent_server.hellos) >= 2:
            break
        await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(agent, 5)
    assert len(agent_server.hellos) >= 2
    messages = [r.getMessage() for r in caplog.records]
    assert any("code 1001 GOING_AWAY: restarting" in m for m in messages), messages
