"""DXGI Desktop Duplication under Wine: what runs, what refuses, and the GDI fallback.

Wine 8 implements D3D11 (wined3d on llvmpipe here) but its
``IDXGIOutput1::DuplicateOutput`` is a stub answering E_NOTIMPL. So the capturer must
refuse with that HRESULT and ``auto`` must fall back to GDI; if a Wine version ever
duplicates, the first test checks real pixels instead. The staging copy (texture ->
staging -> Map -> rows by RowPitch) runs for real on a texture of known pixels.
"""

from __future__ import annotations

import ctypes
import logging
import re

import pytest

from guruconnect.agent.desktop._backends import BackendUnavailable
from guruconnect.agent.desktop.capture import _d3d11 as d3d
from guruconnect.agent.desktop.capture import open_capturer
from guruconnect.agent.desktop.capture.dxgi import DxgiCapturer, StagingReader
from guruconnect.agent.desktop.capture.windows import GdiCapturer

from ._window import TestWindow

COLOUR = (200, 30, 90)  # r, g, b
HRESULT = re.compile(r"0x[0-9A-F]{8}")


def _window_pixels(grab_bgra: object, window: TestWindow) -> set[tuple[int, ...]]:
    width, height = window.client_size()
    x, y = window.client_to_screen(width // 2 - 8, height // 2 - 8)
    data = grab_bgra(x, y, 16, 16)  # type: ignore[operator]
    assert len(data) == 16 * 16 * 4
    return {tuple(data[i : i + 3]) for i in range(0, len(data), 4)}


def test_dxgi_captures_or_refuses_with_the_hresult() -> None:
    try:
        capturer = DxgiCapturer()
    except BackendUnavailable as exc:
        message = str(exc)
        assert "DuplicateOutput" in message and HRESULT.search(message), message
        assert "0x80004001 (E_NOTIMPL)" in message, message  # Wine 8's stub
        return
    try:  # a Wine (or Windows) that duplicates: the pixels must be right
        assert capturer.monitors()
        with TestWindow(colour=COLOUR, x=220, y=160, width=320, height=240) as window:
            window.pump(1)
            capturer.grab_bgra(0, 0, 1, 1)  # first frame
            window.pump(0.5)
            assert _window_pixels(capturer.grab_bgra, window) == {COLOUR[::-1]}
    finally:
        capturer.close()


def test_auto_falls_back_to_gdi_with_one_log_line(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="guruconnect.agent.desktop.capture"):
        capturer = open_capturer("auto")
    try:
        lines = [r.getMessage() for r in caplog.records if "GDI" in r.getMessage()]
        if isinstance(capturer, DxgiCapturer):  # a Wine that duplicates: no fallback
            assert not lines, lines
            capturer.grab_bgra(0, 0, 1, 1)  # first frame
        else:
            assert isinstance(capturer, GdiCapturer)
            assert len(lines) == 1, caplog.records
            assert "DuplicateOutput" in lines[0] and HRESULT.search(lines[0]), lines[0]
        with TestWindow(colour=COLOUR, x=220, y=160, width=320, height=240) as window:
            window.pump(1)
            grab_bgra = capturer.grab_bgra  # type: ignore[attr-defined]
            assert _window_pixels(grab_bgra, window) == {COLOUR[::-1]}
    finally:
        capturer.close()


def _references(pointer: d3d.ComPtr) -> int:
    pointer.call(1, [], restype=ctypes.c_ulong)  # AddRef
    return int(pointer.call(2, [], restype=ctypes.c_ulong))  # Release: the count left


def _texture(device: d3d.ComPtr, width: int, height: int, pixels: bytes) -> d3d.ComPtr:
    """DEFAULT usage, shader resource: a GPU texture like the desktop's."""
    desc = d3d.D3D11_TEXTURE2D_DESC(
        Width=width,
        Height=height,
        MipLevels=1,
        ArraySize=1,
        Format=d3d.DXGI_FORMAT_B8G8R8A8_UNORM,
        SampleCount=1,
        SampleQuality=0,
        Usage=0,
        BindFlags=0x8,
        CPUAccessFlags=0,
        MiscFlags=0,
    )
    source = ctypes.create_string_buffer(pixels, len(pixels))
    initial = d3d.D3D11_SUBRESOURCE_DATA(
        ctypes.cast(source, ctypes.c_void_p), width * 4, len(pixels)
    )
    return device.out_pointer(
        "CreateTexture2D", 5, [ctypes.c_void_p, ctypes.c_void_p],
        ctypes.byref(desc), ctypes.byref(initial), name="ID3D11Texture2D",
    )  # fmt: skip


def _pattern(width: int, height: int) -> bytes:
    """A different BGRA value at every pixel, so a row read at the wrong pitch shows."""
    return bytes(
        value
        for y in range(height)
        for x in range(width)
        for value in (x & 0xFF, y & 0xFF, (x * 7 + y * 13) & 0xFF, 0xFF)
    )


def test_staging_reader_copies_known_pixels_and_leaks_nothing() -> None:
    device, context = d3d.create_device()
    reader = StagingReader(device, context)
    try:
        device_refs = _references(device)
        for width, height in ((37, 5), (37, 5), (64, 3), (1, 1)):  # reuse, then resize
            pixels = _pattern(width, height)
            texture = _texture(device, width, height, pixels)
            try:
                before = _references(texture)
                data, got_w, got_h = reader.read(texture)
                assert (got_w, got_h) == (width, height)
                assert data == pixels
                assert _references(texture) == before
            finally:
                texture.release()
        reader.close()
        assert _references(device) == device_refs
    finally:
        reader.close()
        d3d.release_all(context, device)
