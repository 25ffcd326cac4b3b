"""JPEG tiles with Pillow (libjpeg-turbo): the fallback when the viewer has no H.264, and
the only encoder of a runtime without PyAV and numpy (the Windows one-time support EXE).

Pillow encodes a 1080p desktop frame in about 11 ms here; PyAV's mjpeg takes 26 ms
(plus a colour conversion), so Pillow it is. The capture is wrapped as one image with
the "BGRX" raw mode, without copying, and each rectangle is cropped from it: no channel
shuffling, and no numpy needed (a numpy frame and raw bytes are both buffers).
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from PIL import Image

from guruconnect.agent.desktop.encode import PRESETS
from guruconnect.protocol.desktop import Quality, Tile

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

Rect = tuple[int, int, int, int]  # x, y, width, height


class JpegEncoder:
    def __init__(self, quality: Quality = "balanced") -> None:
        self.jpeg_quality = PRESETS[quality].jpeg_quality

    def encode_rect(self, frame: Image.Image, rect: Rect) -> bytes:
        x, y, width, height = rect
        out = io.BytesIO()
        # 4:2:0 like the video path; optimize=False: Huffman optimisation costs ~30%.
        frame.crop((x, y, x + width, y + height)).save(
            out, "JPEG", quality=self.jpeg_quality, subsampling=2
        )
        return out.getvalue()

    def encode_tiles(
        self,
        bgra: NDArray[np.uint8] | bytes,
        rects: list[Rect],
        size: tuple[int, int] | None = None,
    ) -> list[Tile]:
        """``bgra``: a C-contiguous (height, width, 4) array, or raw rows with ``size``
        (width, height) given."""
        if size is None:
            assert not isinstance(bgra, bytes), "raw bytes need their size"
            size = (int(bgra.shape[1]), int(bgra.shape[0]))
        frame = Image.frombuffer("RGB", size, bgra, "raw", "BGRX", 0, 1)
        return [
            Tile(x=x, y=y, width=w, height=h, data=self.encode_rect(frame, (x, y, w, h)))
            for x, y, w, h in rects
        ]
