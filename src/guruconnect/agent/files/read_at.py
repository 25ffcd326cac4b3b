"""Reading a file at an offset on every platform: Windows has no ``os.pread``."""

from __future__ import annotations

import os
import sys


def read_at(fd: int, size: int, offset: int) -> bytes:
    if sys.platform == "win32":
        # Each descriptor here has one reader at a time, so moving its position is safe.
        os.lseek(fd, offset, os.SEEK_SET)
        return os.read(fd, size)
    return os.pread(fd, size, offset)
