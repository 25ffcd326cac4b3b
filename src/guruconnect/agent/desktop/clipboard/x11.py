"""The X11 clipboard (CLIPBOARD selection), through python-xlib and XFixes.

Two connections, each with its own unmapped window and thread:

    owner    owns CLIPBOARD with the technician's item and answers SelectionRequest
             (TARGETS, UTF8_STRING/STRING/text/plain, text/html, image/png, INCR)
    watcher  XFixes SetSelectionOwnerNotify: when an application on the remote side
             takes the selection, read it (TARGETS, then each format) and report it

The watcher ignores a new owner that is the owner thread's window: an item set for a
technician is never reported back as a remote copy, so it never reaches anyone else.
"""

from __future__ import annotations

import logging
import os
import queue
import select
import threading
from collections.abc import Callable
from typing import Any

from Xlib import X, error
from Xlib.display import Display
from Xlib.ext import xfixes

from guruconnect.agent.desktop._backends import BackendUnavailable
from guruconnect.agent.desktop.clipboard import Item, TooLarge
from guruconnect.agent.desktop.clipboard._x11_read import Connection, read_clipboard
from guruconnect.agent.desktop.clipboard._x11_serve import SelectionServer

log = logging.getLogger("guruconnect.agent.desktop.clipboard")

SET_TIMEOUT = 5.0


def _connect(display: str | None) -> Connection:
    try:
        conn = Display(display)
    except (error.DisplayError, error.ConnectionClosedError) as exc:
        raise BackendUnavailable(f"cannot open the X display: {exc}") from exc
    root = conn.screen().root
    window = root.create_window(
        -10, -10, 1, 1, 0, X.CopyFromParent, event_mask=X.PropertyChangeMask
    )
    return Connection(conn, window)


class X11Clipboard:
    def __init__(self, display: str | None = None) -> None:
        self._display_name = display
        self._owner = _connect(display)
        self._server = SelectionServer(self._owner)
        self._commands: queue.Queue[tuple[Item, threading.Event]] = queue.Queue()
        self._wake_r, self._wake_w = os.pipe()
        self._stop = threading.Event()
        self._watcher: Connection | None = None
        self._threads = [threading.Thread(target=self._own, name="clipboard-owner", daemon=True)]
        self._threads[0].start()

    @property
    def owner_window(self) -> int:
        return int(self._owner.window.id)

    # --- the Clipboard protocol ---

    def set(self, item: Item) -> None:
        done = threading.Event()
        self._commands.put((item, done))
        os.write(self._wake_w, b"s")
        if not done.wait(SET_TIMEOUT):
            raise TimeoutError("the clipboard owner thread did not answer")

    def read(self) -> Item | None:
        conn = _connect(self._display_name)
        try:
            return read_clipboard(conn, ignore_owner=self.owner_window)
        finally:
            conn.display.close()

    def watch(self, on_copy: Callable[[Item], None], on_error: Callable[[str], None]) -> None:
        conn = _connect(self._display_name)
        if not conn.display.has_extension("XFIXES"):
            conn.display.close()
            raise BackendUnavailable("the X server has no XFIXES extension")
        conn.display.xfixes_query_version()
        conn.display.xfixes_select_selection_input(
            conn.window, conn.atom("CLIPBOARD"), xfixes.XFixesSetSelectionOwnerNotifyMask
        )
        conn.display.flush()
        self._watcher = conn
        thread = threading.Thread(
            target=self._watch, args=(conn, on_copy, on_error), name="clipboard-watch", daemon=True
        )
        self._threads.append(thread)
        thread.start()

    def close(self) -> None:
        self._stop.set()
        os.write(self._wake_w, b"q")
        for thread in self._threads:
            thread.join(5)
        for conn in (self._owner, self._watcher):
            if conn is not None:
                try:
                    conn.display.close()
                except Exception:
                    log.debug("closing an X connection failed", exc_info=True)
        os.close(self._wake_r)
        os.close(self._wake_w)

    # --- threads ---

    def _own(self) -> None:
        conn = self._owner
        clipboard = conn.atom("CLIPBOARD")
        fd = conn.display.fileno()
        while not self._stop.is_set():
            ready, _, _ = select.select([fd, self._wake_r], [], [], 1.0)
            if self._wake_r in ready:
                os.read(self._wake_r, 64)
            while not self._commands.empty():
                item, done = self._commands.get()
                self._server.item = item
                conn.window.set_selection_owner(clipboard, X.CurrentTime)
                conn.display.flush()
                done.set()
            try:
                while conn.display.pending_events():
                    self._server.handle(conn.display.next_event())
            except (error.ConnectionClosedError, OSError):
                if not self._stop.is_set():
                    log.warning("the clipboard owner lost its X connection")
                return

    def _watch(
        self, conn: Connection, on_copy: Callable[[Item], None], on_error: Callable[[str], None]
    ) -> None:
        fd = conn.display.fileno()
        ours = self.owner_window
        while not self._stop.is_set():
            # The owner thread drains the wake pipe; here it only cuts the wait short.
            select.select([fd, self._wake_r], [], [], 1.0)
            try:
                events = conn.backlog + [
                    conn.display.next_event() for _ in range(conn.display.pending_events())
                ]
                conn.backlog = []
                copies = [e for e in events if _is_new_owner(e)]
                if not copies:
                    continue
                owner = copies[-1].owner  # only the latest copy matters
                owner_id = owner if isinstance(owner, int) else owner.id
                if owner_id in (X.NONE, ours):
                    continue  # cleared, or our own item for a technician: no echo
                self._report(conn, ours, on_copy, on_error)
            except (error.ConnectionClosedError, OSError):
                if not self._stop.is_set():
                    log.warning("the clipboard watcher lost its X connection")
                return

    def _report(
        self,
        conn: Connection,
        ours: int,
        on_copy: Callable[[Item], None],
        on_error: Callable[[str], None],
    ) -> None:
        try:
            item = read_clipboard(conn, ignore_owner=ours)
        except TooLarge as exc:
            on_error(f"The remote clipboard holds {exc.size} bytes, too large to send.")
            return
        except Exception:
            log.warning("reading the remote clipboard failed", exc_info=True)
            return
        if item:
            on_copy(item)


def _is_new_owner(event: Any) -> bool:
    return bool(
        getattr(event, "sub_code", None) == xfixes.XFixesSetSelectionOwnerNotify
        and hasattr(event, "owner")
    )
