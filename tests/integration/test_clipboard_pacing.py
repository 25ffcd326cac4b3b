"""Remote copies through a real server, with the worker played by a raw protocol client:
the server acks chunks (ClipboardAck) as its viewers take them in, drops an item whose
worker breaks it, and tells the worker to stop when nobody receives an item.
(tests/e2e/test_clipboard_flow.py runs the real worker against a stalled viewer.)
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from websockets.sync.client import ClientConnection

from guruconnect.protocol import encode
from guruconnect.protocol.clipboard import (
    ACK_WINDOW,
    ClipboardAck,
    ClipboardChunk,
    ClipboardError,
    ClipboardFormat,
    ClipboardOffer,
)
from guruconnect.protocol.desktop import StreamSettings
from tests.integration.test_desktop_relay import (
    MONITORS,
    desktop_open,
    online_agent,
    recv_viewer,
    recv_worker,
    viewer,
    worker,
)
from tests.support.server import ServerProcess
from tests.support.users import sign_in

LIMIT = 4 * 1024 * 1024
DATA = bytes(range(256)) * 4096  # 1 MiB: 16 chunks
PARTS = [DATA[at : at + 65536] for at in range(0, len(DATA), 65536)]


def offer(transfer: int, data: bytes) -> ClipboardOffer:
    digest = hashlib.sha256(data).digest()
    return ClipboardOffer(transfer=transfer, formats=[ClipboardFormat("text", len(data), digest)])


def chunk(transfer: int, index: int) -> bytes:
    return encode(ClipboardChunk(transfer=transfer, index=index, data=PARTS[index]))


def ack(w: ClientConnection) -> ClipboardAck:
    got = recv_worker(w, ClipboardAck)
    assert isinstance(got, ClipboardAck)
    return got


def test_acks_pace_the_worker_and_broken_items_stop_it(
    server_factory: Callable[..., ServerProcess],
) -> None:
    server = server_factory("sqlite", GURU_CLIPBOARD_MAX_BYTES=str(LIMIT))
    admin = sign_in(server)
    with online_agent(server, admin) as (raw, control), viewer(server, admin, raw.agent_id) as v:
        opened = desktop_open(control)
        with worker(server, opened.session_id, opened.token) as w:
            w.send(encode(MONITORS))
            recv_worker(w, StreamSettings)
            # A well-behaved worker: a window ahead, then on each ack.
            w.send(encode(offer(1, DATA)))
            sent, acked = 0, -1
            while acked < len(PARTS) - 1:
                while sent < len(PARTS) and sent <= acked + ACK_WINDOW:
                    w.send(chunk(1, sent))
                    sent += 1
                got = ack(w)
                assert got.transfer == 1 and not got.stop and got.index > acked
                acked = got.index
            body = b""
            while len(body) < len(DATA):
                part = recv_viewer(v, ClipboardChunk)
                assert isinstance(part, ClipboardChunk) and part.transfer == 1
                body += part.data
            assert body == DATA

            # A worker that breaks its offer (here: skips a chunk; running past the window
            # is refused the same way, tests/unit/server/test_clipboard_fanout.py): the
            # item is dropped for its viewers and the worker is told to stop.
            w.send(encode(offer(2, DATA)))
            w.send(chunk(2, 0))
            w.send(chunk(2, 2))
            error = recv_viewer(v, ClipboardError)
            assert isinstance(error, ClipboardError) and error.transfer == 2
            assert "broken" in error.message
            while not (got := ack(w)).stop:
                assert got.transfer == 2
            assert got.transfer == 2

            # Over the limit: nobody receives it, so the worker sends no chunks at all.
            big = bytes(LIMIT + 1)
            w.send(encode(offer(3, big)))
            error = recv_viewer(v, ClipboardError)
            assert isinstance(error, ClipboardError) and "limit" in error.message
            got = ack(w)
            assert got.transfer == 3 and got.stop
