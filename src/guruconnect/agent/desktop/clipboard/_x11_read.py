"""Reading the X CLIPBOARD selection (ICCCM): TARGETS first, then each format we carry,
with INCR for large items. Runs on whichever connection and window the caller owns."""

from __future__ import annotations

import select
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from Xlib import X
from Xlib.display import Display

from guruconnect.agent.desktop.clipboard import MAX_ITEM_BYTES, Item, ItemKind, TooLarge

CONVERT_TIMEOUT = 3.0  # seconds an owner has to answer one conversion
PROPERTY = "GURU_CLIPBOARD"
# Targets that give each kind, best first.
KIND_TARGETS: dict[ItemKind, tuple[str, ...]] = {
    "files": ("text/uri-list", "x-special/gnome-copied-files"),
    "text": ("UTF8_STRING", "text/plain;charset=utf-8", "STRING", "TEXT", "text/plain"),
    "html": ("text/html",),
    "png": ("image/png",),
}


@dataclass
class Connection:
    """One X connection used from one thread, with the events a wait skipped over."""

    display: Display
    window: Any  # Xlib Window
    backlog: list[Any] = field(default_factory=list)

    def atom(self, name: str) -> int:
        return int(self.display.intern_atom(name))

    def wait(self, wanted: Callable[[Any], bool], timeout: float) -> Any | None:
        """The first event matching ``wanted`` within ``timeout``; others go to backlog."""
        deadline = time.monotonic() + timeout
        self.display.flush()
        while True:
            while self.display.pending_events():
                event = self.display.next_event()
                if wanted(event):
                    return event
                self.backlog.append(event)
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            select.select([self.display.fileno()], [], [], left)


def read_clipboard(conn: Connection, ignore_owner: int = 0) -> Item | None:
    """The CLIPBOARD's formats we carry; None when empty, unreadable, or owned by
    ``ignore_owner`` (our own window: what a technician set is not a remote copy)."""
    display = conn.display
    clipboard = conn.atom("CLIPBOARD")
    owner = display.get_selection_owner(clipboard)
    owner_id = owner if isinstance(owner, int) else owner.id
    if owner_id in (X.NONE, ignore_owner):
        return None
    offered = _targets(conn, clipboard)
    item: Item = {}
    total = 0
    for kind, names in KIND_TARGETS.items():
        if kind != "files" and "files" in item:
            break  # a file manager's copy: its text is the same paths; files win
        for name in names:
            target = conn.atom(name)
            if offered is not None and target not in offered:
                continue
            data = _convert(conn, clipboard, target, MAX_ITEM_BYTES - total)
            if data is None:
                continue
            if name == "STRING":
                data = data.decode("latin-1").encode()
            elif kind == "html":
                data = _html_utf8(data)
            item[kind] = data
            total += len(data)
            break
    return item or None


def _targets(conn: Connection, clipboard: int) -> set[int] | None:
    raw = _convert(conn, clipboard, conn.atom("TARGETS"), 64 * 1024, want_atoms=True)
    if raw is None:
        return None  # an old owner without TARGETS: try the formats one by one
    return set(raw) if isinstance(raw, list) else None


def _convert(
    conn: Connection, clipboard: int, target: int, limit: int, *, want_atoms: bool = False
) -> Any:
    display, window = conn.display, conn.window
    prop = conn.atom(PROPERTY)
    window.delete_property(prop)
    window.convert_selection(clipboard, target, prop, X.CurrentTime)
    event = conn.wait(
        lambda e: e.type == X.SelectionNotify and e.requestor.id == window.id,
        CONVERT_TIMEOUT,
    )
    if event is None or event.property == X.NONE:
        return None
    got = window.get_full_property(prop, X.AnyPropertyType, sizehint=limit // 4 + 1)
    if got is None:
        return None
    if got.property_type == conn.atom("INCR"):
        declared = int(got.value[0]) if len(got.value) else 0
        if declared > limit:
            window.delete_property(prop)
            display.flush()
            raise TooLarge(declared)
        return _incremental(conn, prop, limit)
    window.delete_property(prop)
    display.flush()
    if want_atoms:
        return [int(a) for a in got.value] if got.format == 32 else None
    data = _as_bytes(got.value)
    if len(data) > limit:
        raise TooLarge(len(data))
    return data


def _incremental(conn: Connection, prop: int, limit: int) -> bytes | None:
    """INCR: deleting the property asks the owner for the next piece; empty ends it."""
    window = conn.window
    window.delete_property(prop)
    parts: list[bytes] = []
    size = 0
    while True:
        event = conn.wait(
            lambda e: (
                e.type == X.PropertyNotify
                and e.window.id == window.id
                and e.atom == prop
                and e.state == X.PropertyNewValue
            ),
            CONVERT_TIMEOUT,
        )
        if event is None:
            return None  # the owner gave up or died: nothing half-read is used
        got = window.get_full_property(prop, X.AnyPropertyType, sizehint=1 << 20)
        window.delete_property(prop)
        conn.display.flush()
        piece = _as_bytes(got.value) if got is not None else b""
        if not piece:
            return b"".join(parts)
        size += len(piece)
        if size > limit:
            raise TooLarge(size)
        parts.append(piece)


def _as_bytes(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("latin-1")
    return bytes(value)


def _html_utf8(data: bytes) -> bytes:
    # Firefox and Chromium may offer text/html as UTF-16 with a byte-order mark.
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16").encode()
    return data
