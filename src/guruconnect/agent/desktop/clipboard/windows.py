"""The Windows clipboard, through pywin32's win32clipboard.

Formats: text (CF_UNICODETEXT, UTF-8 on the wire), html ("HTML Format", CF_HTML with its
offset header, _cf_html.py) and png (the registered "PNG" format that browsers and
Office use); read only, files (Explorer's CF_HDROP, passed on as a URI list of paths,
copied_files.py).

Two message-only windows: ``owner`` opens the clipboard for ``set``, so Windows records
it as the clipboard owner; ``listener`` (in the watch thread) gets WM_CLIPBOARDUPDATE from
AddClipboardFormatListener for every change. A change whose owner is our owner window is
ours and is never reported or read back (an item set for a technician is nobody else's).
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable

from guruconnect.agent.desktop._backends import BackendUnavailable
from guruconnect.agent.desktop.clipboard import (
    MAX_ITEM_BYTES,
    Item,
    TooLarge,
    _cf_html,
    copied_files,
)

log = logging.getLogger("guruconnect.agent.desktop.clipboard")

WM_CLIPBOARDUPDATE = 0x031D
PUMP_INTERVAL_MS = 200
_class_lock = threading.Lock()
_class_count = 0
OPEN_ATTEMPTS = 20  # another program may hold the clipboard open for a moment
OPEN_RETRY = 0.025


class _Opened:
    """OpenClipboard with retries (another program may hold it), CloseClipboard after."""

    def __init__(self, cb: object, owner: int | None) -> None:
        self._cb = cb
        self._owner = owner

    def __enter__(self) -> None:
        for attempt in range(OPEN_ATTEMPTS):
            try:
                self._cb.OpenClipboard(self._owner)  # type: ignore[attr-defined]
                return
            except Exception:
                if attempt == OPEN_ATTEMPTS - 1:
                    raise
                time.sleep(OPEN_RETRY)

    def __exit__(self, *exc: object) -> None:
        self._cb.CloseClipboard()  # type: ignore[attr-defined]


if sys.platform == "win32":
    import ctypes

    import win32api
    import win32con
    import win32event
    import win32gui

    class WindowsClipboard:
        def __init__(self, display: str | None = None) -> None:
            del display
            import win32clipboard

            self._cb = win32clipboard
            self._owner = _message_window("GuruConnectClipboardOwner", None)
            self._html = win32clipboard.RegisterClipboardFormat("HTML Format")
            self._png = win32clipboard.RegisterClipboardFormat("PNG")
            self._lock = threading.Lock()
            self._stop = threading.Event()
            self._thread: threading.Thread | None = None

        def set(self, item: Item) -> None:
            cb = self._cb
            with self._lock, self._opened(self._owner):
                cb.EmptyClipboard()
                if "text" in item:
                    text = item["text"].decode("utf-8", errors="replace")
                    cb.SetClipboardData(cb.CF_UNICODETEXT, text)
                if "html" in item:
                    cb.SetClipboardData(self._html, _cf_html.encode(item["html"]))
                if "png" in item:
                    cb.SetClipboardData(self._png, item["png"])

        def read(self) -> Item | None:
            cb = self._cb
            with self._lock:
                if self._ours():
                    return None  # what we set for the technician is nobody else's
                item: Item = {}
                with self._opened(None):
                    if cb.IsClipboardFormatAvailable(cb.CF_UNICODETEXT):
                        text = cb.GetClipboardData(cb.CF_UNICODETEXT)
                        item["text"] = str(text).rstrip("\0").encode("utf-8")
                    if cb.IsClipboardFormatAvailable(self._html):
                        item["html"] = _cf_html.decode(bytes(cb.GetClipboardData(self._html)))
                    if cb.IsClipboardFormatAvailable(self._png):
                        item["png"] = bytes(cb.GetClipboardData(self._png))
                    if cb.IsClipboardFormatAvailable(cb.CF_HDROP):
                        # Explorer's copy: a tuple of paths; passed on as a URI list.
                        paths = [str(p) for p in cb.GetClipboardData(cb.CF_HDROP)]
                        item["files"] = copied_files.uri_list(paths)
            size = sum(len(value) for value in item.values())
            if size > MAX_ITEM_BYTES:
                raise TooLarge(size)
            return item or None

        def watch(self, on_copy: Callable[[Item], None], on_error: Callable[[str], None]) -> None:
            def changed(hwnd: int, msg: int, wparam: int, lparam: int) -> int:
                if msg != WM_CLIPBOARDUPDATE:
                    return int(win32gui.DefWindowProc(hwnd, msg, wparam, lparam))
                try:
                    item = self.read()
                except TooLarge as exc:
                    on_error(str(exc))
                    return 0
                except Exception as exc:  # a busy or odd clipboard must not end the watch
                    log.warning("cannot read the Windows clipboard: %s", exc)
                    return 0
                if item:
                    on_copy(item)
                return 0

            def pump() -> None:
                listener = _message_window("GuruConnectClipboardListener", changed)
                user32 = ctypes.WinDLL("user32", use_last_error=True)
                if not user32.AddClipboardFormatListener(listener):
                    on_error(f"AddClipboardFormatListener failed ({ctypes.get_last_error()})")
                    return
                ready.set()
                try:
                    while not self._stop.is_set():
                        win32event.MsgWaitForMultipleObjects(
                            [], False, PUMP_INTERVAL_MS, win32event.QS_ALLINPUT
                        )
                        win32gui.PumpWaitingMessages()
                finally:
                    user32.RemoveClipboardFormatListener(listener)
                    win32gui.DestroyWindow(listener)

            ready = threading.Event()
            self._thread = threading.Thread(target=pump, name="clipboard-watch", daemon=True)
            self._thread.start()
            ready.wait(5)

        def _ours(self) -> bool:
            try:
                return bool(self._cb.GetClipboardOwner() == self._owner)  # type: ignore[no-untyped-call]
            except Exception:  # pywintypes.error: no owner at all
                return False

        def close(self) -> None:
            self._stop.set()
            if self._thread is not None:
                self._thread.join(2)
            win32gui.DestroyWindow(self._owner)

        def _opened(self, owner: int | None) -> _Opened:
            return _Opened(self._cb, owner)

    def _message_window(name: str, proc: Callable[[int, int, int, int], int] | None) -> int:
        """A message-only window (HWND_MESSAGE) of a class of its own."""
        global _class_count
        instance = win32api.GetModuleHandle(None)
        with _class_lock:
            _class_count += 1
            class_name = f"{name}{_class_count}"
        wc = win32gui.WNDCLASS()
        # types-pywin32 marks these read-only; pywin32 sets them (its own demos do).
        wc.lpszClassName = class_name  # type: ignore[misc]
        wc.hInstance = instance  # type: ignore[misc]
        wc.lpfnWndProc = proc or _default_proc  # type: ignore[misc]
        win32gui.RegisterClass(wc)
        hwnd = win32gui.CreateWindowEx(
            0, class_name, name, 0, 0, 0, 0, 0, win32con.HWND_MESSAGE, 0, instance, None
        )
        return int(hwnd)

    def _default_proc(hwnd: int, msg: int, wparam: int, lparam: int) -> int:
        return int(win32gui.DefWindowProc(hwnd, msg, wparam, lparam))

else:

    class WindowsClipboard:
        """win32clipboard exists only on Windows."""

        def __init__(self, display: str | None = None) -> None:
            raise BackendUnavailable("the Windows clipboard backend needs Windows")
