"""Per-viewer sending: control messages in order, media frames newest-first.

A slow viewer must never slow the agent or the other viewers, and latency must not
grow: so each viewer holds at most one unsent media frame. When a newer frame arrives
and the old one is still waiting, H.264 (and JPEG deltas) cannot skip a frame and stay
correct, so the viewer drops deltas until the next keyframe and asks for one.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass


@dataclass(slots=True)
class MediaFrame:
    data: bytes
    keyframe: bool


class OutboxOverflow(Exception):
    """The viewer has not read control messages for too long."""


class Outbox:
    MAX_CONTROL = 256

    def __init__(self, send: Callable[[bytes], Awaitable[None]]) -> None:
        self._send = send
        self._control: deque[bytes] = deque()
        self._media: MediaFrame | None = None
        self._wake = asyncio.Event()
        self.awaiting_keyframe = True  # a new viewer starts at a keyframe
        self.sent_frames = 0
        self.dropped_frames = 0
        self.sent_bytes = 0

    @property
    def queued(self) -> int:
        """Control messages not sent yet (clipboard relays wait on this to stay bounded)."""
        return len(self._control)

    def control(self, frame: bytes) -> None:
        if len(self._control) >= self.MAX_CONTROL:
            raise OutboxOverflow("viewer is not reading")
        self._control.append(frame)
        self._wake.set()

    def media(self, frame: MediaFrame) -> bool:
        """Offer a frame. Returns True when this viewer now needs a keyframe."""
        if self.awaiting_keyframe and not frame.keyframe:
            self.dropped_frames += 1
            return True
        if self._media is not None and not frame.keyframe:
            # Still sending the previous one: this delta cannot be skipped safely.
            self.dropped_frames += 1
            self.awaiting_keyframe = True
            return True
        if self._media is not None:
            self.dropped_frames += 1  # a keyframe supersedes whatever was waiting
        self._media = frame
        self.awaiting_keyframe = False
        self._wake.set()
        return False

    async def run(self) -> None:
        """Send until cancelled. Control first: it is small and may change the picture."""
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._control or self._media is not None:
                if self._control:
                    data = self._control.popleft()
                else:
                    assert self._media is not None
                    data, self._media = self._media.data, None
                    self.sent_frames += 1
                self.sent_bytes += len(data)
                await self._send(data)
