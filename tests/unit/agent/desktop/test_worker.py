"""The worker on a real media socket (TLS, pinned), and the agent starting it for real."""

from __future__ import annotations

import asyncio
import base64
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import pytest_asyncio
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from Xlib.display import Display

from guruconnect.agent.config import AgentConfig, save_config
from guruconnect.agent.connection import run_agent
from guruconnect.agent.desktop.supervisor import DesktopSupervisor
from guruconnect.agent.desktop.worker import run_worker
from guruconnect.agent.identity import public_key_b64
from guruconnect.protocol import (
    AgentHello,
    HeartbeatAck,
    ServerHello,
    Welcome,
    decode_agent,
    encode,
)
from guruconnect.protocol.codec import decode_worker
from guruconnect.protocol.desktop import (
    DesktopClose,
    DesktopOpen,
    KeyInput,
    MediaHello,
    Monitors,
    PointerInput,
    StreamSettings,
    TileFrame,
    VideoFrame,
    WorkerMessage,
)
from guruconnect.protocol.messages import auth_payload

from ..conftest import ServerCert
from ..test_config import make_config
from .test_x11 import keys_down

SESSION = "sess_0123456789"
TOKEN = bytes(range(32))


@dataclass
class Endpoints:
    """/ws/agent (control) and /ws/media, played like the server would."""

    public_key: str = ""
    port: int = 0
    media: asyncio.Queue[WorkerMessage] = field(default_factory=asyncio.Queue)
    media_socket: ServerConnection | None = None
    media_closed: asyncio.Event = field(default_factory=asyncio.Event)
    control_send: asyncio.Queue[bytes] = field(default_factory=asyncio.Queue)
    media_user_agents: list[str] = field(default_factory=list)

    async def handle(self, ws: ServerConnection) -> None:
        assert ws.request is not None
        if ws.request.path == "/ws/media":
            await self._media(ws)
        else:
            await self._control(ws)

    async def _media(self, ws: ServerConnection) -> None:
        assert ws.request is not None
        self.media_user_agents.append(ws.request.headers.get("User-Agent", ""))
        self.media_socket = ws
        try:
            async for frame in ws:
                await self.media.put(decode_worker(frame))
        except ConnectionClosed:
            pass
        finally:
            self.media_closed.set()

    async def _control(self, ws: ServerConnection) -> None:
        challenge = os.urandom(32)
        await ws.send(encode(ServerHello(versions=[1], challenge=challenge)))
        hello = decode_agent(await ws.recv())
        assert isinstance(hello, AgentHello)
        public = Ed25519PublicKey.from_public_bytes(base64.b64decode(self.public_key))
        public.verify(hello.signature, auth_payload(challenge, hello.agent_id))
        await ws.send(encode(Welcome(version=1, heartbeat_interval=1, inventory_interval=3600)))
        await ws.send(encode(HeartbeatAck(seq=0, server_time=0.0)))

        async def forward() -> None:
            while True:
                await ws.send(await self.control_send.get())

        sender = asyncio.create_task(forward())
        try:
            async for _ in ws:  # heartbeats and inventories: not our business here
                pass
        except ConnectionClosed:
            pass
        finally:
            sender.cancel()
            await asyncio.gather(sender, return_exceptions=True)

    async def next_media(self, kind: type[WorkerMessage], timeout: float = 10) -> WorkerMessage:
        async with asyncio.timeout(timeout):
            while True:
                message = await self.media.get()
                if isinstance(message, kind):
                    return message


@pytest_asyncio.fixture
async def endpoints(server_cert: ServerCert) -> AsyncIterator[Endpoints]:
    points = Endpoints()
    async with serve(points.handle, "127.0.0.1", 0, ssl=server_cert.server_context()) as server:
        points.port = next(iter(server.sockets)).getsockname()[1]
        yield points


