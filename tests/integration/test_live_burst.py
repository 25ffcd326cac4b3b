"""A burst of status changes reaches an open dashboard in a few batches, not one frame
per machine, and every change arrives."""

from __future__ import annotations

import asyncio
import json
import time

from websockets.asyncio.client import ClientConnection, connect

from guruconnect.protocol import AgentHello, encode
from guruconnect.protocol.codec import decode_server
from guruconnect.protocol.messages import ServerHello, auth_payload
from tests.support.agents import RawAgent, client_ssl, create_token
from tests.support.browser_socket import session_cookie
from tests.support.server import ServerProcess
from tests.support.users import sign_in

AGENTS = 200


async def agent_online(server: ServerProcess, raw: RawAgent) -> ClientConnection:
    ws = await connect(f"{server.ws_url}/ws/agent", ssl=client_ssl(), open_timeout=20)
    hello = decode_server(await ws.recv())
    assert isinstance(hello, ServerHello)
    signature = raw.sign(auth_payload(hello.challenge, raw.agent_id))
    await ws.send(encode(AgentHello(agent_id=raw.agent_id, versions=[1], signature=signature)))
    await ws.recv()  # Welcome
    return ws


async def burst(
    server: ServerProcess, cookie: str, raws: list[RawAgent]
) -> list[dict[str, object]]:
    ids = {r.agent_id for r in raws}
    async with connect(
        f"{server.ws_url}/ws/dashboard",
        ssl=client_ssl(),
        origin=server.url,  # type: ignore[arg-type]
        additional_headers={"cookie": cookie},
        open_timeout=20,
    ) as dash:
        assert json.loads(await dash.recv()) == {"type": "hello"}
        sockets = []
        for start in range(0, len(raws), 50):
            sockets += await asyncio.gather(
                *(agent_online(server, r) for r in raws[start : start + 50])
            )
        online: set[str] = set()
        while online != ids:  # the connects arrive first, batched too
            frame = json.loads(await asyncio.wait_for(dash.recv(), 20))
            online |= {m["id"] for m in frame.get("machines", []) if m["online"]}
        await asyncio.gather(*(ws.close() for ws in sockets))  # all at once
        frames: list[dict[str, object]] = []
        offline: set[str] = set()
        deadline = time.monotonic() + 30
        while offline != ids and time.monotonic() < deadline:
            frame = json.loads(await asyncio.wait_for(dash.recv(), 20))
            frames.append(frame)
            offline |= {m["id"] for m in frame.get("machines", []) if not m["online"]}  # type: ignore[attr-defined]
        assert offline == ids, f"{len(ids - offline)} offline updates missing"
        return frames


def test_burst_arrives_batched(server: ServerProcess) -> None:
    admin = sign_in(server)
    token = create_token(admin)
    raws = [RawAgent.enroll(server, token, hostname=f"burst-{n:03d}") for n in range(AGENTS)]
    cookie = session_cookie(admin)
    frames = asyncio.run(burst(server, cookie, raws))
    batches = [f for f in frames if f["type"] == "machines"]
    assert len(batches) <= AGENTS / 10, f"{len(batches)} frames for {AGENTS} changes"
    assert {"type": "groups_changed"} in frames
