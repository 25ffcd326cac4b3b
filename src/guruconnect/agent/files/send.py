"""Sending a download: a regular file read in chunks from ``offset``, hashed whole.

The SHA-256 always covers the whole file: on a resumed download (offset > 0) the part
the receiver already has is read and hashed locally first, which costs disk reads but
no network. Blocking file calls; the channel runs them in a thread.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING

from guruconnect.agent.files.paths import PathRefused, Roots, resolve
from guruconnect.agent.files.read_at import read_at
from guruconnect.agent.files.receive import HASH_BLOCK, TransferError, os_error, refused
from guruconnect.protocol.files import CHUNK_BYTES

if TYPE_CHECKING:
    from hashlib import _Hash


class Download:
    def __init__(self, path: Path, fd: int, size: int, mtime: float, offset: int) -> None:
        self.path = path
        self.fd = fd
        self.size = size
        self.mtime = mtime
        self.offset = offset
        self.hasher: _Hash = hashlib.sha256()
        self.closed = False

    @classmethod
    def open(cls, path: str, offset: int, roots: Roots) -> Download:
        try:
            resolved = resolve(path, roots)
        except PathRefused as exc:
            raise refused(exc) from exc
        except FileNotFoundError as exc:
            raise TransferError("not_found", f"{path}: no such file") from exc
        try:
            flags = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOFOLLOW", 0)
            fd = os.open(resolved, flags)
        except OSError as exc:
            raise os_error(exc, f"cannot read {resolved}") from exc
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            os.close(fd)
            raise TransferError("not_a_file", f"{resolved} is not a regular file")
        if offset > st.st_size:
            os.close(fd)
            raise TransferError("protocol", f"offset {offset} is past the end ({st.st_size})")
        download = cls(resolved, fd, st.st_size, st.st_mtime, offset)
        try:
            done = 0
            while done < offset:
                block = read_at(fd, min(HASH_BLOCK, offset - done), done)
                if not block:
                    raise TransferError("io", f"{resolved} shrank while being read")
                download.hasher.update(block)
                done += len(block)
        except OSError as exc:
            download.close()
            raise os_error(exc, f"cannot read {resolved}") from exc
        return download

    def read(self) -> bytes:
        """The next chunk; b"" at the end."""
        want = min(CHUNK_BYTES, self.size - self.offset)
        if want <= 0:
            return b""
        try:
            data = read_at(self.fd, want, self.offset)
        except OSError as exc:
            raise os_error(exc, f"reading {self.path} stopped at {self.offset} bytes") from exc
        if not data:
            raise TransferError("io", f"{self.path} shrank while being read")
        self.hasher.update(data)
        self.offset += len(data)
        return data

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            with contextlib.suppress(OSError):
                os.close(self.fd)
