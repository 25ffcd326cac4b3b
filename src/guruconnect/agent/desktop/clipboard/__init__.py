"""Clipboard backends, chosen by name (as capture/ and input/).

A backend holds the remote machine's clipboard for the technician (``set``), reads what
is on it (``read``), and reports copies made *on the remote machine* (``watch``). What
it set itself is never reported back as a remote copy. Items are ``{kind: bytes}`` with
kinds "text" (UTF-8), "html" (UTF-8), "png" and, read only, "files" (a URI list).
Windows and macOS backends plug in by adding their import string to ``BACKENDS`` and
their name to ``ClipboardBackendName``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Literal, Protocol, cast, get_args

from guruconnect.agent.desktop._backends import import_from_string
from guruconnect.protocol.clipboard import ClipboardKind

ClipboardBackendName = Literal["x11", "windows"]
BACKENDS: dict[ClipboardBackendName, str] = {
    "x11": "guruconnect.agent.desktop.clipboard.x11:X11Clipboard",
    "windows": "guruconnect.agent.desktop.clipboard.windows:WindowsClipboard",
}
NAMES: tuple[str, ...] = get_args(ClipboardBackendName)
# The most the worker reads from the remote clipboard; the server's own limit
# (clipboard_max_bytes) usually refuses far less.
MAX_ITEM_BYTES = 64 * 1024 * 1024

# A backend's item may also hold "files": what a file manager copied, as a URI list
# (text/uri-list). It travels as ClipboardFiles (paths only), never as an offer.
ItemKind = ClipboardKind | Literal["files"]
Item = dict[ItemKind, bytes]


class TooLarge(Exception):
    """The remote clipboard holds more than MAX_ITEM_BYTES."""

    def __init__(self, size: int) -> None:
        super().__init__(f"the remote clipboard holds {size} bytes, over {MAX_ITEM_BYTES}")
        self.size = size


class Clipboard(Protocol):
    def set(self, item: Item) -> None:
        """Own the clipboard with these formats, on the technician's behalf."""
        ...

    def read(self) -> Item | None:
        """What the clipboard holds now, or None when it is empty or holds what we set
        (a technician's item is never handed to anyone else). Raises TooLarge."""
        ...

    def watch(self, on_copy: Callable[[Item], None], on_error: Callable[[str], None]) -> None:
        """Call ``on_copy`` (from another thread) for each copy made on the remote side."""
        ...

    def close(self) -> None: ...


def default_backend() -> ClipboardBackendName:
    return "windows" if sys.platform == "win32" else "x11"


def open_clipboard(name: ClipboardBackendName, display: str | None = None) -> Clipboard:
    factory = import_from_string(BACKENDS[name])
    return cast(Clipboard, factory(display=display))
