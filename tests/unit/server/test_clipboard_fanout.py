"""A remote copy's pacing on the server (server/desktop/clipboard_fanout.py): chunks are
queued without waiting, the worker is acked only when every recipient has room, and a
stalled recipient is dropped without holding back the others.

Real Outboxes; only their sockets are replaced: one sends instantly, the other's send
never completes (a viewer that stopped reading), the worker's records what it got.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from guruconnect.protocol import encode
from guruconnect.protocol.clipboard import (
    ACK_WINDOW,
    ClipboardAck,
    ClipboardChunk,
    ClipboardError,
    ClipboardFormat,
    ClipboardOffer,
)
from guruconnect.protocol.codec import decode_to_worker, decode_viewer_outbound
from guruconnect.server.auth.principal import Principal
from guruconnect.server.auth.roles import Scope
from guruconnect.server.desktop import clipboard_fanout
from guruconnect.server.desktop.clipboard import from_worker, relay_for
from guruconnect.server.desktop.clipboard_fanout import QUEUE_LOW, Fanout
from guruconnect.server.desktop.outbox import Outbox
from guruconnect.server.desktop.session import DesktopSession, Viewer, WorkerLink

CHUNK = b"c" * 1000
CHUNKS = 60  # well past QUEUE_LOW + ACK_WINDOW


class Peer:
    """A socket end: records what reaches it, or (stalled) never finishes a send."""

    def __init__(self, stalled: bool = False, delay: float = 0.0) -> None:
        self.stalled = stalled
        self.delay = delay
        self.got: list[bytes] = []

    async def send(self, frame: bytes) -> None:
        if self.stalled:
            await asyncio.Event().wait()
        await asyncio.sleep(self.delay)
        self.got.append(frame)

    def messages(self, decode: Any) -> list[Any]:
        return [decode(f) for f in self.got]


async def _close(_: int, __: str) -> None:
    pass


def make_viewer(peer: Peer, name: str) -> Viewer:
    principal = Principal(1, name, "x", frozenset({Scope.MACHINES_CONTROL}), ("*",), "session")
    return Viewer(principal, Outbox(peer.send), _close)


@pytest.fixture(autouse=True)
def quick_limits(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(clipboard_fanout, "STALL_LIMIT", 0.2)
    monkeypatch.setattr(clipboard_fanout, "DRAIN_LIMIT", 0.5)
    yield


def offer(total: int) -> ClipboardOffer:
    return ClipboardOffer(transfer=5, formats=[ClipboardFormat("text", total, b"\0" * 32)])


def acks(worker: Peer) -> list[ClipboardAck]:
    return [m for m in worker.messages(decode_to_worker) if isinstance(m, ClipboardAck)]


async def run_transfer(session: DesktopSession, fanout: Fanout, worker: Peer) -> None:
    """Play a worker that honours the window: send, wait for acks, send more."""
    for index in range(CHUNKS):
        while index > fanout.acked + ACK_WINDOW:
            assert not any(a.stop for a in acks(worker)), "stopped"
            await asyncio.sleep(0.01)
        chunk = ClipboardChunk(transfer=5, index=index, data=CHUNK)
        assert fanout.chunk(chunk, encode(chunk)) is None  # queued at once, never waits


def test_a_stalled_viewer_is_dropped_and_the_other_gets_everything() -> None:
    async def main() -> None:
        session = DesktopSession("m1")
        worker = Peer()
        session.attach_worker(WorkerLink(Outbox(worker.send), _close))
        fast_peer, stalled_peer = Peer(), Peer(stalled=True)
        fast, stalled = make_viewer(fast_peer, "fast"), make_viewer(stalled_peer, "stalled")
        session.add_viewer(fast)
        session.add_viewer(stalled)
        tasks = [asyncio.create_task(o.run()) for o in (worker_outbox(session), fast.outbox,
                                                        stalled.outbox)]  # fmt: skip
        fanout = Fanout(session, offer(len(CHUNK) * CHUNKS), [fast, stalled])
        await asyncio.wait_for(run_transfer(session, fanout, worker), 10)
        await asyncio.sleep(0.05)
        assert fanout.recipients == [fast] and fanout.dropped == 1
        chunks = [m for m in fast_peer.messages(decode_viewer_outbound)
                  if isinstance(m, ClipboardChunk)]  # fmt: skip
        assert [c.index for c in chunks] == list(range(CHUNKS))
        # The stalled viewer's queue stayed bounded, and ends with the reason.
        queued = list(stalled.outbox._control)
        assert len(queued) <= QUEUE_LOW + ACK_WINDOW + 4, len(queued)
        last = decode_viewer_outbound(queued[-1])
        assert isinstance(last, ClipboardError) and "too slow" in last.message
        # Acks only ever allowed ACK_WINDOW chunks ahead, and none told the worker to stop.
        got = acks(worker)
        assert got and not any(a.stop for a in got)
        assert [a.index for a in got] == sorted({a.index for a in got})
        assert got[-1].index == CHUNKS - 1  # the last one too: the next item may start
        fanout.end()
        for task in tasks:
            task.cancel()

    asyncio.run(main())


def test_a_slow_viewer_holds_an_item_back_for_a_limited_time_in_all() -> None:
    async def main() -> None:
        session = DesktopSession("m1")
        worker = Peer()
        session.attach_worker(WorkerLink(Outbox(worker.send), _close))
        fast_peer, slow_peer = Peer(), Peer(delay=0.05)  # sends, never stalls for 0.2 s
        fast, slow = make_viewer(fast_peer, "fast"), make_viewer(slow_peer, "slow")
        session.add_viewer(fast)
        session.add_viewer(slow)
        tasks = [asyncio.create_task(o.run()) for o in (worker_outbox(session), fast.outbox,
                                                        slow.outbox)]  # fmt: skip
        fanout = Fanout(session, offer(len(CHUNK) * CHUNKS), [fast, slow])
        await asyncio.wait_for(run_transfer(session, fanout, worker), 10)
        await asyncio.sleep(0.05)
        # It kept sending, but held the item back past DRAIN_LIMIT (0.5 s here) in all.
        assert fanout.recipients == [fast] and fanout.dropped == 1
        assert acks(worker)[-1].index == CHUNKS - 1
        fanout.end()
        for task in tasks:
            task.cancel()

    asyncio.run(main())


def worker_outbox(session: DesktopSession) -> Outbox:
    assert session.worker is not None
    return session.worker.outbox


def test_with_nobody_left_the_worker_is_told_to_stop() -> None:
    async def main() -> None:
        session = DesktopSession("m1")
        worker = Peer()
        session.attach_worker(WorkerLink(Outbox(worker.send), _close))
        stalled = make_viewer(Peer(stalled=True), "stalled")
        session.add_viewer(stalled)
        tasks = [asyncio.create_task(o.run()) for o in (worker_outbox(session), stalled.outbox)]
        fanout = Fanout(session, offer(len(CHUNK) * CHUNKS), [stalled])
        with pytest.raises(AssertionError, match="stopped"):
            await asyncio.wait_for(run_transfer(session, fanout, worker), 10)
        assert fanout.recipients == [] and acks(worker)[-1].stop
        for task in tasks:
            task.cancel()

    asyncio.run(main())


def test_a_worker_breaking_the_window_or_abandoning_ends_the_transfer() -> None:
    async def main() -> None:
        session = DesktopSession("m1")
        worker = Peer()
        session.attach_worker(WorkerLink(Outbox(worker.send), _close))
        peer = Peer()
        viewer = make_viewer(peer, "v")
        session.add_viewer(viewer)
        fanout = Fanout(session, offer(len(CHUNK) * CHUNKS), [viewer])
        early = ClipboardChunk(transfer=5, index=0, data=CHUNK)
        assert fanout.chunk(early, encode(early)) is None
        skipped = ClipboardChunk(transfer=5, index=ACK_WINDOW + 1, data=CHUNK)
        assert fanout.chunk(skipped, encode(skipped)) is not None  # out of order
        for index in range(1, ACK_WINDOW):
            c = ClipboardChunk(transfer=5, index=index, data=CHUNK)
            assert fanout.chunk(c, encode(c)) is None
        ahead = ClipboardChunk(transfer=5, index=ACK_WINDOW, data=CHUNK)
        assert "acknowledged" in (fanout.chunk(ahead, encode(ahead)) or "")  # past the window
        fanout.end()

        # The worker gives up on an item (no acks): its recipients hear why.
        relay = relay_for(session)
        relay.from_worker = Fanout(session, offer(10), [viewer])
        error = ClipboardError(transfer=5, message="it was abandoned.")
        state: Any = None  # errors need no settings or database
        await from_worker(state, session, error, encode(error))
        assert relay.from_worker is None
        last = decode_viewer_outbound(list(viewer.outbox._control)[-1])
        assert isinstance(last, ClipboardError) and last.message == "it was abandoned."

    asyncio.run(main())
