"""An upload's disk writer: chunks are written (and hashed) while the socket keeps
receiving the next ones.

The channel checks each chunk's offset as it arrives and queues it; one task drains
the queue, writing every chunk queued so far in a single thread hop, then acks the
byte count reached. So a fast sender gets one UploadAck per batch rather than per
chunk, and the receive of chunk N+1 overlaps the write of chunk N. The queue is
bounded (``QUEUE_CHUNKS``), and the sender's credit window bounds it anyway.

Stopping (end, cancel, lost connection) always lets an in-flight write finish before
the file is closed: a thread still writing to a closed (and maybe reused) descriptor
would be worse than a short wait.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from guruconnect.agent.files.receive import TransferError, Upload

QUEUE_CHUNKS = 8

Acker = Callable[[int], Awaitable[None]]
Failer = Callable[[TransferError], Awaitable[None]]


class Writer:
    def __init__(self, upload: Upload, ack: Acker, fail: Failer) -> None:
        self.upload = upload
        self.queued = upload.offset  # where the next chunk must start
        self.error: TransferError | None = None
        self._ack = ack
        self._fail = fail
        self._queue: asyncio.Queue[bytes | None] = asyncio.Queue(QUEUE_CHUNKS)
        self._discard = False
        self._task = asyncio.create_task(self._run())

    async def put(self, offset: int, data: bytes) -> None:
        """Queue a chunk; out-of-order or oversized chunks fail here, at once."""
        if self.error is not None:
            raise self.error
        if offset != self.queued:
            raise TransferError("protocol", f"chunk at {offset}, expected {self.queued}")
        if self.queued + len(data) > self.upload.size:
            raise TransferError("protocol", "more data than the announced size")
        self.queued += len(data)
        await self._queue.put(data)

    async def drain(self) -> bool:
        """Write everything queued, then stop. False if a write failed (already reported)."""
        await self._stop(discard=False)
        return self.error is None

    async def stop(self) -> None:
        """Drop what is queued; wait for a write in progress (cancel, lost connection)."""
        await self._stop(discard=True)

    async def _stop(self, discard: bool) -> None:
        if discard:
            self._discard = True
            self._empty_queue()
        if not self._task.done():
            # The writer empties the queue if it fails, so this put never waits forever.
            await self._queue.put(None)
        # Shielded: a cancelled channel still waits for the thread to finish its write.
        await asyncio.shield(self._task)

    def _empty_queue(self) -> None:
        while not self._queue.empty():
            self._queue.get_nowait()

    async def _run(self) -> None:
        while True:
            first = await self._queue.get()
            batch = [first]
            while not self._queue.empty():
                batch.append(self._queue.get_nowait())
            last = batch[-1] is None
            chunks = [b for b in batch if b is not None]
            if self._discard:
                return
            if chunks:
                try:
                    offset = await asyncio.to_thread(self._write, chunks)
                except TransferError as exc:
                    self.error = exc
                    self._empty_queue()
                    await self._fail(exc)
                    return
                await self._ack(offset)  # also the last: the server audits the acked bytes
            if last:
                return

    def _write(self, chunks: list[bytes]) -> int:
        offset = self.upload.offset
        for data in chunks:
            offset = self.upload.write(self.upload.offset, data)
        return offset
