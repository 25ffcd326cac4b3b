"""Screen capture backends, chosen by name.

A backend grabs rectangles of the virtual screen (all monitors, in root-window pixels)
as ``H x W x 4`` uint8 BGRA numpy arrays. Windows uses GDI through mss; macOS
(ScreenCaptureKit) backends plug in by adding their import string to ``BACKENDS`` and
their name to ``CaptureBackend``.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Literal, Protocol, cast, get_args

from guruconnect.agent.desktop._backends import import_from_string
from guruconnect.protocol.desktop import Monitor

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

CaptureBackend = Literal["x11", "windows"]
BACKENDS: dict[CaptureBackend, str] = {
    "x11": "guruconnect.agent.desktop.capture.x11:X11Capturer",
    "windows": "guruconnect.agent.desktop.capture.windows:GdiCapturer",  # GDI via mss
    # "dxgi": Desktop Duplication, not implemented (see capture/windows.py)
    # "macos": "guruconnect.agent.desktop.capture.macos:ScreenCaptureKitCapturer",
}
NAMES: tuple[str, ...] = get_args(CaptureBackend)


class Capturer(Protocol):
    def monitors(self) -> list[Monitor]:
        """The monitors, ids from 0, in virtual-screen coordinates."""
        ...

    def grab(self, x: int, y: int, width: int, height: int) -> NDArray[np.uint8]:
        """Pixels of that rectangle: shape (height, width, 4), BGRA, C-contiguous."""
        ...

    def grab_bgra(self, x: int, y: int, width: int, height: int) -> bytes:
        """The same pixels as raw BGRA rows (``width * 4`` bytes each), without numpy."""
        ...

    def close(self) -> None: ...


def default_backend() -> CaptureBackend:
    return "windows" if sys.platform == "win32" else "x11"


def open_capturer(name: CaptureBackend, display: str | None = None) -> Capturer:
    factory = import_from_string(BACKENDS[name])
    return cast(Capturer, factory(display=display))
