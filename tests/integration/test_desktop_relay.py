"""The remote-desktop relay: sessions open on demand, frames pass unchanged, input is
authorized and clamped, and a slow viewer costs nobody else anything.

The agent and its desktop worker are played by raw protocol clients here, so every
byte is under the test's control; tests/e2e drives the real agent on a real display.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from guruconnect.protocol import encode
from guruconnect.protocol.codec import decode_server, decode_to_worker, decode_viewer_outbound
from guruconnect.protocol.desktop import (
    DesktopClose,
    DesktopOpen,
    KeyframeRequest,
    KeyInput,
    MediaHello,
    Monitor,
    Monitors,
    Ping,
    PointerInput,
    Pong,
    StreamSettings,
    TakeControl,
    VideoFrame,
    ViewerState,
)
from tests.integration.test_agent_socket import handshake, open_socket
from tests.support.agents import OPEN_TIMEOUT, RawAgent, client_ssl, create_token
from tests.support.browser_socket import browser_socket
from tests.support.server import ServerProcess
from tests.support.users import SignedIn, sign_in


@pytest.fixture(scope="module")
def server(module_server: ServerProcess) -> ServerProcess:
    """One server for this module's tests: each signs in its own users and makes its own
    objects, so none depends on a fresh server."""
    return module_server


MONITORS = Monitors(
    monitors=[
        Monitor(id=0, x=0, y=0, width=1920, height=1080, primary=True),
        Monitor(id=1, x=1920, y=0, width=1280, height=1024),
    ]
)


def viewer(
    server: ServerProcess,
    user: SignedIn | None,
    machine_id: str,
    origin: str | None = None,
    max_queue: int | None = 16,
) -> ClientConnection:
    return browser_socket(
        server, f"/ws/viewer/{machine_id}", user, origin, max_size=None, max_queue=max_queue
    )


@contextmanager
def worker(server: ServerProcess, session_id: str, token: bytes) -> Iterator[ClientConnection]:
    with connect(
        f"{server.ws_url}/ws/media", ssl=client_ssl(), open_timeout=OPEN_TIMEOUT, max_size=None
    ) as ws:
        ws.send(encode(MediaHello(session_id=session_id, token=token)))
        yield ws


def recv_viewer(ws: ClientConnection, kind: type, timeout: float = 10) -> object:
    deadline = time.monotonic() + timeout
    while True:
        message = decode_viewer_outbound(ws.recv(timeout=max(0.1, deadline - time.monotonic())))
        if isinstance(message, kind):
            return message


def recv_worker(ws: ClientConnection, kind: type, timeout: float = 10) -> object:
    deadline = time.monotonic() + timeout
    while True:
        message = decode_to_worker(ws.recv(timeout=max(0.1, deadline - time.monotonic())))
        if isinstance(message, kind):
            return message


def closed_with(ws: ClientConnection) -> int | None:
    with pytest.raises(ConnectionClosed):
        for _ in range(1000):
            ws.recv(timeout=15)
    return ws.close_code


@contextmanager
def online_agent(
    server: ServerProcess, admin: SignedIn
) -> Iterator[tuple[RawAgent, ClientConnection]]:
    raw = RawAgent.enroll(server, create_token(admin), hostname="desk")
    with open_socket(server) as control:
        handshake(control, raw)
        yield raw, control


def desktop_open(control: ClientConnection) -> DesktopOpen:
    while True:
        message = decode_server(control.recv(timeout=10))
        if isinstance(message, DesktopOpen):
            return message


def test_session_relays_frames_and_authorizes_input(server: ServerProcess) -> None:
    admin = sign_in(server)
    with online_agent(server, admin) as (raw, control):
        with viewer(server, admin, raw.agent_id) as v1:
            opened = desktop_open(control)
            state = recv_viewer(v1, ViewerState)
            assert isinstance(state, ViewerState) and state.role == "controller"
            assert not state.agent_connected
            with worker(server, opened.session_id, opened.token) as w:
                assert isinstance(recv_worker(w, StreamSettings), StreamSettings)
                w.send(encode(MONITORS))
                assert recv_viewer(v1, Monitors) == MONITORS
                # Frames pass byte for byte.
                frame = encode(
                    VideoFrame(
                        seq=1,
                        keyframe=True,
                        width=1920,
                        height=1080,
                        data=b"\x00\x00\x00\x01" + bytes(range(256)) * 40,
                    )
                )
                w.send(frame)
                while (got := v1.recv(timeout=10)) != frame:
                    assert isinstance(decode_viewer_outbound(got), ViewerState | Monitors)
                # Out-of-range input is clamped to the screens, never passed raw.
                v1.send(encode(PointerInput(seq=1, x=30000, y=-5, buttons=1)))
                moved = recv_worker(w, PointerInput)
                assert isinstance(moved, PointerInput) and (moved.x, moved.y) == (3199, 0)
                v1.send(encode(Ping(t=1.5)))
                assert recv_viewer(v1, Pong) == Pong(t=1.5)

                # A second technician watches, and cannot type into the machine.
                tech = sign_in(server, role="technician")
                with viewer(server, tech, raw.agent_id) as v2:
                    assert isinstance(recv_worker(w, KeyframeRequest), KeyframeRequest)
                    state2 = recv_viewer(v2, ViewerState)
                    assert isinstance(state2, ViewerState) and state2.role == "observer"
                    assert state2.controller == admin.username
                    v2.send(encode(KeyInput(seq=1, down=True, code="KeyA", key="a")))
                    v2.send(encode(TakeControl()))
                    v1.send(encode(KeyInput(seq=2, down=True, code="KeyB", key="b")))
                    key = recv_worker(w, KeyInput)
                    assert isinstance(key, KeyInput) and key.key == "b", "v2's key was dropped"
                assert f"refused KeyInput from {tech.username}" in server.log()
        # The last viewer left: the agent is told to stop capturing.
        while True:
            message = decode_server(control.recv(timeout=10))
            if isinstance(message, DesktopClose):
                assert message.session_id == opened.session_id
                break


def test_viewer_role_cannot_control(server: ServerProcess) -> None:
    admin = sign_in(server)
    watcher = sign_in(server, role="viewer")
    with online_agent(server, admin) as (raw, control):
        with viewer(server, watcher, raw.agent_id) as v:
            opened = desktop_open(control)
            with worker(server, opened.session_id, opened.token) as w:
                w.send(encode(MONITORS))
                state = recv_viewer(v, ViewerState)
                assert isinstance(state, ViewerState) and state.role == "observer"
                v.send(encode(TakeControl()))
                v.send(encode(PointerInput(seq=1, x=10, y=10)))
                v.send(encode(Ping(t=2)))
                recv_viewer(v, Pong)
                with pytest.raises(TimeoutError):
                    recv_worker(w, PointerInput, timeout=2)


def test_handshake_refusals(server: ServerProcess) -> None:
    admin = sign_in(server)
    outsider = sign_in(server, role="technician", companies="Globex")
    with online_agent(server, admin) as (raw, control):
        with pytest.raises(InvalidStatus) as foreign:
            viewer(server, admin, raw.agent_id, origin="https://evil.example")
        assert foreign.value.response.status_code == 403
        with viewer(server, None, raw.agent_id) as v:
            assert closed_with(v) == 4401
        with viewer(server, outsider, raw.agent_id) as v:
            assert closed_with(v) == 4404
        with viewer(server, admin, "no-such-machine") as v:
            assert closed_with(v) == 4404
        with viewer(server, admin, raw.agent_id) as v:
            opened = desktop_open(control)
            with worker(server, opened.session_id, bytes(32)) as w:
                assert closed_with(w) == 4401, "a wrong token never attaches"
            with worker(server, "unknown-session-id", opened.token) as w:
                assert closed_with(w) == 4401
    offline = RawAgent.enroll(server, create_token(admin))
    with viewer(server, admin, offline.agent_id) as v:
        assert closed_with(v) == 4410


def test_worker_leaving_ends_the_session(server: ServerProcess) -> None:
    admin = sign_in(server)
    with online_agent(server, admin) as (raw, control):
        with viewer(server, admin, raw.agent_id) as v:
            opened = desktop_open(control)
            with worker(server, opened.session_id, opened.token) as w:
                recv_worker(w, StreamSettings)
            assert closed_with(v) == 4410


def rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))  # type: ignore[union-attr]


def test_slow_viewer_costs_nobody_anything(server: ServerProcess) -> None:
    admin = sign_in(server)
    assert server.proc is not None
    with online_agent(server, admin) as (raw, control):
        # The stalled viewer reads nothing: its client stops reading after 1 queued frame.
        with (
            viewer(server, admin, raw.agent_id, max_queue=1) as stalled,
            viewer(server, admin, raw.agent_id) as fast,
        ):
            opened = desktop_open(control)
            with worker(server, opened.session_id, opened.token) as w:
                w.send(encode(MONITORS))
                payload = bytes(512 * 1024)
                before = rss_kb(server.proc.pid)
                started = time.monotonic()
                received = 0
                for seq in range(200):  # 100 MB offered in total
                    w.send(
                        encode(
                            VideoFrame(
                                seq=seq, keyframe=True, width=1920, height=1080, data=payload
                            )
                        )
                    )
                    while True:  # the fast viewer keeps up and sees frames throughout
                        try:
                            got = decode_viewer_outbound(fast.recv(timeout=0.001))
                        except TimeoutError:
                            break
                        received += isinstance(got, VideoFrame)
                sending = time.monotonic() - started
                deadline = time.monotonic() + 10
                while received < 100 and time.monotonic() < deadline:
                    try:
                        got = decode_viewer_outbound(fast.recv(timeout=1))
                        received += isinstance(got, VideoFrame)
                    except TimeoutError:
                        break
                growth_mb = (rss_kb(server.proc.pid) - before) / 1024
                assert received >= 100, f"fast viewer got only {received} of 200 frames"
                # Unbounded queueing would hold most of the 100 MB for the stalled viewer.
                assert growth_mb < 40, f"server grew {growth_mb:.0f} MB"
                assert stalled.protocol.state.name == "OPEN"
                print(
                    f"200 x 512 kB sent in {sending:.1f} s; fast viewer got {received}; "
                    f"server RSS +{growth_mb:.1f} MB"
                )
