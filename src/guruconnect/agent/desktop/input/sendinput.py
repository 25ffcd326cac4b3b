"""Windows input through ``SendInput`` (user32, via ctypes).

Pointer: absolute moves over the whole virtual desktop (``MOUSEEVENTF_VIRTUALDESK``,
coordinates normalised to 0..65535), buttons including X1/X2 (back/forward), vertical and
horizontal wheel in 120-unit notches.

Keyboard, from the viewer's DOM (``code``, ``key``) pair:
- a printable ``key`` with no shortcut modifier held (Ctrl, Alt, Win) is typed as that
  character with ``KEYEVENTF_UNICODE``: the remote layout does not matter, and
  characters beyond the BMP (emoji) go as a UTF-16 surrogate pair;
- anything else (Enter, arrows, F-keys, Ctrl+C ...) is the virtual key for ``code``
  (_win_vk.VK), with its scan code and the extended flag where Windows needs it.

SendInput goes into the input queue of the desktop it runs on: the service session (0)
cannot inject into a user's desktop; the desktop worker runs in the user's session.
"""

from __future__ import annotations

import logging
import sys

from guruconnect.agent.desktop._backends import BackendUnavailable
from guruconnect.agent.desktop.input import Button
from guruconnect.agent.desktop.input._win_vk import (
    EXTENDED,
    NAMED_KEYS,
    SHORTCUT_MODIFIERS,
    VK,
    utf16_units,
)

log = logging.getLogger("guruconnect.agent.desktop.input")

MAX_WHEEL_CLICKS = 20  # per event, per axis, as the X11 backend
WHEEL_DELTA = 120

