"""A support session's guest, played by a raw /ws/support client speaking
guruconnect.protocol.support: a real peer of the real server, byte for byte what the
one-time agent sends (the agent itself runs in tests/integration/test_support_lifecycle.py)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from guruconnect.protocol import encode
from guruconnect.protocol.codec import decode_support_server, decode_viewer_outbound
from guruconnect.protocol.desktop import TileFrame, VideoFrame
from guruconnect.protocol.support import SupportHello, SupportServerMessage, SupportWelcome
from tests.support.agents import OPEN_TIMEOUT, client_ssl
from tests.support.browser_socket import browser_socket
from tests.support.server import ServerProcess
from tests.support.users import SignedIn


def create_session(user: SignedIn, **body: object) -> dict[str, object]:
    r = user.post("/api/v1/support-sessions", json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())


def portal_join(server: ServerProcess, code: str, ip: str | None = None) -> str:
    """The join token the portal hands out for a right code."""
    headers = {"x-forwarded-for": ip} if ip else {}
    r = server.client().post("/api/v1/portal/join", json={"code": code}, headers=headers)
    assert r.status_code == 200, r.text
    url = r.json()["downloads"][0]["url"]
    return str(url.split("/")[-2])


@contextmanager
def guest_socket(server: ServerProcess) -> Iterator[ClientConnection]:
    with connect(f"{server.ws_url}/ws/support", ssl=client_ssl(), open_timeout=OPEN_TIMEOUT) as ws:
        yield ws


def hello(ws: ClientConnection, token: str, username: str = "alice") -> SupportWelcome:
    ws.send(encode(SupportHello(join_token=token, versions=[1], hostname="pc-guest",
                                os="Debian", username=username)))  # fmt: skip
    welcome = decode_support_server(ws.recv(timeout=10))
    assert isinstance(welcome, SupportWelcome), welcome
    return welcome


def recv(ws: ClientConnection, kind: type, timeout: float = 10) -> SupportServerMessage:
    """The next message of ``kind`` (others are skipped)."""
    deadline = time.monotonic() + timeout
    while True:
        message = decode_support_server(ws.recv(timeout=max(0.1, deadline - time.monotonic())))
        if isinstance(message, kind):
            return message


def closed_with(ws: ClientConnection) -> int | None:
    with pytest.raises(ConnectionClosed):
        for _ in range(1000):
            ws.recv(timeout=15)
    return ws.close_code


# --- the technician's side ---------------------------------------------------------


def session_info(tech: SignedIn, session_id: str) -> dict[str, object]:
    r = tech.client.get(f"/api/v1/support-sessions/{session_id}")
    assert r.status_code == 200, r.text
    return dict(r.json())


def wait_status(tech: SignedIn, session_id: str, want: Callable[[dict[str, object]], bool],
                what: str, timeout: float = 60) -> dict[str, object]:  # fmt: skip
    deadline = time.monotonic() + timeout
    info: dict[str, object] = {}
    while time.monotonic() < deadline:
        info = session_info(tech, session_id)
        if want(info):
            return info
        time.sleep(0.3)
    raise AssertionError(f"session never became {what}: {info}")


def viewer_refusal(server: ServerProcess, tech: SignedIn, target: str) -> int | None:
    """The close code the viewer socket gets; fails if a single frame arrives."""
    with browser_socket(server, f"/ws/viewer/{target}", tech, max_size=None) as viewer:
        try:
            while True:
                message = decode_viewer_outbound(viewer.recv(timeout=15))
                assert not isinstance(message, VideoFrame | TileFrame), "screen data leaked"
        except ConnectionClosed:
            return viewer.close_code


def first_frame(server: ServerProcess, tech: SignedIn, target: str, timeout: float = 90) -> object:
    with browser_socket(server, f"/ws/viewer/{target}", tech, max_size=None) as viewer:
        deadline = time.monotonic() + timeout
        while True:
            raw = viewer.recv(timeout=max(0.1, deadline - time.monotonic()))
            message = decode_viewer_outbound(raw)
            if isinstance(message, VideoFrame | TileFrame):
                return message