def config_for(points: Endpoints, cert: ServerCert) -> AgentConfig:
    cfg = make_config(
        server_url=f"https://127.0.0.1:{points.port}", server_fingerprint=cert.fingerprint
    )
    points.public_key = public_key_b64(cfg.seed)
    return cfg


@pytest.mark.asyncio
async def test_worker_streams_applies_input_and_releases_on_close(
    endpoints: Endpoints, server_cert: ServerCert, x_display: str
) -> None:
    cfg = config_for(endpoints, server_cert)
    worker = asyncio.create_task(
        run_worker(cfg, SESSION, TOKEN, capture="x11", input_backend="xtest", display=x_display)
    )
    hello = await endpoints.next_media(MediaHello)
    assert hello == MediaHello(session_id=SESSION, token=TOKEN, codecs=["h264", "jpeg"])
    monitors = await endpoints.next_media(Monitors)
    assert [(m.width, m.height) for m in monitors.monitors] == [(1280, 720)]  # type: ignore[attr-defined]
    first = await endpoints.next_media(VideoFrame)
    assert first.keyframe and (first.width, first.height) == (1280, 720)  # type: ignore[attr-defined]
    assert endpoints.media_user_agents[0].startswith("guruconnect-agent/")

    ws = endpoints.media_socket
    assert ws is not None
    await ws.send(encode(PointerInput(seq=41, x=640, y=360)))
    await ws.send(encode(StreamSettings(codec="jpeg", quality="speed", max_fps=10)))
    tiles = await endpoints.next_media(TileFrame)
    assert tiles.keyframe  # type: ignore[attr-defined]
    observer = Display(x_display)
    try:
        pointer = observer.screen().root.query_pointer()
        assert (pointer.root_x, pointer.root_y) == (640, 360)
        await ws.send(encode(KeyInput(seq=42, down=True, code="ShiftLeft", key="Shift")))
        await ws.send(encode(KeyInput(seq=43, down=True, code="KeyA", key="A")))
        for _ in range(100):
            if len(keys_down(observer)) == 2:
                break
            await asyncio.sleep(0.02)
        assert len(keys_down(observer)) == 2
        await ws.close()  # the server ends the session with keys still down
        await asyncio.wait_for(worker, 10)
        assert keys_down(observer) == []  # nothing stuck
    finally:
        observer.close()


@pytest.mark.asyncio
async def test_agent_starts_the_worker_with_the_token_on_stdin_and_stops_it(
    endpoints: Endpoints, server_cert: ServerCert, x_display: str, tmp_path: Path
) -> None:
    cfg = config_for(endpoints, server_cert)
    path = tmp_path / "agent.json"
    save_config(path, cfg)
    desktops = DesktopSupervisor(
        path, extra_args=["--display", x_display, "--log-level", "WARNING"]
    )
    stop = asyncio.Event()
    agent = asyncio.create_task(run_agent(cfg, stop=stop, desktops=desktops))
    try:
        await endpoints.control_send.put(encode(DesktopOpen(session_id=SESSION, token=TOKEN)))
        hello = await endpoints.next_media(MediaHello, timeout=20)
        assert hello.token == TOKEN  # type: ignore[attr-defined]
        process = desktops.workers[SESSION]
        assert TOKEN.hex() not in " ".join(process.args)  # type: ignore[arg-type]
        await endpoints.next_media(VideoFrame)
        await endpoints.control_send.put(encode(DesktopClose(session_id=SESSION)))
        await asyncio.wait_for(endpoints.media_closed.wait(), 10)
        assert await asyncio.to_thread(process.wait, 10) == 0  # SIGTERM: a clean exit
        assert SESSION not in desktops.workers
    finally:
        stop.set()
        await asyncio.wait_for(agent, 10)


def test_idle_agent_does_not_load_the_heavy_libraries() -> None:
    code = (
        "import sys, guruconnect.agent.connection, guruconnect.agent.cli;"
        "print(sorted(m for m in ('numpy', 'av', 'Xlib', 'mss', 'PIL') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
