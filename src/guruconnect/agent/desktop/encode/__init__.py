"""Screen encoders: H.264 (PyAV libx264) for the video path, JPEG tiles as the fallback.

PyAV is imported only by encode/h264.py, and that only when an H.264 stream starts. A
runtime without it or numpy (the Windows one-time support EXE leaves both out: most of
its size) streams JPEG tiles whatever codec the viewer asks for; ``h264_available`` says
which, and the worker announces it in MediaHello.codecs.

Quality presets (``StreamSettings.quality``) map to x264 CRF with a VBV cap, and to a
JPEG quality. Figures are for 1920x1080 desktops; x264 scales them with the content.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from functools import cache

from guruconnect.protocol.desktop import Codec, Quality


@dataclass(frozen=True)
class Preset:
    crf: int
    max_kbps: int  # VBV maxrate, with a one-second buffer
    jpeg_quality: int


PRESETS: dict[Quality, Preset] = {
    "speed": Preset(crf=30, max_kbps=2500, jpeg_quality=55),
    "balanced": Preset(crf=25, max_kbps=6000, jpeg_quality=70),
    "quality": Preset(crf=21, max_kbps=12000, jpeg_quality=85),
}


@cache
def h264_available() -> bool:
    """Are PyAV (libx264) and numpy (its input) in this runtime? Looked up, not imported."""
    return all(importlib.util.find_spec(name) is not None for name in ("av", "numpy"))


def available_codecs() -> list[Codec]:
    return ["h264", "jpeg"] if h264_available() else ["jpeg"]
