"""A ZIP archive written as a stream of byte blocks, never held whole.

``zipfile`` writes to an unseekable file with data descriptors (sizes and CRC after each
member's data), which is what a streamed HTTP body needs; this adapter hands out what it
wrote so far. Members are stored, not deflated: most of what technicians fetch (logs
aside) is already compressed, and the relay's CPU is shared by every session. ZIP64
records are used as needed, so members and archives over 4 GiB work.
"""

from __future__ import annotations

import time
import zipfile
from typing import IO

# zipfile refuses a member that outgrows what it announced without ZIP64 headers; an
# announced size this large (or more) makes the member ZIP64 from the start.
_ZIP64_FROM = 1 << 30


class _Sink:
    """The "file" zipfile writes to: it has no position, so zipfile streams."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def tell(self) -> int:
        raise OSError("unseekable")

    def take(self) -> bytes:
        data = b"".join(self.parts)
        self.parts.clear()
        return data


def _date_time(mtime: float) -> tuple[int, int, int, int, int, int]:
    # ZIP dates start in 1980 and have no time zone: local time, as unzip tools expect.
    stamp = time.localtime(max(mtime, 315532800.0))
    return stamp[:6]


class ZipStream:
    def __init__(self) -> None:
        self._sink = _Sink()
        self._zip = zipfile.ZipFile(self._sink, "w", zipfile.ZIP_STORED)  # type: ignore[call-overload]
        self._member: IO[bytes] | None = None

    def folder(self, name: str, mtime: float = 0.0) -> bytes:
        info = zipfile.ZipInfo(name.rstrip("/") + "/", _date_time(mtime or time.time()))
        info.external_attr = (0o40755 << 16) | 0x10  # a directory, for Unix and Windows
        self._zip.writestr(info, b"")
        return self._sink.take()

    def begin(self, name: str, size: int, mtime: float) -> bytes:
        """Start a member of (about) ``size`` bytes; returns its header."""
        if self._member is not None:
            raise RuntimeError("the previous member is still open")
        info = zipfile.ZipInfo(name, _date_time(mtime))
        info.external_attr = 0o100644 << 16
        info.file_size = size
        self._member = self._zip.open(info, "w", force_zip64=size >= _ZIP64_FROM)
        return self._sink.take()

    def data(self, block: bytes) -> bytes:
        if self._member is None:
            raise RuntimeError("no member is open")
        self._member.write(block)
        return self._sink.take()

    def end(self) -> bytes:
        """Close the member; returns its data descriptor."""
        if self._member is None:
            raise RuntimeError("no member is open")
        self._member.close()
        self._member = None
        return self._sink.take()

    def text(self, name: str, content: str) -> bytes:
        self._zip.writestr(zipfile.ZipInfo(name, _date_time(time.time())), content.encode())
        return self._sink.take()

    def close(self) -> bytes:
        """The central directory: the archive's last bytes."""
        self._zip.close()
        return self._sink.take()
