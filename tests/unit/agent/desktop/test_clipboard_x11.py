"""The X11 clipboard backend against a real Xvfb, with xclip as the other application."""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterator

import pytest

from guruconnect.agent.desktop.clipboard import Item, open_clipboard
from guruconnect.agent.desktop.clipboard._x11_serve import INCR_THRESHOLD
from guruconnect.agent.desktop.clipboard.x11 import X11Clipboard
from tests.support.system import ensure_command
from tests.support.wait import wait_for

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201e5274fde0000000049454e44ae426082"
)


@pytest.fixture
def xclip(x_display: str) -> str:
    return ensure_command("xclip", "xclip")


@pytest.fixture
def clipboard(x_display: str) -> Iterator[X11Clipboard]:
    board = open_clipboard("x11", x_display)
    assert isinstance(board, X11Clipboard)
    yield board
    board.close()


def xclip_out(xclip: str, display: str, target: str) -> bytes:
    return subprocess.run(
        [xclip, "-o", "-selection", "clipboard", "-t", target, "-display", display],
        capture_output=True, check=True, timeout=10,
    ).stdout  # fmt: skip


def xclip_in(xclip: str, display: str, target: str, data: bytes) -> subprocess.Popen[bytes]:
    """xclip owns the clipboard with ``data`` (it forks and serves until replaced)."""
    proc = subprocess.Popen(
        [xclip, "-i", "-selection", "clipboard", "-t", target, "-display", display, "-quiet"],
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    assert proc.stdin is not None
    proc.stdin.write(data)
    proc.stdin.close()
    return proc


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    proc.wait(10)


def test_serves_every_format_to_another_application(
    clipboard: X11Clipboard, xclip: str, x_display: str
) -> None:
    html = "<b>gras</b> é".encode()
    clipboard.set({"text": "héllo 😀".encode(), "html": html, "png": PNG})
    targets = xclip_out(xclip, x_display, "TARGETS").decode().split()
    assert {"TARGETS", "UTF8_STRING", "text/html", "image/png"} <= set(targets), targets
    assert xclip_out(xclip, x_display, "UTF8_STRING") == "héllo 😀".encode()
    assert xclip_out(xclip, x_display, "text/html") == html
    assert xclip_out(xclip, x_display, "image/png") == PNG


def test_large_item_goes_by_incr(clipboard: X11Clipboard, xclip: str, x_display: str) -> None:
    big = bytes(range(256)) * ((3 * INCR_THRESHOLD) // 256 + 7)
    clipboard.set({"png": big})
    assert xclip_out(xclip, x_display, "image/png") == big


def test_remote_copies_are_reported_and_our_own_are_not(
    clipboard: X11Clipboard, xclip: str, x_display: str
) -> None:
    copies: list[Item] = []
    errors: list[str] = []
    seen = threading.Event()

    def on_copy(item: Item) -> None:
        copies.append(item)
        seen.set()

    clipboard.watch(on_copy, errors.append)
    clipboard.set({"text": b"for the technician"})
    proc = xclip_in(xclip, x_display, "text/html", b"<i>remote</i>")
    try:
        wait_for(lambda: seen.is_set(), "the remote copy to be reported")
        assert copies == [{"html": b"<i>remote</i>"}], copies
        # What the technician set never came back as a copy.
        assert all(b"technician" not in c.get("text", b"") for c in copies)
        # The technician sets again: still no report; then a large remote copy (INCR).
        clipboard.set({"text": b"second"})
        big = b"x" * (3 * INCR_THRESHOLD)
        proc2 = xclip_in(xclip, x_display, "UTF8_STRING", big)
        try:
            wait_for(lambda: len(copies) >= 2, "the large remote copy")
            assert copies[1] == {"text": big}
            assert len(copies) == 2 and not errors
        finally:
            stop(proc2)
    finally:
        stop(proc)


def test_read_returns_none_for_our_own_item(
    clipboard: X11Clipboard, xclip: str, x_display: str
) -> None:
    clipboard.set({"text": b"secret of technician A"})
    assert clipboard.read() is None
    proc = xclip_in(xclip, x_display, "UTF8_STRING", "à distance".encode())
    try:
        wait_for(lambda: clipboard.read() is not None, "xclip to own the clipboard")
        assert clipboard.read() == {"text": "à distance".encode()}
    finally:
        stop(proc)


def test_a_file_managers_copy_reads_as_files_only(
    clipboard: X11Clipboard, xclip: str, x_display: str
) -> None:
    uri_list = b"file:///srv/a.txt\r\nfile:///srv/logs\r\n"
    proc = xclip_in(xclip, x_display, "text/uri-list", uri_list)
    try:
        wait_for(lambda: clipboard.read() is not None, "xclip to own the clipboard")
        assert clipboard.read() == {"files": uri_list}
    finally:
        stop(proc)
