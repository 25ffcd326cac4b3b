"""Capture and XTest input against a real Xvfb."""

from __future__ import annotations

import time

import numpy as np
import pytest
from Xlib import X
from Xlib.display import Display

from guruconnect.agent.desktop.capture import open_capturer
from guruconnect.agent.desktop.control import InputController, clamp_to_monitors
from guruconnect.agent.desktop.input import open_injector
from guruconnect.agent.desktop.input.xtest import XTestInjector
from guruconnect.agent.desktop.stream import FrameProducer
from guruconnect.protocol.desktop import (
    KeyInput,
    Monitor,
    PointerInput,
    ReleaseAll,
    StreamSettings,
    TileFrame,
    VideoFrame,
)


def keys_down(display: Display) -> list[int]:
    return [
        i * 8 + b
        for i, byte in enumerate(display.query_keymap())
        for b in range(8)
        if byte >> b & 1
    ]


def keymap_of(display: Display) -> dict[int, tuple[int, ...]]:
    """Keysyms per keycode, read fresh from the server (no client-side cache)."""
    first, last = display.display.info.min_keycode, display.display.info.max_keycode
    rows = display.get_keyboard_mapping(first, last - first + 1)
    return {first + i: tuple(row) for i, row in enumerate(rows)}


@pytest.fixture
def observer(x_display: str) -> Display:
    display = Display(x_display)
    yield display  # type: ignore[misc]
    display.close()


def fill_window(
    display: Display, x: int, y: int, w: int, h: int, rgb: tuple[int, int, int]
) -> object:
    screen = display.screen()
    pixel = (rgb[0] << 16) | (rgb[1] << 8) | rgb[2]  # TrueColor 24-bit
    window = screen.root.create_window(
        x, y, w, h, 0, screen.root_depth, X.InputOutput, X.CopyFromParent,
        background_pixel=pixel, override_redirect=True,
    )  # fmt: skip
    window.map()
    display.sync()
    return window


def test_capture_returns_the_right_pixels_and_monitors(x_display: str, observer: Display) -> None:
    window = fill_window(observer, 100, 50, 64, 32, (255, 128, 0))
    capturer = open_capturer("x11", x_display)
    try:
        assert capturer.monitors() == [
            Monitor(id=0, x=0, y=0, width=1280, height=720, name="screen")
        ] or ([(m.x, m.y, m.width, m.height) for m in capturer.monitors()] == [(0, 0, 1280, 720)])
        for _ in range(50):  # the server paints the background asynchronously
            pixels = capturer.grab(90, 40, 100, 60)
            if tuple(pixels[20, 20]) == (0, 128, 255, 0) or tuple(pixels[20, 20][:3]) == (
                0,
                128,
                255,
            ):
                break
            time.sleep(0.02)
        assert pixels.shape == (60, 100, 4) and pixels.dtype == np.uint8
        assert tuple(pixels[20, 20][:3]) == (0, 128, 255)  # BGRA of orange
        assert tuple(pixels[10 + 31, 10 + 63][:3]) == (0, 128, 255)  # last pixel inside
        assert tuple(pixels[10 + 32, 10][:3]) != (0, 128, 255)  # first one below
        full = capturer.grab(0, 0, 1280, 720)
        assert full.shape == (720, 1280, 4)
        assert tuple(full[50, 100][:3]) == (0, 128, 255)
        assert "MIT-SHM is working correctly." in capturer.performance_status  # type: ignore[attr-defined]
    finally:
        capturer.close()
        window.destroy()  # type: ignore[attr-defined]
        observer.sync()


def test_pointer_lands_where_asked_and_is_clamped(x_display: str, observer: Display) -> None:
    injector = open_injector("xtest", x_display)
    monitors = [Monitor(id=0, x=0, y=0, width=1280, height=720)]
    controller = InputController(injector, monitors)
    try:
        controller.apply(PointerInput(seq=1, x=321, y=123))
        pointer = observer.screen().root.query_pointer()
        assert (pointer.root_x, pointer.root_y) == (321, 123)
        controller.apply(PointerInput(seq=2, x=5000, y=-40))
        pointer = observer.screen().root.query_pointer()
        assert (pointer.root_x, pointer.root_y) == (1279, 0)
        assert controller.stats.clamped == 1 and controller.input_seq == 2
        # Buttons go down and, with ReleaseAll, up again.
        controller.apply(PointerInput(seq=3, x=10, y=10, buttons=1 | 2))
        assert observer.screen().root.query_pointer().mask & (X.Button1Mask | X.Button3Mask)
        controller.apply(PointerInput(seq=4, x=10, y=10, buttons=0, wheel_y=2, wheel_x=-1))
        controller.apply(PointerInput(seq=5, x=10, y=10, buttons=4))
        controller.apply(ReleaseAll(seq=6))
        assert observer.screen().root.query_pointer().mask & 0x1F00 == 0
    finally:
        injector.close()