if sys.platform == "win32":
    import ctypes
    from ctypes import wintypes

    INPUT_MOUSE, INPUT_KEYBOARD = 0, 1
    MOUSEEVENTF_MOVE, MOUSEEVENTF_ABSOLUTE, MOUSEEVENTF_VIRTUALDESK = 0x1, 0x8000, 0x4000
    MOUSEEVENTF_WHEEL, MOUSEEVENTF_HWHEEL = 0x0800, 0x1000
    KEYEVENTF_EXTENDEDKEY, KEYEVENTF_KEYUP, KEYEVENTF_UNICODE = 0x1, 0x2, 0x4
    SM_XVIRTUALSCREEN, SM_YVIRTUALSCREEN, SM_CXVIRTUALSCREEN, SM_CYVIRTUALSCREEN = (
        76, 77, 78, 79,
    )  # fmt: skip
    MAPVK_VK_TO_VSC = 0
    # button -> (down flag, up flag, mouseData)
    BUTTON_FLAGS: dict[Button, tuple[int, int, int]] = {
        "left": (0x0002, 0x0004, 0),
        "right": (0x0008, 0x0010, 0),
        "middle": (0x0020, 0x0040, 0),
        "back": (0x0080, 0x0100, 1),  # XBUTTON1
        "forward": (0x0080, 0x0100, 2),  # XBUTTON2
    }
    ULONG_PTR = ctypes.c_size_t

    class MOUSEINPUT(ctypes.Structure):
        _fields_ = (
            ("dx", wintypes.LONG), ("dy", wintypes.LONG), ("mouseData", wintypes.DWORD),
            ("dwFlags", wintypes.DWORD), ("time", wintypes.DWORD), ("dwExtraInfo", ULONG_PTR),
        )  # fmt: skip

    class KEYBDINPUT(ctypes.Structure):
        _fields_ = (
            ("wVk", wintypes.WORD), ("wScan", wintypes.WORD), ("dwFlags", wintypes.DWORD),
            ("time", wintypes.DWORD), ("dwExtraInfo", ULONG_PTR),
        )  # fmt: skip

    class HARDWAREINPUT(ctypes.Structure):
        _fields_ = (
            ("uMsg", wintypes.DWORD),
            ("wParamL", wintypes.WORD),
            ("wParamH", wintypes.WORD),
        )

    class _INPUTUNION(ctypes.Union):
        _fields_ = (("mi", MOUSEINPUT), ("ki", KEYBDINPUT), ("hi", HARDWAREINPUT))

    class INPUT(ctypes.Structure):
        _fields_ = (("type", wintypes.DWORD), ("union", _INPUTUNION))

    def _user32() -> ctypes.WinDLL:
        user32 = ctypes.WinDLL("user32", use_last_error=True)
        user32.SendInput.argtypes = (wintypes.UINT, ctypes.POINTER(INPUT), ctypes.c_int)
        user32.SendInput.restype = wintypes.UINT
        user32.GetSystemMetrics.argtypes = (ctypes.c_int,)
        user32.GetSystemMetrics.restype = ctypes.c_int
        user32.MapVirtualKeyW.argtypes = (wintypes.UINT, wintypes.UINT)
        user32.MapVirtualKeyW.restype = wintypes.UINT
        return user32

    class SendInputInjector:
        def __init__(self, display: str | None = None) -> None:
            del display  # one interactive desktop: the one this process runs on
            self._user32 = _user32()
            self._buttons: set[Button] = set()
            # held key id -> (its key-down events, its key-up events)
            self._keys: dict[str, tuple[list[INPUT], list[INPUT]]] = {}

        # --- pointer ---

        def move(self, x: int, y: int) -> None:
            m = self._user32.GetSystemMetrics
            left, top = m(SM_XVIRTUALSCREEN), m(SM_YVIRTUALSCREEN)
            width, height = max(m(SM_CXVIRTUALSCREEN), 2), max(m(SM_CYVIRTUALSCREEN), 2)
            nx = round((x - left) * 65535 / (width - 1))
            ny = round((y - top) * 65535 / (height - 1))
            flags = MOUSEEVENTF_MOVE | MOUSEEVENTF_ABSOLUTE | MOUSEEVENTF_VIRTUALDESK
            self._send([_mouse(flags, nx, ny)])

        def button(self, button: Button, down: bool) -> None:
            down_flag, up_flag, data = BUTTON_FLAGS[button]
            self._send([_mouse(down_flag if down else up_flag, data=data)])
            if down:
                self._buttons.add(button)
            else:
                self._buttons.discard(button)

        def scroll(self, dx: int, dy: int) -> None:
            events = []
            if dy:
                notches = max(-MAX_WHEEL_CLICKS, min(MAX_WHEEL_CLICKS, dy))
                events.append(_mouse(MOUSEEVENTF_WHEEL, data=-notches * WHEEL_DELTA))
            if dx:
                notches = max(-MAX_WHEEL_CLICKS, min(MAX_WHEEL_CLICKS, dx))
                events.append(_mouse(MOUSEEVENTF_HWHEEL, data=notches * WHEEL_DELTA))
            if events:
                self._send(events)

        # --- keyboard ---

        def key(self, code: str, key: str, down: bool) -> None:
            ident = code or f"char:{key}"
            if not down:
                held = self._keys.pop(ident, None)
                if held:
                    self._send(held[1])
                return
            if ident in self._keys:  # auto-repeat: Windows repeats by sending downs again
                self._send(self._keys[ident][0])
                return
            presses = self._presses(code, key)
            if presses is None:
                log.debug("no Windows key for code=%r key=%r", code, key)
                return
            self._send(presses[0])
            self._keys[ident] = presses

        def _presses(self, code: str, key: str) -> tuple[list[INPUT], list[INPUT]] | None:
            shortcut = any(held in SHORTCUT_MODIFIERS for held in self._keys)
            if len(key) == 1 and key.isprintable() and not shortcut:
                units = utf16_units(key)
                press = [_key(0, unit, KEYEVENTF_UNICODE) for unit in units]
                release = [_key(0, unit, KEYEVENTF_UNICODE | KEYEVENTF_KEYUP) for unit in units]
                return press, release
            name = code if code in VK else NAMED_KEYS.get(key, "")
            if name not in VK:
                return None
            vk = VK[name]
            scan = self._user32.MapVirtualKeyW(vk, MAPVK_VK_TO_VSC)
            extended = KEYEVENTF_EXTENDEDKEY if name in EXTENDED else 0
            return [_key(vk, scan, extended)], [_key(vk, scan, extended | KEYEVENTF_KEYUP)]

        def release_all(self) -> None:
            for _press, release in self._keys.values():
                self._send(release)
            self._keys.clear()
            for button in list(self._buttons):
                self.button(button, False)

        def close(self) -> None:
            self.release_all()

        def _send(self, events: list[INPUT]) -> None:
            array = (INPUT * len(events))(*events)
            sent = self._user32.SendInput(len(events), array, ctypes.sizeof(INPUT))
            if sent != len(events):
                # UIPI: a higher-integrity window has the focus, or the desktop is locked.
                log.warning(
                    "SendInput accepted %d of %d events (error %d)",
                    sent, len(events), ctypes.get_last_error(),
                )  # fmt: skip

    def _mouse(flags: int, dx: int = 0, dy: int = 0, data: int = 0) -> INPUT:
        event = INPUT(type=INPUT_MOUSE)
        event.union.mi = MOUSEINPUT(dx, dy, data & 0xFFFFFFFF, flags, 0, 0)
        return event

    def _key(vk: int, scan: int, flags: int) -> INPUT:
        event = INPUT(type=INPUT_KEYBOARD)
        event.union.ki = KEYBDINPUT(vk, scan, flags, 0, 0)
        return event

else:

    class SendInputInjector:
        """SendInput exists only on Windows."""

        def __init__(self, display: str | None = None) -> None:
            raise BackendUnavailable("the SendInput backend needs Windows")
