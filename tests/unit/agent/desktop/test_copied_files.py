"""A file manager's copy, read off the clipboard as a URI list, becomes ClipboardFiles."""

from __future__ import annotations

import os
from pathlib import Path

from guruconnect.agent.desktop.clipboard.copied_files import describe, paths_from_uri_list, uri_list
from guruconnect.protocol.clipboard import MAX_COPIED_FILES


def test_uri_lists_and_gnome_copies_give_local_paths() -> None:
    uri_list = (
        b"# a comment\r\nfile:///home/ann/report%20%C3%BC.pdf\r\n"
        b"file://localhost/srv/logs\r\nhttp://example.com/x\r\nfile://otherhost/etc/passwd\r\n"
        b"file:///bad%00name\r\n\r\n"
    )
    assert paths_from_uri_list(uri_list) == ["/home/ann/report ü.pdf", "/srv/logs"]
    assert paths_from_uri_list(b"copy\nfile:///a\nfile:///b") == ["/a", "/b"]
    assert paths_from_uri_list(b"cut\nfile:///a") == ["/a"]
    assert paths_from_uri_list(b"\xff\xfe garbage") == []


def test_describe_gives_kinds_and_sizes_and_drops_the_rest(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes(b"abc")
    (tmp_path / "dir").mkdir()
    os.mkfifo(tmp_path / "pipe")
    files = describe([str(tmp_path / n) for n in ("a.txt", "dir", "pipe", "gone")])
    assert files is not None and not files.truncated
    assert [(f.path, f.kind, f.size) for f in files.files] == [
        (str(tmp_path / "a.txt"), "file", 3),
        (str(tmp_path / "dir"), "dir", 0),
    ]
    assert describe([str(tmp_path / "gone")]) is None
    many = describe([str(tmp_path / "a.txt")] * (MAX_COPIED_FILES + 1))
    assert many is not None and many.truncated and len(many.files) == MAX_COPIED_FILES


def test_windows_paths_round_trip_through_a_uri_list() -> None:
    """Explorer's CF_HDROP paths travel as a URI list and come back as the same paths on
    Windows; a UNC path (another host) is left out, and so are POSIX paths there."""
    paths = [r"C:\Users\Zoë\Desk top\50% off #1.txt", r"D:\Data", r"c:\x\東京.xlsx"]
    data = uri_list([*paths, r"\\fileserver\share\secret.doc"])
    assert b"fileserver" not in data
    assert paths_from_uri_list(data, windows=True) == paths
    assert paths_from_uri_list(b"file:///etc/passwd\r\nfile:///C:/ok.txt", windows=True) == [
        r"C:\ok.txt"
    ]