def test_clamping_to_the_union_of_monitors() -> None:
    monitors = [
        Monitor(id=0, x=0, y=0, width=1920, height=1080),
        Monitor(id=1, x=1920, y=0, width=1280, height=720),
    ]
    assert clamp_to_monitors(100, 100, monitors) == (100, 100)
    assert clamp_to_monitors(2500, 900, monitors) == (2500, 719)  # below the small one
    assert clamp_to_monitors(-5, 2000, monitors) == (0, 1079)
    assert clamp_to_monitors(9999, 9999, monitors) == (3199, 719)


def test_keys_go_down_and_release_all_leaves_none(x_display: str, observer: Display) -> None:
    injector = open_injector("xtest", x_display)
    assert isinstance(injector, XTestInjector)
    controller = InputController(injector, [Monitor(id=0, x=0, y=0, width=1280, height=720)])
    try:
        controller.apply(KeyInput(seq=1, down=True, code="KeyE", key="€"))
        controller.apply(KeyInput(seq=2, down=True, code="KeyZ", key="ж"))
        down = keys_down(observer)
        assert len(down) == 2 and sorted(down) == sorted(injector.keys_down)
        # Not in the US keymap: spare keycodes were mapped to their Unicode keysyms.
        assert {keymap_of(observer)[kc][0] for kc in down} == {0x10020AC, 0x1000436}
        # With Ctrl held, a Cyrillic letter is taken by its code: Ctrl+C.
        controller.apply(KeyInput(seq=3, down=True, code="ControlLeft", key="Control"))
        controller.apply(KeyInput(seq=4, down=True, code="KeyC", key="\u0441"))
        down = keys_down(observer)
        assert observer.keysym_to_keycode(ord("c")) in down
        assert observer.keysym_to_keycode(0xFFE3) in down  # Control_L
        assert len(down) == 4
        controller.apply(ReleaseAll(seq=5))
        assert keys_down(observer) == []
        assert controller.input_seq == 5
        controller.apply(KeyInput(seq=6, down=True, code="KeyQ", key="é"))
        assert len(keys_down(observer)) == 1
    finally:
        injector.close()  # releases and unmaps
    assert keys_down(observer) == []
    # The spare keycodes are unbound again.
    assert not {0xE9, 0x10020AC, 0x1000436} & {syms[0] for syms in keymap_of(observer).values()}


def test_frame_producer_sends_only_changes(x_display: str, observer: Display) -> None:
    capturer = open_capturer("x11", x_display)
    producer = FrameProducer(capturer)
    monitors = capturer.monitors()
    try:
        jpeg = StreamSettings(codec="jpeg", max_fps=30)
        first = producer.produce(jpeg, monitors, False, lambda: 7)
        assert isinstance(first, TileFrame) and first.keyframe and first.input_seq == 7
        assert [(t.x, t.y, t.width, t.height) for t in first.tiles] == [(0, 0, 1280, 720)]
        assert producer.produce(jpeg, monitors, False, lambda: 7) is None  # nothing changed
        window = fill_window(observer, 130, 70, 10, 10, (0, 255, 0))
        for _ in range(50):
            frame = producer.produce(jpeg, monitors, False, lambda: 8)
            if frame is not None:
                break
            time.sleep(0.02)
        assert isinstance(frame, TileFrame) and not frame.keyframe
        assert [(t.x, t.y, t.width, t.height) for t in frame.tiles] == [(128, 64, 64, 64)]
        video = producer.produce(StreamSettings(codec="h264"), monitors, False, lambda: 9)
        assert isinstance(video, VideoFrame) and video.keyframe and video.input_seq == 9
        assert (video.width, video.height, video.monitor) == (1280, 720, -1)
        window.destroy()  # type: ignore[attr-defined]
        observer.sync()
    finally:
        producer.close()
        capturer.close()


def test_frame_producer_without_numpy_sends_jpeg_tiles(x_display: str, observer: Display) -> None:
    """``plain``: what a runtime without numpy and PyAV does (the Windows one-time support
    EXE): raw bytes compared in Python, JPEG tiles even when the viewer asks for H.264."""
    capturer = open_capturer("x11", x_display)
    producer = FrameProducer(capturer, plain=True)
    monitors = capturer.monitors()
    try:
        h264 = StreamSettings(codec="h264", max_fps=30)
        first = producer.produce(h264, monitors, False, lambda: 7)
        assert isinstance(first, TileFrame) and first.keyframe
        assert [(t.x, t.y, t.width, t.height) for t in first.tiles] == [(0, 0, 1280, 720)]
        assert producer.produce(h264, monitors, False, lambda: 7) is None  # nothing changed
        window = fill_window(observer, 130, 70, 10, 10, (0, 255, 0))
        for _ in range(50):
            frame = producer.produce(h264, monitors, False, lambda: 8)
            if frame is not None:
                break
            time.sleep(0.02)
        assert isinstance(frame, TileFrame) and not frame.keyframe
        assert [(t.x, t.y, t.width, t.height) for t in frame.tiles] == [(128, 64, 64, 64)]
        window.destroy()  # type: ignore[attr-defined]
        observer.sync()
    finally:
        producer.close()
        capturer.close()
