"""Self-removal: after the session, the extracted files and the downloaded script go.

The bootstrap passes both paths (``--remove``). Each is checked before anything is
deleted, so a wrong path on the command line cannot remove someone's files: a directory
only if it carries the marker file the bootstrap wrote into it, a file only if it starts
with the support agent's own header.

``SelfRemoval.run`` is idempotent and never raises; the app calls it on every way out
(End button, the technician ending, the window closed, SIGTERM/SIGHUP/SIGINT), and
``atexit`` covers an unexpected exception. Only SIGKILL escapes it: then the files stay
in the temporary directory until the system cleans it.
"""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import stat
import threading
from pathlib import Path

log = logging.getLogger("guruconnect.agent.support")

# Written by the bootstrap into the directory it extracted (see server/support/bundle.py).
DIR_MARKER = ".guruconnect-support"
SCRIPT_MAGIC = b"#!/bin/sh\n# GuruConnect one-time support agent"


class RemovalRefused(Exception):
    """A path given for removal is not ours; the message says why."""


def check_removable(path: Path) -> Path:
    """The absolute path, if it is one of ours; else RemovalRefused."""
    path = Path(os.path.abspath(path))
    try:
        info = path.lstat()
    except FileNotFoundError:
        raise RemovalRefused(f"{path} does not exist") from None
    if stat.S_ISDIR(info.st_mode):
        if not (path / DIR_MARKER).is_file():
            raise RemovalRefused(
                f"{path} is not a directory the support agent extracted (no {DIR_MARKER})"
            )
        return path
    if stat.S_ISREG(info.st_mode):
        with path.open("rb") as f:
            head = f.read(len(SCRIPT_MAGIC))
        if head != SCRIPT_MAGIC:
            raise RemovalRefused(f"{path} is not a GuruConnect support agent script")
        return path
    raise RemovalRefused(f"{path} is neither a directory nor a regular file")


class SelfRemoval:
    def __init__(self, paths: list[Path]) -> None:
        self.paths = [check_removable(p) for p in paths]
        self._lock = threading.Lock()
        self._done = False
        atexit.register(self.run)

    def run(self) -> None:
        with self._lock:
            if self._done:
                return
            self._done = True
        for path in self.paths:
            try:
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path)
                else:
                    path.unlink(missing_ok=True)
            except OSError as exc:
                log.warning("could not remove %s: %s", path, exc.strerror or exc)
            else:
                log.info("removed %s", path)
