"""Receiving an upload: ``<name>.part`` first, renamed over the target only once the
SHA-256 of everything written matches the sender's.

Lifecycle (an illegal step raises TransferError("protocol")):

    begin -> RECEIVING --chunk*--> --finish(sha ok)--> DONE (renamed into place)
                 |                  \\--finish(sha bad)--> FAILED (.part removed)
                 |--disk full / denied / size limit--> FAILED (.part kept: resume later)
                 \\--cancel--> CANCELLED (.part removed); dropped connection: .part kept

So a half-written file is only ever called ``<name>.part``: never left looking complete.
Blocking file calls; the channel runs them in a thread.
"""

from __future__ import annotations

import contextlib
import enum
import errno
import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING

from guruconnect.agent.files.paths import PathRefused, Roots, part_path, renamed, resolve
from guruconnect.agent.files.read_at import read_at
from guruconnect.protocol.files import Conflict, Entry, ErrorCode

if TYPE_CHECKING:
    from hashlib import _Hash

HASH_BLOCK = 4 * 1024 * 1024


class TransferError(Exception):
    def __init__(self, code: ErrorCode, message: str, existing: Entry | None = None) -> None:
        super().__init__(message)
        self.code: ErrorCode = code
        self.message = message
        self.existing = existing


def os_error(exc: OSError, what: str) -> TransferError:
    """The technician's version of an OSError: what happened, and what is left behind."""
    if exc.errno == errno.ENOSPC or exc.errno == errno.EDQUOT:
        return TransferError("no_space", f"{what}: the disk is full")
    if exc.errno == errno.EFBIG:
        return TransferError("too_large", f"{what}: file size limit reached on the machine")
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return TransferError("denied", f"{what}: permission denied")
    if exc.errno == errno.ENOENT:
        return TransferError("not_found", f"{what}: no such file or folder")
    if exc.errno in (errno.EISDIR, errno.ENOTDIR):
        return TransferError("not_a_file", f"{what}: not a regular file")
    return TransferError("io", f"{what}: {exc.strerror or exc}")


def refused(exc: PathRefused) -> TransferError:
    return TransferError("bad_path", str(exc))


class State(enum.Enum):
    RECEIVING = "receiving"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


class Upload:
    def __init__(self, target: Path, size: int, fd: int, offset: int, hasher: _Hash) -> None:
        self.target = target
        self.part = part_path(target)
        self.size = size
        self.fd = fd
        self.offset = offset
        self.hasher = hasher
        self.state = State.RECEIVING

    @classmethod
    def begin(cls, path: str, size: int, conflict: Conflict, mkdirs: bool, roots: Roots) -> Upload:
        """Check the target, settle a name conflict, and open (or resume) the .part file."""
        try:
            if mkdirs:
                parent = resolve(os.path.dirname(path) or path, roots, must_exist=False)
                parent.mkdir(parents=True, exist_ok=True)
                # mkdir may have followed nothing but the checked path; check again.
                resolve(str(parent), roots)
            target = resolve(path, roots, must_exist=False)
        except PathRefused as exc:
            raise refused(exc) from exc
        except OSError as exc:
            raise os_error(exc, f"cannot create the folder for {path}") from exc
        if os.path.isdir(target):
            raise TransferError("not_a_file", f"{target} is a folder")
        if os.path.lexists(target):
            if conflict == "ask":
                st = os.stat(target)
                existing = Entry(name=target.name, kind="file", size=st.st_size, mtime=st.st_mtime)
                raise TransferError("exists", f"{target.name} already exists", existing)
            if conflict == "rename":
                try:
                    target = renamed(target)
                except PathRefused as exc:
                    raise refused(exc) from exc
        part = part_path(target)
        hasher = hashlib.sha256()
        try:
            flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_BINARY", 0)
            flags |= getattr(os, "O_NOFOLLOW", 0)  # a .part planted as a symlink is refused
            fd = os.open(part, flags, 0o644)
        except OSError as exc:
            raise os_error(exc, f"cannot write {part}") from exc
        try:
            offset = os.fstat(fd).st_size
            if offset > size:
                os.ftruncate(fd, 0)
                offset = 0
            # Resume: the hash covers the whole file, so read what is already there.
            done = 0
            while done < offset:
                block = read_at(fd, min(HASH_BLOCK, offset - done), done)
                if not block:
                    break
                hasher.update(block)
                done += len(block)
            offset = done
            os.lseek(fd, offset, os.SEEK_SET)
        except OSError as exc:
            os.close(fd)
            raise os_error(exc, f"cannot read {part}") from exc
        return cls(target, size, fd, offset, hasher)

    def write(self, offset: int, data: bytes) -> int:
        if self.state is not State.RECEIVING:
            raise TransferError("protocol", f"upload is {self.state.value}")
        if offset != self.offset:
            raise TransferError("protocol", f"chunk at {offset}, expected {self.offset}")
        if self.offset + len(data) > self.size:
            raise TransferError("protocol", "more data than the announced size")
        try:
            view = memoryview(data)
            while view:
                written = os.write(self.fd, view)
                view = view[written:]
        except OSError as exc:
            # Whatever reached the disk stays in .part, measured again on resume.
            self._close(State.FAILED)
            raise os_error(
                exc, f"writing {self.target.name} stopped at {self.offset} bytes; "
                f"{self.part.name} is kept to resume"
            ) from exc  # fmt: skip
        self.hasher.update(data)
        self.offset += len(data)
        return self.offset

    def finish(self, sha256: str) -> str:
        """Rename into place if complete and the hash matches; the hex digest."""
        if self.state is not State.RECEIVING:
            raise TransferError("protocol", f"upload is {self.state.value}")
        if self.offset != self.size:
            raise TransferError("protocol", f"upload ended at {self.offset} of {self.size} bytes")
        digest: str = self.hasher.hexdigest()
        if digest != sha256:
            self._close(State.FAILED)
            with contextlib.suppress(OSError):
                os.unlink(self.part)
            raise TransferError(
                "hash_mismatch",
                f"SHA-256 mismatch for {self.target.name}: received {digest}, sent {sha256}; "
                "the partial file was removed",
            )
        try:
            os.fsync(self.fd)
            self._close(State.DONE)
            os.replace(self.part, self.target)
        except OSError as exc:
            self.state = State.FAILED
            raise os_error(exc, f"cannot move {self.part.name} into place") from exc
        return digest

    def cancel(self) -> None:
        """The technician cancelled: nothing of this upload stays behind."""
        if self.state is State.RECEIVING:
            self._close(State.CANCELLED)
            with contextlib.suppress(OSError):
                os.unlink(self.part)

    def abandon(self) -> None:
        """The connection dropped: keep the .part so the next attempt resumes."""
        if self.state is State.RECEIVING:
            self._close(State.FAILED)

    def _close(self, state: State) -> None:
        self.state = state
        with contextlib.suppress(OSError):
            os.close(self.fd)
