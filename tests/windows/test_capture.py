"""GDI capture through mss sees what a real window painted (numpy-free: Wine 8)."""

from __future__ import annotations

from guruconnect.agent.desktop.capture import open_capturer

from ._window import TestWindow

COLOUR = (12, 200, 34)  # r, g, b


def test_capture_sees_the_painted_colour() -> None:
    capturer = open_capturer("windows")
    try:
        monitors = capturer.monitors()
        assert monitors and monitors[0].width > 0 and monitors[0].height > 0
        with TestWindow(colour=COLOUR, x=200, y=150, width=320, height=240) as window:
            window.pump(1)
            width, height = window.client_size()
            x, y = window.client_to_screen(width // 2 - 8, height // 2 - 8)
            data = capturer.grab_bgra(x, y, 16, 16)  # type: ignore[attr-defined]
            assert len(data) == 16 * 16 * 4
            pixels = {tuple(data[i : i + 3]) for i in range(0, len(data), 4)}
            assert pixels == {(COLOUR[2], COLOUR[1], COLOUR[0])}, pixels  # BGRA order
    finally:
        capturer.close()
