"""Viewer input -> the input backend: clamped to the monitors, buttons diffed, seq kept."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from guruconnect.agent.desktop.input import Button, InputInjector
from guruconnect.protocol.desktop import (
    BUTTON_BACK,
    BUTTON_FORWARD,
    BUTTON_LEFT,
    BUTTON_MIDDLE,
    BUTTON_RIGHT,
    KeyInput,
    Monitor,
    PointerInput,
    ReleaseAll,
)

log = logging.getLogger("guruconnect.agent.desktop.input")

BUTTON_BITS: tuple[tuple[int, Button], ...] = (
    (BUTTON_LEFT, "left"),
    (BUTTON_RIGHT, "right"),
    (BUTTON_MIDDLE, "middle"),
    (BUTTON_BACK, "back"),
    (BUTTON_FORWARD, "forward"),
)


def clamp_to_monitors(x: int, y: int, monitors: list[Monitor]) -> tuple[int, int]:
    """The point itself if some monitor contains it, else the nearest point of the
    nearest monitor: never a pixel outside the union of the monitors."""
    best: tuple[int, int] | None = None
    best_distance = -1
    for m in monitors:
        cx = min(max(x, m.x), m.x + m.width - 1)
        cy = min(max(y, m.y), m.y + m.height - 1)
        distance = (cx - x) ** 2 + (cy - y) ** 2
        if distance == 0:
            return x, y
        if best is None or distance < best_distance:
            best, best_distance = (cx, cy), distance
    if best is None:
        raise ValueError("no monitors")
    return best


@dataclass
class InputStats:
    applied: int = 0
    clamped: int = 0
    failed: int = 0


class InputController:
    def __init__(self, injector: InputInjector, monitors: list[Monitor]) -> None:
        self.injector = injector
        self.monitors = monitors
        self.input_seq = 0  # seq of the last event applied
        self.stats = InputStats()
        self._buttons = 0

    def apply(self, event: PointerInput | KeyInput | ReleaseAll) -> None:
        try:
            if isinstance(event, PointerInput):
                self._pointer(event)
            elif isinstance(event, KeyInput):
                self.injector.key(event.code, event.key, event.down)
            else:
                self.release_all()
        except Exception:
            # One bad event (a display hiccup, an odd key) must not end the session.
            self.stats.failed += 1
            log.warning("input event %s failed", type(event).__name__, exc_info=True)
            return
        self.stats.applied += 1
        self.input_seq = max(self.input_seq, event.seq)

    def release_all(self) -> None:
        self._buttons = 0
        self.injector.release_all()

    def _pointer(self, event: PointerInput) -> None:
        x, y = clamp_to_monitors(event.x, event.y, self.monitors)
        if (x, y) != (event.x, event.y):
            self.stats.clamped += 1
            if self.stats.clamped in (1, 10, 100) or self.stats.clamped % 1000 == 0:
                log.info(
                    "pointer (%d, %d) outside the monitors, clamped to (%d, %d) [%d so far]",
                    event.x, event.y, x, y, self.stats.clamped,
                )  # fmt: skip
        self.injector.move(x, y)
        changed = self._buttons ^ event.buttons
        for bit, button in BUTTON_BITS:
            if changed & bit:
                self.injector.button(button, bool(event.buttons & bit))
        self._buttons = event.buttons
        if event.wheel_x or event.wheel_y:
            self.injector.scroll(event.wheel_x, event.wheel_y)
