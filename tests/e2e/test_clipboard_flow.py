"""A large remote copy and a stalled viewer cost the other viewers nothing, end to end:
a real server, a real agent and desktop worker on an Xvfb display with an animated app,
``xclip`` copying a 12 MB item there, and two technicians' viewer sockets (plain
WebSocket clients: the screen and clipboard streams are what is measured, not the page).

One technician's client stops reading entirely. The other must keep getting screen
frames while the item streams (the media socket never waits for a viewer: the worker is
paced by ClipboardAck instead), get the whole item, and the stalled one's copy must be
dropped with the usual message. No timing thresholds: frame rates are compared with
each other within the one run.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Iterator

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection

from guruconnect.protocol.clipboard import ClipboardChunk, ClipboardError, ClipboardOffer
from guruconnect.protocol.codec import decode_viewer_outbound
from guruconnect.protocol.desktop import TileFrame, VideoFrame
from tests.e2e.test_remote_control import Desk, desktop
from tests.support.browser_socket import browser_socket
from tests.support.clipboard import x_copy
from tests.support.server import ServerProcess, running_server
from tests.support.system import ensure_command
from tests.support.users import SignedIn, sign_in
from tests.support.wait import wait_for

# Well past what a stalled client's socket buffers absorb (a few MB on loopback) plus
# what the server queues per viewer (QUEUE_LOW + ACK_WINDOW chunks, about 2.5 MB), and
# within the default clipboard_max_bytes (16 MiB).
ITEM = os.urandom(6_000_000).hex().encode()  # 12 MB of text
BASELINE = 3.0  # seconds of frames counted before the copy, to compare with


@pytest.fixture(scope="module")
def xclip() -> str:
    return ensure_command("xclip", "xclip")


@pytest.fixture(scope="module")
def flow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with running_server(tmp_path_factory.mktemp("flow-server")) as server:
        yield server


@pytest.fixture(scope="module")
def admin(flow_server: ServerProcess) -> SignedIn:
    return sign_in(flow_server)


@pytest.fixture(scope="module")
def desk(
    flow_server: ServerProcess, admin: SignedIn, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Desk]:
    root = tmp_path_factory.mktemp("flow-desk")
    with desktop(flow_server, admin, root, two_monitors=False, mode="animated") as d:
        yield d


class Watcher(threading.Thread):
    """Reads one viewer socket all the time, as a browser would, and notes when each
    screen frame and each chunk of the large item arrived."""

    def __init__(self, ws: ClientConnection) -> None:
        super().__init__(daemon=True)
        self.ws = ws
        self.frames: list[float] = []
        self.chunks: list[float] = []
        self.offer: ClipboardOffer | None = None
        self.body = bytearray()
        self.errors: list[ClipboardError] = []
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            try:
                message = decode_viewer_outbound(self.ws.recv(timeout=0.5))
            except TimeoutError:
                continue
            except ConnectionClosed:
                return
            now = time.monotonic()
            if isinstance(message, VideoFrame | TileFrame):
                self.frames.append(now)
            elif isinstance(message, ClipboardOffer) and message.total == len(ITEM):
                self.offer = message
            elif isinstance(message, ClipboardChunk) and self.offer is not None:
                if message.transfer == self.offer.transfer:
                    self.body += message.data
                    self.chunks.append(now)
            elif isinstance(message, ClipboardError):
                self.errors.append(message)

    def complete(self) -> bool:
        return self.offer is not None and len(self.body) == self.offer.total

    def frames_between(self, start: float, end: float) -> int:
        return sum(start <= t <= end for t in self.frames)


def test_a_stalled_viewer_holds_back_neither_the_screen_nor_the_item(
    flow_server: ServerProcess, admin: SignedIn, desk: Desk, xclip: str
) -> None:
    path = f"/ws/viewer/{desk.agent.agent_id}"
    other = sign_in(flow_server)
    # max_queue=1: the client stops reading from its socket after one unread message.
    with (
        browser_socket(flow_server, path, other, max_size=None, max_queue=1) as stalled,
        browser_socket(flow_server, path, admin, max_size=None) as normal,
    ):
        watcher = Watcher(normal)
        watcher.start()
        try:
            wait_for(lambda: len(watcher.frames) >= 5, "the screen on the normal viewer")
            start = time.monotonic()
            time.sleep(BASELINE)
            before = watcher.frames_between(start, start + BASELINE) / BASELINE

            x_copy(xclip, desk.display, "UTF8_STRING", ITEM)
            wait_for(watcher.complete, "the whole item on the normal viewer", timeout=180)
        finally:
            watcher.done.set()
            watcher.join()

        assert watcher.offer is not None
        assert hashlib.sha256(watcher.body).digest() == watcher.offer.formats[0].sha256
        assert watcher.errors == []
        # The screen kept coming while the item streamed, including the stretch where
        # the server held the item back for the stalled viewer (the longest gap between
        # two chunks): before, the media socket stopped reading for all of it.
        first, last = watcher.chunks[0], watcher.chunks[-1]
        during = watcher.frames_between(first, last) / max(last - first, 1e-3)
        gaps = [(b - a, a, b) for a, b in zip(watcher.chunks, watcher.chunks[1:], strict=False)]
        gap, gap_start, gap_end = max(gaps)
        in_gap = watcher.frames_between(gap_start, gap_end)
        print(
            f"frames/s before {before:.1f}, while streaming {during:.1f} over "
            f"{last - first:.1f} s; longest chunk gap {gap:.1f} s with {in_gap} frames"
        )
        assert in_gap > 0, f"no frame during the {gap:.1f} s the item waited"
        assert during >= before / 4, (during, before)

        # The stalled viewer now reads what was queued for it: part of the item, then
        # the message that it was too slow for it. Its screen was never at stake.
        total = len(watcher.chunks)
        got = 0
        while True:
            message = decode_viewer_outbound(stalled.recv(timeout=30))
            if isinstance(message, ClipboardChunk) and message.transfer == watcher.offer.transfer:
                got += 1
            elif isinstance(message, ClipboardError):
                assert message.transfer == watcher.offer.transfer
                assert "too slow" in message.message, message
                break
        assert 0 < got < total, (got, total)
