"""The frame loop: capture, find what changed, encode, send; one frame in flight at most.

    every 1/max_fps, while connected:
        grab the selected area (one monitor, or the bounding box of all of them)
        compare 64x64 tiles with the last frame *sent*
        nothing changed and no keyframe wanted -> send nothing
        h264: encode the whole area;  jpeg: encode the merged dirty rectangles
        (jpeg also when the viewer asks for h264 but this runtime has no PyAV)
        send, and wait for the socket to drain before the next capture

Capture and encoding run in a worker thread so that input keeps flowing. Frames are
never queued: while the network is busy nothing is captured, and the capture taken when
it frees up is the newest there is.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from guruconnect.agent.desktop.capture import Capturer
from guruconnect.agent.desktop.encode import h264_available
from guruconnect.agent.desktop.encode.jpeg import JpegEncoder
from guruconnect.agent.desktop.tiles import (
    TILE,
    dirty_tiles,
    dirty_tiles_bytes,
    merge_rects,
    numpy_available,
)
from guruconnect.protocol.desktop import (
    MAX_MEDIA_FRAME_BYTES,
    Monitor,
    StreamSettings,
    TileFrame,
    VideoFrame,
)

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from guruconnect.agent.desktop.encode.h264 import H264Encoder

    Pixels = NDArray[np.uint8] | bytes
    Mask = NDArray[np.bool_] | list[list[bool]]

log = logging.getLogger("guruconnect.agent.desktop.stream")

KEYFRAME_INTERVAL = 10.0  # seconds: a periodic keyframe, if anything changed meanwhile
MAX_TILES = 4096  # protocol limit of TileFrame.tiles
FRAME_OVERHEAD = 4096  # msgpack framing, generously


@dataclass(frozen=True)
class Area:
    monitor: int  # -1: all monitors
    x: int
    y: int
    width: int
    height: int


def select_area(monitors: list[Monitor], monitor: int) -> Area:
    """The monitor asked for, or the bounding box of all of them (-1 or unknown id)."""
    for m in monitors:
        if m.id == monitor:
            return Area(m.id, m.x, m.y, m.width, m.height)
    x0 = min(m.x for m in monitors)
    y0 = min(m.y for m in monitors)
    x1 = max(m.x + m.width for m in monitors)
    y1 = max(m.y + m.height for m in monitors)
    return Area(-1, x0, y0, x1 - x0, y1 - y0)


@dataclass
class Timings:
    """Milliseconds spent on the last frame, for logs and benchmarks."""

    capture: float = 0.0
    dirty: float = 0.0
    encode: float = 0.0
    frames: int = 0
    skipped: int = 0  # captures with nothing to send
    bytes: int = 0


@dataclass
class FrameProducer:
    """Capture and encode; called from one thread at a time.

    ``plain`` (no numpy in this runtime): frames stay raw BGRA bytes, tiles are compared
    in Python and sent as JPEG (no H.264 either: PyAV's input is a numpy array)."""

    capturer: Capturer
    timings: Timings = field(default_factory=Timings)
    plain: bool = field(default_factory=lambda: not numpy_available())
    _area: Area | None = None
    _codec: str = ""
    _quality: str = ""
    _previous: Pixels | None = None
    _h264: H264Encoder | None = None
    _jpeg: JpegEncoder | None = None
    _seq: int = 0
    _last_keyframe: float = 0.0

    def produce(
        self,
        settings: StreamSettings,
        monitors: list[Monitor],
        want_keyframe: bool,
        input_seq: Callable[[], int],
    ) -> VideoFrame | TileFrame | None:
        area = select_area(monitors, settings.monitor)
        if (area, settings.codec, settings.quality) != (self._area, self._codec, self._quality):
            self._reset(area, settings)
            want_keyframe = True
        seq_before = input_seq()
        captured_at = time.time()
        t0 = time.perf_counter()
        pixels = self._grab(area)
        t1 = time.perf_counter()
        dirty = self._dirty(area, pixels)
        t2 = time.perf_counter()
        self.timings.capture, self.timings.dirty = (t1 - t0) * 1000, (t2 - t1) * 1000
        # numpy's any() on the array path: this runs for every captured frame.
        changed = any(any(row) for row in dirty) if isinstance(dirty, list) else bool(dirty.any())
        if not changed and not want_keyframe:
            self.timings.skipped += 1
            return None
        if changed and time.monotonic() - self._last_keyframe >= KEYFRAME_INTERVAL:
            want_keyframe = True
        message: VideoFrame | TileFrame
        if self._h264 is not None:
            assert not isinstance(pixels, bytes)
            data, keyframe = self._h264.encode(pixels, captured_at, want_keyframe)
            if not data:
                return None
            message = VideoFrame(
                seq=self._seq, keyframe=keyframe, width=area.width, height=area.height,
                data=data, monitor=area.monitor, captured_at=captured_at, input_seq=seq_before,
            )  # fmt: skip
            size = len(data)
        else:
            assert self._jpeg is not None
            rects = merge_rects(dirty, area.width, area.height, TILE)
            keyframe = want_keyframe or len(rects) > MAX_TILES
            if keyframe:
                rects = [(0, 0, area.width, area.height)]
            tiles = self._jpeg.encode_tiles(pixels, rects, (area.width, area.height))
            message = TileFrame(
                seq=self._seq, keyframe=keyframe, width=area.width, height=area.height,
                tiles=tiles, monitor=area.monitor, captured_at=captured_at, input_seq=seq_before,
            )  # fmt: skip
            size = sum(len(tile.data) for tile in tiles)
        self.timings.encode = (time.perf_counter() - t2) * 1000
        if size + FRAME_OVERHEAD > MAX_MEDIA_FRAME_BYTES:
            log.warning("frame of %d bytes exceeds the media frame limit; dropped", size)
            self._previous = None  # everything is dirty again, and the next is a keyframe
            if self._h264 is not None:
                self._reset(area, settings)
            return None
        if keyframe:
            self._last_keyframe = time.monotonic()
        self._previous = pixels
        self._seq += 1
        self.timings.frames += 1
        self.timings.bytes += size
        return message

    def _grab(self, area: Area) -> Pixels:
        if self.plain:
            return self.capturer.grab_bgra(area.x, area.y, area.width, area.height)
        return self.capturer.grab(area.x, area.y, area.width, area.height)

    def _dirty(self, area: Area, pixels: Pixels) -> Mask:
        previous = self._previous
        if isinstance(pixels, bytes):
            before = previous if isinstance(previous, bytes) else None
            return dirty_tiles_bytes(before, pixels, area.width, area.height)
        return dirty_tiles(None if isinstance(previous, bytes) else previous, pixels)

    def _reset(self, area: Area, settings: StreamSettings) -> None:
        self.close()
        self._area, self._codec, self._quality = area, settings.codec, settings.quality
        self._previous = None
        if settings.codec == "h264" and h264_available() and not self.plain:
            from guruconnect.agent.desktop.encode.h264 import H264Encoder

            self._h264 = H264Encoder(area.width, area.height, settings.quality)
        else:
            if settings.codec == "h264":
                log.info("no H.264 encoder in this runtime (no PyAV): sending JPEG tiles")
            self._jpeg = JpegEncoder(settings.quality)

    def close(self) -> None:
        if self._h264 is not None:
            self._h264.close()
        self._h264 = None
        self._jpeg = None


class Streamer:
    """Runs the frame loop on an event loop; settings and keyframe requests come in
    from the receiving side at any time."""

    def __init__(
        self,
        producer: FrameProducer,
        monitors: list[Monitor],
        send: Callable[[VideoFrame | TileFrame], Awaitable[None]],
        input_seq: Callable[[], int],
    ) -> None:
        self.producer = producer
        self.monitors = monitors
        self.settings = StreamSettings()
        self._send = send
        self._input_seq = input_seq
        self._want_keyframe = True
        self._wake = asyncio.Event()

    def update(self, settings: StreamSettings) -> None:
        self.settings = settings
        self._wake.set()

    def request_keyframe(self) -> None:
        self._want_keyframe = True
        self._wake.set()

    async def run(self) -> None:
        next_at = 0.0
        while True:
            delay = next_at - time.monotonic()
            if delay > 0:
                self._wake.clear()
                try:
                    async with asyncio.timeout(delay):
                        await self._wake.wait()
                    # New settings or a keyframe request: still honour the rate cap.
                    await asyncio.sleep(max(0.0, next_at - time.monotonic()))
                except TimeoutError:
                    pass
            # Keep a fixed schedule, so wake-up lateness does not add to every period
            # (that alone cost 30 fps -> 28); resynchronise after falling behind.
            period = 1.0 / self.settings.max_fps
            now = time.monotonic()
            next_at = next_at + period if now - next_at < period else now + period
            want_keyframe, self._want_keyframe = self._want_keyframe, False
            try:
                message = await asyncio.to_thread(
                    self.producer.produce,
                    self.settings, self.monitors, want_keyframe, self._input_seq,
                )  # fmt: skip
            except BaseException:
                self._want_keyframe = True
                raise
            if message is None:
                # Nothing to send; a wanted keyframe that did not go out stays wanted.
                self._want_keyframe |= want_keyframe
                continue
            if want_keyframe and not message.keyframe:
                self._want_keyframe = True
            await self._send(message)  # returns once the socket's buffer has drained
