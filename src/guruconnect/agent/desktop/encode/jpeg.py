"""JPEG tiles with Pillow (libjpeg-turbo): the fallback when the viewer has no H.264.

Pillow encodes a 1080p desktop frame in about 11 ms here; PyAV's mjpeg takes 26 ms
(plus a colour conversion), so Pillow it is. Rows are read straight from the BGRA
capture with the "BGRX" raw mode: no channel shuffling in numpy.
"""

from __future__ import annotations

import io

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from guruconnect.agent.desktop.encode import PRESETS
from guruconnect.protocol.desktop import Quality, Tile

Rect = tuple[int, int, int, int]  # x, y, width, height


class JpegEncoder:
    def __init__(self, quality: Quality = "balanced") -> None:
        self.jpeg_quality = PRESETS[quality].jpeg_quality

    def encode_rect(self, bgra: NDArray[np.uint8], rect: Rect) -> bytes:
        x, y, width, height = rect
        region = np.ascontiguousarray(bgra[y : y + height, x : x + width])
        image = Image.frombuffer("RGB", (width, height), region, "raw", "BGRX", 0, 1)
        out = io.BytesIO()
        # 4:2:0 like the video path; optimize=False: Huffman optimisation costs ~30%.
        image.save(out, "JPEG", quality=self.jpeg_quality, subsampling=2)
        return out.getvalue()

    def encode_tiles(self, bgra: NDArray[np.uint8], rects: list[Rect]) -> list[Tile]:
        return [
            Tile(x=x, y=y, width=w, height=h, data=self.encode_rect(bgra, (x, y, w, h)))
            for x, y, w, h in rects
        ]
