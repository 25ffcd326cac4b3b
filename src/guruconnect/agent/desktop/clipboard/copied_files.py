"""Files copied in a file manager, as the clipboard offers them (``text/uri-list``, or
GNOME's ``x-special/gnome-copied-files`` with a leading "copy"/"cut" line; on Windows,
Explorer's CF_HDROP, which the Windows backend hands over as the same URI list), turned
into a ClipboardFiles message: absolute local paths with their kind and size.

Only paths travel; the technician fetches the files through the file download endpoints,
which check machines:files and the agent's file roots, and audit each transfer.
"""

from __future__ import annotations

import os
import re
import stat
import sys
import urllib.parse
from collections.abc import Sequence

from guruconnect.protocol.clipboard import MAX_COPIED_FILES, ClipboardFiles, CopiedFile

MAX_PATH = 4096
_DRIVE = re.compile(r"/[A-Za-z]:/")  # file:///C:/Users/... (RFC 8089)


def uri_list(paths: Sequence[str]) -> bytes:
    """Windows paths (CF_HDROP) as a URI list; UNC paths, which name another host, are
    left out, as paths_from_uri_list would."""
    slashed = ("/" + path.replace("\\", "/") for path in paths)
    uris = ["file://" + urllib.parse.quote(p, safe="/:") for p in slashed if _DRIVE.match(p)]
    return "\r\n".join(uris).encode("ascii")


def paths_from_uri_list(data: bytes, windows: bool = sys.platform == "win32") -> list[str]:
    """The local paths in a URI list; other schemes, remote hosts and oddities are left out.
    ``windows``: drive paths (``/C:/x``) become ``C:\\x``; POSIX ones are left out."""
    lines = [line.strip() for line in data.decode("utf-8", "replace").splitlines()]
    if lines and lines[0] in ("copy", "cut"):
        lines = lines[1:]
    paths: list[str] = []
    for line in lines:
        if not line or line.startswith("#"):  # RFC 2483 comments
            continue
        uri = urllib.parse.urlsplit(line)
        if uri.scheme != "file" or uri.netloc not in ("", "localhost"):
            continue
        path = urllib.parse.unquote(uri.path)
        if windows:
            if not _DRIVE.match(path):
                continue
            path = path[1:].replace("/", "\\")
        elif not path.startswith("/"):
            continue
        if "\x00" not in path and len(path) <= MAX_PATH:
            paths.append(path)
    return paths


def describe(paths: Sequence[str]) -> ClipboardFiles | None:
    """What each path is now (files and folders; gone or special ones are dropped)."""
    files: list[CopiedFile] = []
    for path in paths[:MAX_COPIED_FILES]:
        try:
            info = os.stat(path)
        except OSError:
            continue
        if stat.S_ISDIR(info.st_mode):
            files.append(CopiedFile(path=path, kind="dir"))
        elif stat.S_ISREG(info.st_mode):
            files.append(CopiedFile(path=path, kind="file", size=info.st_size))
    if not files:
        return None
    return ClipboardFiles(files=files, truncated=len(paths) > MAX_COPIED_FILES)
