"""The worker's side of clipboard sync: items in from technicians, copies out.

    ClipboardOffer + ClipboardChunk in   -> checked (sizes, SHA-256) -> backend.set
    ClipboardRequest in                  -> backend.read -> offer + chunks (that request)
    a copy made on the remote machine    -> offer + chunks (the server picks recipients)
    files copied on the remote machine   -> ClipboardFiles (paths, kinds, sizes)
    ClipboardAck in                      -> the next chunks of that copy may go

An outgoing item is paced by the server: at most ACK_WINDOW chunks past the last
ClipboardAck, so a slow viewer never makes the server (or this worker) buffer or wait
in a loop that also carries the screen. Sending runs in its own task; the screen keeps
streaming meanwhile.

Backend calls block (X round trips), so they run in a thread.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable

import msgspec

from guruconnect.agent.desktop.clipboard import (
    MAX_ITEM_BYTES,
    Clipboard,
    Item,
    TooLarge,
    copied_files,
)
from guruconnect.protocol.clipboard import (
    ACK_WINDOW,
    CHUNK_BYTES,
    ClipboardAck,
    ClipboardChunk,
    ClipboardError,
    ClipboardFormat,
    ClipboardKind,
    ClipboardOffer,
    ClipboardRequest,
)

log = logging.getLogger("guruconnect.agent.desktop.clipboard")

KINDS: tuple[ClipboardKind, ...] = ("text", "html", "png")
Send = Callable[[msgspec.Struct], Awaitable[None]]
# How long to wait for an ack before abandoning an item. The server holds an ack back
# at most DRAIN_LIMIT (30 s, server/desktop/clipboard_fanout.py) for a slow viewer.
ACK_TIMEOUT = 60.0


class NoAck(Exception):
    """The server stopped acknowledging an outgoing item."""


def offer_for(item: Item, transfer: int, request: int = 0) -> tuple[ClipboardOffer, bytes]:
    """The offer describing ``item`` and the bytes its chunks carry, in offer order."""
    formats = [
        ClipboardFormat(kind=k, size=len(item[k]), sha256=hashlib.sha256(item[k]).digest())
        for k in KINDS
        if k in item
    ]
    body = b"".join(item[f.kind] for f in formats)
    return ClipboardOffer(transfer=transfer, formats=formats, request=request), body


def split_item(offer: ClipboardOffer, body: bytes) -> Item:
    """The formats of a complete item; raises ValueError when a hash does not match."""
    item: Item = {}
    at = 0
    for f in offer.formats:
        data = body[at : at + f.size]
        at += f.size
        if hashlib.sha256(data).digest() != f.sha256:
            raise ValueError(f"the {f.kind} data does not match its SHA-256")
        item[f.kind] = data
    return item


class _Incoming:
    def __init__(self, offer: ClipboardOffer) -> None:
        self.offer = offer
        self.parts: list[bytes] = []
        self.received = 0
        self.next_index = 0


class _Outgoing:
    def __init__(self, transfer: int) -> None:
        self.transfer = transfer
        self.acked = -1
        self.stopped = False
        self.changed = asyncio.Event()

    async def may_send(self, index: int) -> bool:
        """Wait until chunk ``index`` is inside the window; False when the server said
        stop. Raises NoAck after ACK_TIMEOUT without an ack."""
        while not self.stopped and index > self.acked + ACK_WINDOW:
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), ACK_TIMEOUT)
            except TimeoutError:
                raise NoAck from None
        return not self.stopped


class ClipboardSync:
    def __init__(self, clipboard: Clipboard, send: Send) -> None:
        self.clipboard = clipboard
        self.send = send
        self._incoming: _Incoming | None = None
        self._copies: asyncio.Queue[Item | str] = asyncio.Queue(maxsize=4)
        self._next_transfer = 0
        self.items_set = 0
        self.copies_sent = 0
        self._requests: set[asyncio.Task[None]] = set()
        # One item on the wire at a time: a viewer assembles one transfer at a time.
        self._sending = asyncio.Lock()
        self._outgoing: _Outgoing | None = None

    # --- from technicians ---

    async def offer(self, offer: ClipboardOffer) -> None:
        if offer.total > MAX_ITEM_BYTES:
            await self._error(offer.transfer, f"{offer.total} bytes is over the agent's limit")
            return
        self._incoming = _Incoming(offer)
        if offer.total == 0:
            await self._complete()

    async def chunk(self, chunk: ClipboardChunk) -> None:
        incoming = self._incoming
        if incoming is None or incoming.offer.transfer != chunk.transfer:
            return  # a transfer we dropped or that a newer one replaced
        if chunk.index != incoming.next_index or incoming.received + len(chunk.data) > (
            incoming.offer.total
        ):
            self._incoming = None
            await self._error(chunk.transfer, "clipboard chunks out of order or too long")
            return
        incoming.parts.append(chunk.data)
        incoming.received += len(chunk.data)
        incoming.next_index += 1
        if incoming.received == incoming.offer.total:
            await self._complete()

    async def _complete(self) -> None:
        incoming, self._incoming = self._incoming, None
        assert incoming is not None
        try:
            item = split_item(incoming.offer, b"".join(incoming.parts))
        except ValueError as exc:
            await self._error(incoming.offer.transfer, str(exc))
            return
        await asyncio.to_thread(self.clipboard.set, item)
        self.items_set += 1
        log.info("clipboard set: %s", ", ".join(f"{k} {len(v)} B" for k, v in item.items()))

    def request_soon(self, request: ClipboardRequest) -> None:
        """Answer in the background: reading may wait seconds on a slow owner, and
        input must keep flowing meanwhile."""
        task = asyncio.create_task(self.request(request))
        self._requests.add(task)
        task.add_done_callback(self._requests.discard)

    async def request(self, request: ClipboardRequest) -> None:
        try:
            item = await asyncio.to_thread(self.clipboard.read)
        except TooLarge as exc:
            await self._error(0, f"The remote clipboard holds {exc.size} bytes: too large.",
                              request.request)  # fmt: skip
            return
        if not item:
            await self._error(0, "The remote clipboard holds nothing to get.", request.request)
            return
        await self.send_item(item, request.request)

    # --- to technicians ---

    def copied(self, item: Item) -> None:
        """Backend thread -> the event loop: a copy made on the remote machine."""
        self._loop.call_soon_threadsafe(self._put, item)

    def failed(self, message: str) -> None:
        self._loop.call_soon_threadsafe(self._put, message)

    def _put(self, entry: Item | str) -> None:
        if self._copies.full():
            self._copies.get_nowait()  # only recent copies matter
        self._copies.put_nowait(entry)

    async def run(self) -> None:
        """Watch the remote clipboard and send what is copied there, until cancelled."""
        self._loop = asyncio.get_running_loop()
        self.clipboard.watch(self.copied, self.failed)
        try:
            while True:
                entry = await self._copies.get()
                if isinstance(entry, str):
                    await self._error(0, entry)
                else:
                    await self.send_item(entry)
        finally:
            for task in self._requests:
                task.cancel()

    def ack(self, ack: ClipboardAck) -> None:
        outgoing = self._outgoing
        if outgoing is None or outgoing.transfer != ack.transfer:
            return  # an item already sent or abandoned
        outgoing.acked = max(outgoing.acked, ack.index)
        outgoing.stopped |= ack.stop
        outgoing.changed.set()

    async def send_item(self, item: Item, request: int = 0) -> None:
        if "files" in item:
            await self._send_files(item["files"], request)
            return
        async with self._sending:
            self._next_transfer += 1
            offer, body = offer_for(item, self._next_transfer, request)
            outgoing = self._outgoing = _Outgoing(offer.transfer)
            try:
                await self.send(offer)
                for index, at in enumerate(range(0, len(body), CHUNK_BYTES)):
                    if not await outgoing.may_send(index):
                        log.info("clipboard: the server stopped transfer %d", offer.transfer)
                        return
                    data = body[at : at + CHUNK_BYTES]
                    await self.send(ClipboardChunk(transfer=offer.transfer, index=index, data=data))
                # The next item waits until the viewers took this one in.
                last = (len(body) - 1) // CHUNK_BYTES
                if body and not await outgoing.may_send(last + ACK_WINDOW):
                    return
            except NoAck:
                await self._error(offer.transfer, "The clipboard item stalled on its way; "
                                  "it was abandoned.", request)  # fmt: skip
                return
            finally:
                self._outgoing = None
            self.copies_sent += 1

    async def _send_files(self, uri_list: bytes, request: int) -> None:
        paths = copied_files.paths_from_uri_list(uri_list)
        files = await asyncio.to_thread(copied_files.describe, paths)
        if files is None:
            await self._error(0, "The remote machine copied files that are no longer there.",
                              request)  # fmt: skip
            return
        log.info("clipboard: %d copied files offered", len(files.files))
        await self.send(msgspec.structs.replace(files, request=request))
        self.copies_sent += 1

    async def _error(self, transfer: int, message: str, request: int = 0) -> None:
        log.warning("clipboard: %s", message)
        await self.send(ClipboardError(transfer=transfer, message=message, request=request))
