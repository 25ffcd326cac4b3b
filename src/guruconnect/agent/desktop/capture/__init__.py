"""Screen capture backends, chosen by name.

A backend grabs rectangles of the virtual screen (all monitors, in root-window pixels)
as ``H x W x 4`` uint8 BGRA numpy arrays. Names:

    x11      X11 through mss (MIT-SHM)                      default elsewhere
    windows  GDI through mss (BitBlt)                        default on Windows
    dxgi     DXGI Desktop Duplication through ctypes (Windows 8+; faster, on the GPU)
    auto     the best that opens here: dxgi, then windows, on Windows; x11 elsewhere.
             A fallback is logged once, with the reason.

GDI stays the Windows default because the DXGI grab path has NOT RUN on real Windows
here (Wine 8 cannot duplicate an output; see capture/dxgi.py): choose ``auto`` or
``dxgi`` with the worker's ``--capture``. macOS (ScreenCaptureKit) backends plug in by
adding their import string to ``BACKENDS`` and their name to ``ConcreteBackend``.
"""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING, Literal, Protocol, cast, get_args

from guruconnect.agent.desktop._backends import BackendUnavailable, import_from_string
from guruconnect.protocol.desktop import Monitor

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

ConcreteBackend = Literal["x11", "windows", "dxgi"]
CaptureBackend = Literal[ConcreteBackend, "auto"]
BACKENDS: dict[ConcreteBackend, str] = {
    "x11": "guruconnect.agent.desktop.capture.x11:X11Capturer",
    "windows": "guruconnect.agent.desktop.capture.windows:GdiCapturer",  # GDI via mss
    "dxgi": "guruconnect.agent.desktop.capture.dxgi:DxgiCapturer",  # Desktop Duplication
    # "macos": "guruconnect.agent.desktop.capture.macos:ScreenCaptureKitCapturer",
}
NAMES: tuple[str, ...] = (*get_args(ConcreteBackend), "auto")

log = logging.getLogger("guruconnect.agent.desktop.capture")


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


def auto_order() -> tuple[ConcreteBackend, ...]:
    """What ``auto`` tries, best first."""
    return ("dxgi", "windows") if sys.platform == "win32" else ("x11",)


def open_capturer(name: CaptureBackend, display: str | None = None) -> Capturer:
    """Raises ``BackendUnavailable`` (for ``auto``: when nothing opens, with every reason)."""
    if name != "auto":
        factory = import_from_string(BACKENDS[name])
        return cast(Capturer, factory(display=display))
    reasons: list[str] = []
    for candidate in auto_order():
        try:
            capturer = open_capturer(candidate, display)
        except BackendUnavailable as exc:
            reasons.append(f"{candidate}: {exc}")
            continue
        if reasons:
            log.warning(
                "capture: using %s (%s); %s", candidate, _label(candidate), "; ".join(reasons)
            )
        return capturer
    raise BackendUnavailable("no capture backend opens here: " + "; ".join(reasons))


def _label(name: ConcreteBackend) -> str:
    return {"windows": "GDI", "dxgi": "DXGI", "x11": "X11"}[name]
