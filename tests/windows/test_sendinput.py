"""SendInput reaches a real Win32 window: a mouse click and Unicode text, emoji included."""

from __future__ import annotations

from guruconnect.agent.desktop.input import open_injector

from ._window import TestWindow

TEXT = "Hé€ж😀!"


def test_click_reaches_the_window() -> None:
    injector = open_injector("windows")
    with TestWindow() as window:
        width, height = window.client_size()
        target = (width // 2, height // 3)
        injector.move(*window.client_to_screen(*target))
        injector.button("left", True)
        injector.button("left", False)
        window.pump(5, until=lambda: window.clicks)
        assert window.clicks, "no WM_LBUTTONDOWN reached the window"
        x, y = window.clicks[0]
        assert abs(x - target[0]) <= 1 and abs(y - target[1]) <= 1, (window.clicks, target)
    injector.close()


def test_unicode_text_reaches_the_window() -> None:
    injector = open_injector("windows")
    with TestWindow() as window:
        injector.move(*window.client_to_screen(10, 10))
        injector.button("left", True)  # focus by clicking, as a technician would
        injector.button("left", False)
        window.pump(1)
        for char in TEXT:
            injector.key("", char, True)
            injector.key("", char, False)
        window.pump(5, until=lambda: window.text() == TEXT)
        assert window.text() == TEXT, [hex(u) for u in window.units]
        assert 0xD83D in window.units  # the emoji went as a surrogate pair
    injector.close()


def test_named_key_goes_as_a_virtual_key() -> None:
    injector = open_injector("windows")
    with TestWindow() as window:
        injector.move(*window.client_to_screen(10, 10))
        injector.button("left", True)
        injector.button("left", False)
        window.pump(1)
        injector.key("Enter", "Enter", True)
        injector.key("Enter", "Enter", False)
        window.pump(5, until=lambda: window.units)
        assert window.units == [0x0D]  # VK_RETURN translates to WM_CHAR '\r'
    injector.close()
