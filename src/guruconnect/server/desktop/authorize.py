"""What a viewer may send, and making what it sends safe to pass on.

Input goes to a real machine, so nothing from the browser is forwarded raw: the
viewer must hold control and the machines:control scope, and coordinates are clamped
to the remote screen.
"""

from __future__ import annotations

from guruconnect.protocol.desktop import Monitor, PointerInput

INPUT_TYPES = ("pointer", "key", "release_all")


def virtual_bounds(monitors: list[Monitor]) -> tuple[int, int, int, int]:
    """(min_x, min_y, max_x, max_y) inclusive, over all monitors."""
    if not monitors:
        return (0, 0, 0, 0)
    return (
        min(m.x for m in monitors),
        min(m.y for m in monitors),
        max(m.x + m.width for m in monitors) - 1,
        max(m.y + m.height for m in monitors) - 1,
    )


def clamp_pointer(event: PointerInput, monitors: list[Monitor]) -> tuple[PointerInput, bool]:
    """Return the event clamped to the screen, and whether anything had to change."""
    min_x, min_y, max_x, max_y = virtual_bounds(monitors)
    x = min(max(event.x, min_x), max_x)
    y = min(max(event.y, min_y), max_y)
    if (x, y) == (event.x, event.y):
        return event, False
    return PointerInput(
        seq=event.seq,
        x=x,
        y=y,
        buttons=event.buttons,
        wheel_x=event.wheel_x,
        wheel_y=event.wheel_y,
    ), True
