"""Input injection backends, chosen by name.

Backends work at the level of the remote OS: move the pointer to absolute
virtual-screen pixels, press buttons, scroll, and press keys from a DOM
(``code``, ``key``) pair, which they map with their own keyboard knowledge
(``keymap`` for X). Windows (SendInput) and macOS (CGEvent) backends plug in by
adding their import string to ``BACKENDS`` and their name to ``InputBackend``.
"""

from __future__ import annotations

import sys
from typing import Literal, Protocol, cast, get_args

from guruconnect.agent.desktop._backends import import_from_string

InputBackend = Literal["xtest", "windows"]
BACKENDS: dict[InputBackend, str] = {
    "xtest": "guruconnect.agent.desktop.input.xtest:XTestInjector",
    "windows": "guruconnect.agent.desktop.input.sendinput:SendInputInjector",
    # "macos": "guruconnect.agent.desktop.input.cgevent:CGEventInjector",
}
NAMES: tuple[str, ...] = get_args(InputBackend)

Button = Literal["left", "middle", "right", "back", "forward"]


class InputInjector(Protocol):
    def move(self, x: int, y: int) -> None:
        """Pointer to (x, y), virtual-screen pixels, already clamped to the monitors."""
        ...

    def button(self, button: Button, down: bool) -> None: ...

    def scroll(self, dx: int, dy: int) -> None:
        """Wheel steps: dy > 0 scrolls down, dx > 0 scrolls right."""
        ...

    def key(self, code: str, key: str, down: bool) -> None:
        """A DOM key event (``KeyboardEvent.code`` and ``.key``)."""
        ...

    def release_all(self) -> None:
        """Release every key and button this injector holds down."""
        ...

    def close(self) -> None:
        """Release everything and undo temporary changes (keyboard remaps)."""
        ...


def default_backend() -> InputBackend:
    return "windows" if sys.platform == "win32" else "xtest"


def open_injector(name: InputBackend, display: str | None = None) -> InputInjector:
    factory = import_from_string(BACKENDS[name])
    return cast(InputInjector, factory(display=display))
