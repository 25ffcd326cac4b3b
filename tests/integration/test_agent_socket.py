"""Hostile and broken agents: each bad frame closes only its own connection."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from guruconnect.protocol import AgentHello, Heartbeat, HeartbeatAck, Inventory, encode
from guruconnect.protocol.codec import decode_server
from guruconnect.protocol.messages import ServerHello, Welcome, auth_payload
from tests.integration.test_agents import machine, online_with_inventory, start_agent
from tests.support.agents import OPEN_TIMEOUT, RawAgent, client_ssl, create_token
from tests.support.server import ServerProcess
from tests.support.users import sign_in
from tests.support.wait import wait_for


@pytest.fixture(scope="module")
def server(module_server: ServerProcess) -> ServerProcess:
    """One server for this module's tests: each signs in its own users and makes its own
    objects, so none depends on a fresh server."""
    return module_server


def open_socket(server: ServerProcess, origin: str | None = None) -> ClientConnection:
    return connect(
        f"{server.ws_url}/ws/agent",
        ssl=client_ssl(),
        origin=origin,  # type: ignore[arg-type]
        max_size=None,
        open_timeout=OPEN_TIMEOUT,
    )


def handshake(ws: ClientConnection, raw: RawAgent, versions: list[int] | None = None) -> Welcome:
    hello = decode_server(ws.recv(timeout=10))
    assert isinstance(hello, ServerHello)
    signature = raw.sign(auth_payload(hello.challenge, raw.agent_id))
    ws.send(
        encode(AgentHello(agent_id=raw.agent_id, versions=versions or [1], signature=signature))
    )
    welcome = decode_server(ws.recv(timeout=10))
    assert isinstance(welcome, Welcome)
    return welcome


def close_code(ws: ClientConnection) -> int | None:
    with pytest.raises(ConnectionClosed):
        while True:
            ws.recv(timeout=10)
    assert ws.close_code is not None
    return ws.close_code


def test_bad_frames_close_only_the_sender(server: ServerProcess, tmp_path: Path) -> None:
    log_start = len(server.log())  # the server is the module's: only this test's lines
    admin = sign_in(server)
    good = start_agent(server.url, admin, tmp_path)
    try:
        stored = wait_for(lambda: online_with_inventory(admin, good.agent_id), "good agent")
        token = create_token(admin)

        raw = RawAgent.enroll(server, token, hostname="victim-of-its-own-bugs")
        # Garbage after a valid handshake.
        with open_socket(server) as ws:
            handshake(ws, raw)
            ws.send(b"\xc1\xff not msgpack")
            assert close_code(ws) == 4400
        # Valid MessagePack, unknown message type.
        with open_socket(server) as ws:
            handshake(ws, raw)
            ws.send(msgspec.msgpack.encode({"type": "format_c_drive"}))
            assert close_code(ws) == 4400
        # Field out of bounds (hostname over 256 characters).
        with open_socket(server) as ws:
            handshake(ws, raw)
            ws.send(msgspec.msgpack.encode({"type": "inventory", "hostname": "x" * 5000}))
            assert close_code(ws) == 4400
        # Oversized frame.
        with open_socket(server) as ws:
            handshake(ws, raw)
            ws.send(b"\x00" * (300 * 1024))
            assert close_code(ws) == 4413
        # Text frame on a binary protocol.
        with open_socket(server) as ws:
            handshake(ws, raw)
            ws.send("hello")
            assert close_code(ws) == 4400
        # Anything before the hello.
        with open_socket(server) as ws:
            ws.recv(timeout=10)
            ws.send(encode(Heartbeat(seq=1)))
            assert close_code(ws) == 4405
        # Wrong key.
        impostor = RawAgent(raw.agent_id, RawAgent.enroll(server, token).seed)
        with open_socket(server) as ws:
            with pytest.raises(ConnectionClosed):
                handshake(ws, impostor)
            assert ws.close_code == 4401
        # Unknown agent id answers the same as a bad signature.
        with open_socket(server) as ws:
            with pytest.raises(ConnectionClosed):
                handshake(ws, RawAgent("no-such-agent", raw.seed))
            assert ws.close_code == 4401
        # No common protocol version.
        with open_socket(server) as ws:
            with pytest.raises(ConnectionClosed):
                handshake(ws, raw, versions=[99])
            assert ws.close_code == 4426

        # The well-behaved agent never noticed, and nothing it stored was lost.
        after = machine(admin, good.agent_id)
        assert after["online"] and after["inventory"] == stored["inventory"]
        assert machine(admin, raw.agent_id)["hostname"] == "victim-of-its-own-bugs"
        lines = server.log()[log_start:].splitlines()
        closings = [line for line in lines if "closing agent" in line]
        assert any("(4400)" in line for line in closings), closings
    finally:
        good.stop()


def test_heartbeat_and_inventory_round_trip(server: ServerProcess) -> None:
    admin = sign_in(server)
    raw = RawAgent.enroll(server, create_token(admin))
    with open_socket(server) as ws:
        welcome = handshake(ws, raw)
        assert welcome.heartbeat_interval == 2 and welcome.public_ip == "127.0.0.1"
        ws.send(encode(Heartbeat(seq=7)))
        ack = decode_server(ws.recv(timeout=10))
        assert isinstance(ack, HeartbeatAck) and ack.seq == 7
        ws.send(encode(Inventory(hostname="<img src=x onerror=alert(1)>", cpu_count=4)))
        wait_for(lambda: machine(admin, raw.agent_id)["inventory"], "inventory stored")
        assert machine(admin, raw.agent_id)["hostname"] == "<img src=x onerror=alert(1)>"


def test_second_connection_replaces_first(server: ServerProcess) -> None:
    admin = sign_in(server)
    raw = RawAgent.enroll(server, create_token(admin))
    with open_socket(server) as first:
        handshake(first, raw)
        with open_socket(server) as second:
            handshake(second, raw)
            assert close_code(first) == 4409
            second.send(encode(Heartbeat(seq=1)))
            assert isinstance(decode_server(second.recv(timeout=10)), HeartbeatAck)
            assert machine(admin, raw.agent_id)["online"]


def test_foreign_origin_upgrade_refused(server: ServerProcess) -> None:
    with pytest.raises(InvalidStatus) as refused:
        open_socket(server, origin="https://evil.example")
    assert refused.value.response.status_code == 403
