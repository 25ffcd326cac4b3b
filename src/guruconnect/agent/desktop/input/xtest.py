"""X input through the XTEST extension (python-xlib): works on any X server, Xvfb too.

Every event ends with a round trip (``sync``): when it returns, the server has applied
the input, so a capture taken afterwards may honestly carry that event's ``input_seq``.
"""

from __future__ import annotations

import logging
import time

from Xlib import X, error
from Xlib.display import Display
from Xlib.ext import xtest

from guruconnect.agent.desktop._backends import BackendUnavailable
from guruconnect.agent.desktop.input import Button
from guruconnect.agent.desktop.input.keymap import KeyboardPlanner, Keymap, Op

log = logging.getLogger("guruconnect.agent.desktop.input")

X_BUTTONS: dict[Button, int] = {"left": 1, "middle": 2, "right": 3, "back": 8, "forward": 9}
WHEEL_UP, WHEEL_DOWN, WHEEL_LEFT, WHEEL_RIGHT = 4, 5, 6, 7
MAX_WHEEL_CLICKS = 20  # per event, per axis
KEYMAP_MAX_AGE = 2.0  # seconds: the user may switch layouts on the remote side


class XTestInjector:
    def __init__(self, display: str | None = None) -> None:
        try:
            self._display = Display(display)
        except (error.DisplayError, error.ConnectionClosedError) as exc:
            raise BackendUnavailable(f"cannot open the X display: {exc}") from exc
        if not self._display.has_extension("XTEST"):
            self._display.close()
            raise BackendUnavailable("the X server has no XTEST extension")
        self._root = self._display.screen().root
        self._buttons: set[int] = set()
        self._planner = KeyboardPlanner(self._read_keymap())
        self._keymap_read_at = time.monotonic()

    # --- pointer ---

    def move(self, x: int, y: int) -> None:
        xtest.fake_input(self._display, X.MotionNotify, x=x, y=y, root=self._root)
        self._display.sync()

    def button(self, button: Button, down: bool) -> None:
        number = X_BUTTONS[button]
        self._fake_button(number, down)
        self._display.sync()

    def scroll(self, dx: int, dy: int) -> None:
        for count, positive, negative in (
            (dy, WHEEL_DOWN, WHEEL_UP),
            (dx, WHEEL_RIGHT, WHEEL_LEFT),
        ):
            number = positive if count > 0 else negative
            for _ in range(min(abs(count), MAX_WHEEL_CLICKS)):
                xtest.fake_input(self._display, X.ButtonPress, number)
                xtest.fake_input(self._display, X.ButtonRelease, number)
        self._display.sync()

    def _fake_button(self, number: int, down: bool) -> None:
        xtest.fake_input(self._display, X.ButtonPress if down else X.ButtonRelease, number)
        if down:
            self._buttons.add(number)
        else:
            self._buttons.discard(number)

    # --- keyboard ---

    def key(self, code: str, key: str, down: bool) -> None:
        if down and time.monotonic() - self._keymap_read_at > KEYMAP_MAX_AGE:
            self._refresh_keymap()
        self._apply(self._planner.key(code, key, down))

    @property
    def keys_down(self) -> list[int]:
        return self._planner.keys_down

    @property
    def unmapped_keys(self) -> int:
        return self._planner.unmapped

    def release_all(self) -> None:
        self._apply(self._planner.release_all())
        for number in sorted(self._buttons):
            xtest.fake_input(self._display, X.ButtonRelease, number)
        self._buttons.clear()
        self._display.sync()

    def close(self) -> None:
        try:
            self.release_all()
            self._apply(self._planner.restore())
            self._display.sync()
        finally:
            self._display.close()

    def _apply(self, ops: list[Op]) -> None:
        for what, keycode, keysym in ops:
            if what == "map":
                self._display.change_keyboard_mapping(keycode, [(keysym, keysym)])
                # The server must know the new mapping before the key goes down, and
                # clients read it on MappingNotify: give them a moment, as xdotool does.
                self._display.sync()
                time.sleep(0.002)
            else:
                event = X.KeyPress if what == "press" else X.KeyRelease
                xtest.fake_input(self._display, event, keycode)
        if ops:
            self._display.sync()

    def _read_keymap(self) -> Keymap:
        info = self._display.display.info
        first, last = info.min_keycode, info.max_keycode
        rows = self._display.get_keyboard_mapping(first, last - first + 1)
        return Keymap(first, [list(row) for row in rows])

    def _refresh_keymap(self) -> None:
        fresh = self._read_keymap()
        for keycode, keysym in self._planner.remapped.items():
            fresh.set(keycode, [keysym, keysym])  # ours, whatever the server echoes
        self._planner.keymap = fresh
        self._keymap_read_at = time.monotonic()
