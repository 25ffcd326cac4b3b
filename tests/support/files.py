"""File-transfer helpers: an agent with file roots, a browser-like files socket client,
and big test files made fast (random blocks repeated, never sparse)."""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from websockets.sync.client import ClientConnection

from guruconnect.protocol import encode
from guruconnect.protocol.codec import decode_files_browser_outbound
from guruconnect.protocol.files import (
    CHUNK_BYTES,
    DEFAULT_WINDOW,
    FileError,
    TransferDone,
    UploadAck,
    UploadBegin,
    UploadChunk,
    UploadEnd,
    UploadReady,
)
from tests.support.agents import AgentProcess, create_token, enroll_agent
from tests.support.browser_socket import browser_socket
from tests.support.server import ServerProcess
from tests.support.users import SignedIn
from tests.support.wait import wait_for


def make_file(path: Path, size: int, seed: int = 0) -> str:
    """Write ``size`` bytes (4 MiB of random data repeated, each block stamped with its
    index so no two blocks are equal) and return the SHA-256."""
    block = os.urandom(4 * 1024 * 1024)
    digest = hashlib.sha256()
    with path.open("wb") as out:
        written, n = 0, 0
        while written < size:
            chunk = (n.to_bytes(8, "big") + seed.to_bytes(8, "big") + block[16:])[: size - written]
            out.write(chunk)
            digest.update(chunk)
            written += len(chunk)
            n += 1
    return digest.hexdigest()


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(4 * 1024 * 1024):
            digest.update(block)
    return digest.hexdigest()


@contextmanager
def files_agent(
    server: ServerProcess,
    admin: SignedIn,
    home: Path,
    roots: list[Path],
    preexec: Any = None,
) -> Iterator[AgentProcess]:
    """An enrolled agent whose file roots are ``roots``, running until the block ends."""
    config = home / "agent.json"
    done = enroll_agent(server.url, create_token(admin), config)
    assert done.returncode == 0, done.stderr
    data = json.loads(config.read_text())
    data["file_roots"] = [str(r) for r in roots]
    config.write_text(json.dumps(data))
    agent = AgentProcess(config)
    agent.start(preexec)
    try:
        wait_for(
            lambda: admin.client.get(f"/api/v1/machines/{agent.agent_id}").json()["online"],
            "the agent to come online",
        )
        yield agent
    finally:
        agent.stop()


def files_socket(server: ServerProcess, user: SignedIn | None, machine_id: str,
                 origin: str | None = None) -> ClientConnection:  # fmt: skip
    return browser_socket(server, f"/ws/files/{machine_id}", user, origin, max_size=None)


def recv(ws: ClientConnection, timeout: float = 30) -> Any:
    return decode_files_browser_outbound(ws.recv(timeout=timeout))


def request(ws: ClientConnection, message: Any, timeout: float = 30) -> Any:
    ws.send(encode(message))
    while True:
        reply = recv(ws, timeout)
        if getattr(reply, "id", None) == message.id:
            return reply


def upload(
    ws: ClientConnection,
    local: Path,
    remote: str,
    *,
    request_id: int = 1,
    conflict: str = "ask",
    window: int = DEFAULT_WINDOW,
    stop_at: int | None = None,
    mkdirs: bool = False,
) -> Any:
    """Upload like the browser does (credit window, hash at the end). Returns the last
    reply: TransferDone or FileError; with ``stop_at``, returns after sending that
    many bytes (the caller then cuts the connection)."""
    size = local.stat().st_size
    ready = request(
        ws,
        UploadBegin(id=request_id, path=remote, size=size, conflict=conflict,  # type: ignore[arg-type]
                    mkdirs=mkdirs),
    )  # fmt: skip
    if not isinstance(ready, UploadReady):
        return ready
    digest = hashlib.sha256()
    acked = sent = ready.offset
    with local.open("rb") as f:
        done = 0
        while done < ready.offset:  # hash the part the agent already has
            block = f.read(min(4 * 1024 * 1024, ready.offset - done))
            digest.update(block)
            done += len(block)
        while sent < size:
            if stop_at is not None and sent >= stop_at:
                return ready
            while sent - acked >= window:
                reply = recv(ws)
                if isinstance(reply, UploadAck):
                    acked = reply.offset
                elif isinstance(reply, FileError):
                    return reply
            data = f.read(CHUNK_BYTES)
            digest.update(data)
            ws.send(encode(UploadChunk(id=request_id, offset=sent, data=data)))
            sent += len(data)
    ws.send(encode(UploadEnd(id=request_id, sha256=digest.hexdigest())))
    while True:
        reply = recv(ws, 120)
        if isinstance(reply, TransferDone | FileError):
            return reply


def audit_entries(
    admin: SignedIn, machine_id: str, action: str, count: int = 1
) -> list[dict[str, Any]]:
    """The machine's ``action`` audit entries, newest first, once there are ``count``."""
    found: list[dict[str, Any]] = []

    def ready() -> bool:
        nonlocal found
        r = admin.client.get(f"/api/v1/machines/{machine_id}/audit")
        found = [e for e in r.json()["entries"] if e["action"] == action]
        return len(found) >= count

    wait_for(ready, f"{count} {action} audit entries")
    return found


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


class PeakRss:
    """Samples processes' resident memory while the block runs; ``growth[pid]`` is the
    peak above the value at entry. A transfer that buffered the whole file would grow
    by the file's size; a streaming one stays flat."""

    def __init__(self, *pids: int, interval: float = 0.02) -> None:
        self.pids = pids
        self.interval = interval
        self.start: dict[int, int] = {}
        self.peak: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(self.interval):
            for pid in self.pids:
                self.peak[pid] = max(self.peak[pid], rss_bytes(pid))

    def __enter__(self) -> PeakRss:
        self.start = {pid: rss_bytes(pid) for pid in self.pids}
        self.peak = dict(self.start)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)

    @property
    def growth(self) -> dict[int, int]:
        return {pid: self.peak[pid] - self.start[pid] for pid in self.pids}
