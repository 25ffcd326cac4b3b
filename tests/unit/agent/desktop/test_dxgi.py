"""The DXGI backend's pure parts (row pitch, cutting rectangles, HRESULT text) and the
capture backend selection, on Linux. The COM calls run under Wine: tests/windows/test_dxgi.py."""

from __future__ import annotations

import ctypes
import logging

import pytest

from guruconnect.agent.desktop._backends import BackendUnavailable
from guruconnect.agent.desktop.capture import NAMES, auto_order, open_capturer
from guruconnect.agent.desktop.capture._d3d11 import ComError, failed, hresult_text
from guruconnect.agent.desktop.capture.dxgi import DxgiCapturer, Rect, blit, pack_rows
from guruconnect.agent.desktop.capture.x11 import X11Capturer


def _rows(width_bytes: int, pitch: int, rows: int) -> tuple[bytes, bytes]:
    """A padded buffer (padding bytes 0xEE) and the rows it should pack to."""
    wanted = bytes((r * 31 + i) % 251 for r in range(rows) for i in range(width_bytes))
    padded = b"".join(
        wanted[r * width_bytes : (r + 1) * width_bytes] + b"\xee" * (pitch - width_bytes)
        for r in range(rows)
    )
    return padded, wanted


def test_pack_rows_drops_the_padding_of_each_row() -> None:
    padded, wanted = _rows(width_bytes=37 * 4, pitch=192, rows=5)
    assert pack_rows(padded, 192, 37 * 4, 5) == wanted


def test_pack_rows_without_padding_after_the_last_row() -> None:
    """A mapped texture need not be padded after its last row."""
    padded, wanted = _rows(width_bytes=12, pitch=16, rows=3)
    assert pack_rows(padded[:-4], 16, 12, 3) == wanted


def test_pack_rows_reads_a_ctypes_array_in_place() -> None:
    padded, wanted = _rows(width_bytes=8, pitch=12, rows=4)
    source = (ctypes.c_ubyte * len(padded)).from_buffer_copy(padded)
    assert pack_rows(source, 12, 8, 4) == wanted


def test_pack_rows_tight_pitch_is_one_slice() -> None:
    data = bytes(range(48))
    assert pack_rows(data + b"extra", 16, 16, 3) == data
    assert pack_rows(data, 16, 16, 0) == b""


@pytest.mark.parametrize(
    ("size", "pitch", "row_bytes", "rows"),
    [(100, 8, 12, 2), (30, 16, 16, 2), (47, 16, 16, 3), (10, 4, -4, 1)],
)
def test_pack_rows_refuses_an_impossible_layout(
    size: int, pitch: int, row_bytes: int, rows: int
) -> None:
    with pytest.raises(ValueError):
        pack_rows(bytes(size), pitch, row_bytes, rows)


def test_rect_intersection() -> None:
    a = Rect(0, 0, 100, 50)
    assert a.intersect(Rect(90, 40, 20, 20)) == Rect(90, 40, 10, 10)
    assert a.intersect(Rect(-10, -10, 500, 500)) == a
    assert a.intersect(Rect(100, 0, 10, 10)) is None  # touching edges share no pixel
    assert a.intersect(Rect(0, 50, 10, 10)) is None


def _frame(rect: Rect, seed: int) -> bytes:
    return bytes(
        (seed + x * 3 + y * 5 + c) % 256 for y in range(rect.height) for x in range(rect.width)
        for c in range(4)
    )  # fmt: skip


def _pixel(data: bytes, rect: Rect, x: int, y: int) -> bytes:
    offset = ((y - rect.y) * rect.width + (x - rect.x)) * 4
    return data[offset : offset + 4]


def test_blit_cuts_a_rectangle_across_two_outputs() -> None:
    """Two monitors side by side, the second one taller and starting lower; the area
    spans both and a gap that must stay black."""
    left, right = Rect(0, 0, 8, 6), Rect(8, 2, 5, 7)
    left_frame, right_frame = _frame(left, 1), _frame(right, 100)
    area = Rect(5, 1, 6, 4)
    target = bytearray(area.width * area.height * 4)
    blit(target, area, left_frame, left)
    blit(target, area, right_frame, right)
    for y in range(area.y, area.y + area.height):
        for x in range(area.x, area.x + area.width):
            got = _pixel(bytes(target), area, x, y)
            if x < 8:
                assert got == _pixel(left_frame, left, x, y), (x, y)
            elif y >= 2:
                assert got == _pixel(right_frame, right, x, y), (x, y)
            else:
                assert got == b"\0\0\0\0", (x, y)  # no monitor there


def test_blit_outside_changes_nothing_and_checks_sizes() -> None:
    frame_rect = Rect(0, 0, 4, 4)
    target = bytearray(16)
    blit(target, Rect(10, 10, 2, 2), _frame(frame_rect, 7), frame_rect)
    assert target == bytearray(16)
    with pytest.raises(ValueError, match="frame size"):
        blit(target, Rect(0, 0, 2, 2), b"\0" * 12, frame_rect)
    with pytest.raises(ValueError, match="target size"):
        blit(bytearray(15), Rect(0, 0, 2, 2), _frame(frame_rect, 7), frame_rect)


def test_hresult_text_names_known_codes() -> None:
    assert hresult_text(0x887A0027) == "0x887A0027 (DXGI_ERROR_WAIT_TIMEOUT)"
    assert hresult_text(-2147467263) == "0x80004001 (E_NOTIMPL)"  # as a signed HRESULT
    assert hresult_text(0x887A0026) == "0x887A0026 (DXGI_ERROR_ACCESS_LOST)"
    assert hresult_text(0x80071234) == "0x80071234"
    assert failed(0x887A0027) and failed(-2147467263) and not failed(0) and not failed(1)


def test_com_error_message_names_the_call() -> None:
    exc = ComError("IDXGIOutput1::DuplicateOutput", 0x80004001)
    assert str(exc) == "IDXGIOutput1::DuplicateOutput failed: 0x80004001 (E_NOTIMPL)"
    assert exc.hresult == 0x80004001


def test_dxgi_refuses_off_windows() -> None:
    with pytest.raises(BackendUnavailable, match="needs Windows"):
        DxgiCapturer()


def test_backend_names() -> None:
    assert set(NAMES) == {"x11", "windows", "dxgi", "auto"}
    assert auto_order() == ("x11",)  # on Linux; ("dxgi", "windows") on Windows


def test_auto_opens_x11_here_without_a_fallback_line(
    x_display: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="guruconnect.agent.desktop.capture"):
        capturer = open_capturer("auto", x_display)
    try:
        assert isinstance(capturer, X11Capturer)
        assert not caplog.records
    finally:
        capturer.close()


def test_auto_gives_every_reason_when_nothing_opens() -> None:
    with pytest.raises(BackendUnavailable, match=r"no capture backend opens here: x11: "):
        open_capturer("auto", ":987654")  # no such display
