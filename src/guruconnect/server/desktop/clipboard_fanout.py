"""A remote copy on its way to the viewers, paced by ClipboardAck to the worker.

The media socket's loop carries every viewer's screen, so it must never wait for one
viewer. It only checks each chunk (order, size, window) and appends it to each
recipient's outbox (``Fanout.chunk``). The transfer's own pacer task acks the worker
once every remaining recipient's outbox is down to QUEUE_LOW messages, and the worker
sends at most ACK_WINDOW chunks past its last ack (and starts its next item only once
the last chunk is acked): however large or frequent the items, a viewer's outbox holds
at most QUEUE_LOW + ACK_WINDOW chunks (about 2.5 MB).

A recipient whose socket sends nothing for STALL_LIMIT seconds, or that has held the
item back for DRAIN_LIMIT seconds in all, is dropped from the transfer with a message,
and the others go on: a slow viewer delays the others' copy of an item by at most
DRAIN_LIMIT, and their screens not at all.
When nobody is left, the worker is told to stop (``ClipboardAck.stop``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from guruconnect.protocol import encode
from guruconnect.protocol.clipboard import (
    ACK_WINDOW,
    ClipboardAck,
    ClipboardChunk,
    ClipboardError,
    ClipboardOffer,
)
from guruconnect.server.desktop.outbox import OutboxOverflow
from guruconnect.server.desktop.session import DesktopSession, Viewer

log = logging.getLogger("guruconnect.desktop.clipboard")

QUEUE_LOW = 32  # messages; the pacer (and a viewer's item to the worker) waits above this
STALL_LIMIT = 10.0  # seconds a recipient may send nothing at all while its queue is full
# Seconds in all a recipient may hold an item back while still sending; the worker gives
# up on a transfer after ACK_TIMEOUT (agent/desktop/clipboard/sync.py) without an ack,
# which must be longer.
DRAIN_LIMIT = 30.0
POLL = 0.01
TOO_SLOW = "Your connection is too slow for this clipboard item; it was dropped."


def send(viewer: Viewer, frame: bytes) -> bool:
    """Queue ``frame`` for ``viewer``; False when that viewer stopped reading long ago
    (its own socket loop closes it; nobody else is affected)."""
    try:
        viewer.outbox.control(frame)
    except OutboxOverflow:
        return False
    return True


def stop_worker(session: DesktopSession, transfer: int) -> None:
    """Tell the worker to send no more of ``transfer``: nobody receives it."""
    with contextlib.suppress(OutboxOverflow):  # not reading: it times out by itself
        session.to_worker(encode(ClipboardAck(transfer=transfer, index=0, stop=True)))


class Fanout:
    """One remote copy (or answer to a request) going to ``recipients``."""

    def __init__(
        self, session: DesktopSession, offer: ClipboardOffer, recipients: list[Viewer]
    ) -> None:
        self.session = session
        self.offer = offer  # as the viewers see it (their own request id)
        self.recipients = list(recipients)
        self.received = 0
        self.next_index = 0
        self.acked = -1
        self.dropped = 0
        self._held: dict[str, float] = {}  # viewer id -> seconds the item waited on it
        self._wake = asyncio.Event()
        self._pacer = asyncio.create_task(self._pace())

    @property
    def transfer(self) -> int:
        return self.offer.transfer

    @property
    def complete(self) -> bool:
        return self.received == self.offer.total

    def chunk(self, chunk: ClipboardChunk, raw: bytes) -> str | None:
        """Queue ``chunk`` for every recipient, without waiting; returns why the worker
        broke the transfer, or None."""
        if chunk.index != self.next_index or self.received + len(chunk.data) > self.offer.total:
            return "chunks out of order or longer than offered"
        if chunk.index > self.acked + ACK_WINDOW:
            return f"chunk {chunk.index} sent before chunk {self.acked + 1} was acknowledged"
        self.received += len(chunk.data)
        self.next_index += 1
        for viewer in list(self.recipients):
            if viewer.id not in self.session.viewers:
                self.recipients.remove(viewer)
            elif not send(viewer, raw):
                self.drop(viewer)
        self._wake.set()
        return None

    def drop(self, viewer: Viewer, message: str = TOO_SLOW) -> None:
        """``viewer`` gets no more of this item, and is told why."""
        self.recipients.remove(viewer)
        self.dropped += 1
        error = ClipboardError(transfer=self.transfer, message=message, request=self.offer.request)
        send(viewer, encode(error))

    def end(self, message: str | None = None) -> None:
        """The transfer is over (complete, replaced, abandoned or broken); with a
        message, the recipients who did not get it all are told."""
        self._pacer.cancel()
        if message is not None and not self.complete:
            for viewer in list(self.recipients):
                if viewer.id in self.session.viewers:
                    self.drop(viewer, message)
        self.recipients.clear()

    # --- the pacer ---

    def _ack(self) -> None:
        ack = ClipboardAck(transfer=self.transfer, index=self.acked)
        # A worker not reading its queue times out and abandons the transfer itself.
        with contextlib.suppress(OutboxOverflow):
            self.session.to_worker(encode(ack))

    async def _pace(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            await self._room()
            if not self.recipients:
                if not self.complete:
                    log.info("clipboard transfer %d: no viewer left; stopping the worker",
                             self.transfer)  # fmt: skip
                    stop_worker(self.session, self.transfer)
                return
            if self.next_index - 1 > self.acked:
                self.acked = self.next_index - 1
                self._ack()
            if self.complete:
                return

    async def _room(self) -> None:
        """Wait until every recipient's outbox has room, dropping those that stall."""
        last = time.monotonic()
        progress = {v.id: (v.outbox.sent_bytes, last) for v in self.recipients}
        while True:
            now = time.monotonic()
            waited, last = now - last, now
            full = False
            for viewer in list(self.recipients):
                outbox = viewer.outbox
                if viewer.id not in self.session.viewers:
                    self.recipients.remove(viewer)
                    continue
                if outbox.queued <= QUEUE_LOW:
                    continue
                sent, since = progress.get(viewer.id, (-1, now))
                if outbox.sent_bytes != sent:
                    progress[viewer.id] = (outbox.sent_bytes, now)
                elif now - since > STALL_LIMIT:
                    self._too_slow(viewer, f"sent nothing for {STALL_LIMIT:.0f} s")
                    continue
                held = self._held[viewer.id] = self._held.get(viewer.id, 0.0) + waited
                if held > DRAIN_LIMIT:
                    self._too_slow(viewer, f"held the item back for {DRAIN_LIMIT:.0f} s")
                    continue
                full = True
            if not full:
                return
            await asyncio.sleep(POLL)

    def _too_slow(self, viewer: Viewer, why: str) -> None:
        if self.complete:  # all of it is queued for this viewer: only stop waiting
            self.recipients.remove(viewer)
            return
        log.info("clipboard transfer %d: dropped for %s on machine %s: %s", self.transfer,
                 viewer.principal.username, self.session.machine_id, why)  # fmt: skip
        self.drop(viewer)
