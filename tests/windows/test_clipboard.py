"""A clipboard round trip through win32clipboard, as another program would see it."""

from __future__ import annotations

import struct
import threading
from pathlib import Path

import win32clipboard

from guruconnect.agent.desktop.clipboard import copied_files, open_clipboard

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


def _explorer_copies(paths: list[str]) -> None:
    """What Explorer puts on the clipboard for Ctrl+C on files: CF_HDROP, a DROPFILES
    header (pFiles=20, fWide=1) then the paths in UTF-16, each NUL-ended, and one more NUL."""
    header = struct.pack("<IiiII", 20, 0, 0, 0, 1)
    names = "".join(p + "\0" for p in paths) + "\0"
    win32clipboard.OpenClipboard()
    try:
        win32clipboard.EmptyClipboard()
        win32clipboard.SetClipboardData(
            win32clipboard.CF_HDROP, header + names.encode("utf-16-le")
        )
    finally:
        win32clipboard.CloseClipboard()


def test_files_copied_in_explorer_are_offered_with_kinds_and_sizes(tmp_path: Path) -> None:
    folder = tmp_path / "Prüfung Q3"
    folder.mkdir()
    report = folder / "Bericht 50% #1.txt"
    report.write_bytes(b"x" * 1234)
    paths = [str(report), str(folder)]
    clipboard = open_clipboard("windows")
    try:
        _explorer_copies(paths)
        item = clipboard.read()
        assert item is not None and "files" in item, item
        assert copied_files.paths_from_uri_list(item["files"]) == paths
        offered = copied_files.describe(copied_files.paths_from_uri_list(item["files"]))
        assert offered is not None
        assert [(f.path, f.kind, f.size) for f in offered.files] == [
            (str(report), "file", 1234), (str(folder), "dir", 0)
        ]
    finally:
        clipboard.close()
