"""Windows screen capture through GDI, with mss (``BitBlt`` from the screen DC into a DIB).

Works on every Windows version and inside any session that owns a desktop, and under
Wine. DXGI Desktop Duplication (``dxgi.py``, Windows 8+) is the faster option; ``auto``
tries it first and falls back to this one.

``grab_bgra`` returns the raw BGRA bytes without numpy; ``grab`` wraps them as the
array the encoders want. Numpy 2.x crashes under Wine 8 (missing ucrtbase functions), so
the Wine tests use ``grab_bgra``; on real Windows both work.
"""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING

import mss
from mss.exception import ScreenShotError

from guruconnect.agent.desktop._backends import BackendUnavailable
from guruconnect.protocol.desktop import Monitor

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

log = logging.getLogger("guruconnect.agent.desktop.capture")


class GdiCapturer:
    _mss: mss.MSS

    def __init__(self, display: str | None = None) -> None:
        del display  # the desktop of this process's session
        if sys.platform != "win32":
            raise BackendUnavailable("the Windows (GDI) capture backend needs Windows")
        self._mss = self._open()

    def _open(self) -> mss.MSS:
        try:
            return mss.MSS()
        except ScreenShotError as exc:
            raise BackendUnavailable(f"cannot open the Windows desktop: {exc}") from exc

    def monitors(self) -> list[Monitor]:
        found = self._mss.monitors
        outputs = found[1:] or found[:1]  # [0] is the bounding box of all of them
        return [
            Monitor(
                id=index,
                x=int(m["left"]),
                y=int(m["top"]),
                width=int(m["width"]),
                height=int(m["height"]),
                primary=bool(m.get("is_primary", index == 0)),
                name=str(m.get("name", ""))[:256],
            )
            for index, m in enumerate(outputs[:64])
        ]

    def grab_bgra(self, x: int, y: int, width: int, height: int) -> bytes:
        """BGRA rows, top to bottom, ``width * 4`` bytes each."""
        area = {"left": x, "top": y, "width": width, "height": height}
        try:
            shot = self._mss.grab(area)
        except ScreenShotError:
            # Display settings changed (resolution, monitors plugged): reopen the DCs.
            log.info("capture failed; reopening the desktop", exc_info=True)
            self._mss.close()
            self._mss = self._open()
            shot = self._mss.grab(area)
        return bytes(shot.raw)

    def grab(self, x: int, y: int, width: int, height: int) -> NDArray[np.uint8]:
        import numpy as np

        data = self.grab_bgra(x, y, width, height)
        return np.frombuffer(data, dtype=np.uint8).reshape(height, width, 4)

    def close(self) -> None:
        self._mss.close()
