"""A clipboard round trip through win32clipboard, as another program would see it."""

from __future__ import annotations

import threading

import win32clipboard

from guruconnect.agent.desktop.clipboard import open_clipboard

TEXT = "Grüße 😀 from the technician\r\nline two"
HTML = "<b>bold</b> & <i>ünïcode</i>".encode()


def _other_program_reads() -> str:
    win32clipboard.OpenClipboard()
    try:
        return str(win32clipboard.GetClipboardData(win32clipboard.CF_UNICODETEXT))
    finally:
        win32clipboard.CloseClipboard()


def _other_program_copies(text: str) -> None:
    win32clipboard.OpenClipboard()
    try:
        win32clipboard.EmptyClipboard()
        win32clipboard.SetClipboardData(win32clipboard.CF_UNICODETEXT, text)
    finally:
        win32clipboard.CloseClipboard()


def test_set_is_seen_by_other_programs_and_not_reported_back() -> None:
    clipboard = open_clipboard("windows")
    try:
        clipboard.set({"text": TEXT.encode(), "html": HTML})
        assert _other_program_reads() == TEXT
        assert clipboard.read() is None  # ours: never handed to anyone else
    finally:
        clipboard.close()


def test_a_remote_copy_is_read_and_watched() -> None:
    clipboard = open_clipboard("windows")
    copies: list[dict[str, bytes]] = []
    seen = threading.Event()

    def on_copy(item: dict[str, bytes]) -> None:
        copies.append(dict(item))
        seen.set()

    try:
        clipboard.watch(on_copy, lambda message: None)
        _other_program_copies("copied on the remote side ✓")
        assert seen.wait(10), "the watcher did not report the copy"
        assert copies[0]["text"] == "copied on the remote side ✓".encode()
        assert clipboard.read() == {"text": "copied on the remote side ✓".encode()}
    finally:
        clipboard.close()


def test_html_round_trip() -> None:
    clipboard = open_clipboard("windows")
    try:
        clipboard.set({"html": HTML})
        html_format = win32clipboard.RegisterClipboardFormat("HTML Format")
        win32clipboard.OpenClipboard()
        try:
            raw = bytes(win32clipboard.GetClipboardData(html_format))
        finally:
            win32clipboard.CloseClipboard()
        assert raw.startswith(b"Version:0.9") and HTML in raw
        _other_program_copies("x")  # someone else owns it now, then puts our html back
        win32clipboard.OpenClipboard()
        try:
            win32clipboard.EmptyClipboard()
            win32clipboard.SetClipboardData(html_format, raw)
        finally:
            win32clipboard.CloseClipboard()
        assert clipboard.read() == {"html": HTML}
    finally:
        clipboard.close()
