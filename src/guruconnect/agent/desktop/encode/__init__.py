"""Screen encoders: H.264 (PyAV libx264) for the video path, JPEG tiles as the fallback.

Quality presets (``StreamSettings.quality``) map to x264 CRF with a VBV cap, and to a
JPEG quality. Figures are for 1920x1080 desktops; x264 scales them with the content.
"""

from __future__ import annotations

from dataclasses import dataclass

from guruconnect.protocol.desktop import Quality


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
