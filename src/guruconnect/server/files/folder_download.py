"""GET /api/v1/machines/{id}/files/download-folder?path=...: a folder as one ZIP archive.

The agent walks the folder once; each file then comes over the same files socket with
the same credit window as a single download, straight into the archive's stream, so the
server holds about one window whatever the folder's size. A file that can't be opened
(gone, locked, denied) doesn't stop the archive: it is listed with the reason in
``UNREADABLE.txt`` at the archive's root. A file that fails half-way ends the download
with an error instead, since a truncated member would pass for the whole file. There is
no Range resume: the archive is made on the fly.
"""

from __future__ import annotations

import logging
import re
import urllib.parse
from collections import defaultdict, deque
from collections.abc import AsyncGenerator
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.responses import StreamingResponse
from starlette.websockets import WebSocketDisconnect

from guruconnect.protocol import ProtocolError, encode
from guruconnect.protocol.files import (
    DEFAULT_WINDOW,
    MAX_ENTRIES,
    DownloadAck,
    DownloadBegin,
    DownloadChunk,
    DownloadReady,
    FileError,
    TransferDone,
    Walk,
    WalkResult,
)
from guruconnect.server.db.deps import DB
from guruconnect.server.files import audit
from guruconnect.server.files.channel import Channel
from guruconnect.server.files.download import (
    ERROR_STATUS,
    FilesUser,
    ReleasingResponse,
    open_machine,
    reply,
)
from guruconnect.server.files.tracking import DownloadTracker
from guruconnect.server.files.zipstream import ZipStream
from guruconnect.server.state import get_state

log = logging.getLogger("guruconnect.files")
router = APIRouter(prefix="/api/v1")

UNREADABLE = "UNREADABLE.txt"
# Files asked for ahead of the one being archived: at most this many, and at most this
# many announced bytes, which is all that can pile up here (the agent's window per file
# allows more, but a file is only asked for ahead when it fits).
AHEAD_FILES = 32
AHEAD_BYTES = DEFAULT_WINDOW
_WINDOWS_PATH = re.compile(r"^([A-Za-z]:\\|\\\\)")


async def _walk(channel: Channel, path: str) -> WalkResult:
    await channel.send(encode(Walk(id=1, path=path)))
    walked = await reply(channel)
    if isinstance(walked, FileError):
        code = ERROR_STATUS.get(walked.code, status.HTTP_502_BAD_GATEWAY)
        raise HTTPException(code, walked.message)
    if not isinstance(walked, WalkResult):
        raise HTTPException(status.HTTP_502_BAD_GATEWAY, "unexpected answer from the agent")
    if walked.truncated:
        raise HTTPException(
            status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            f"the folder holds more than {MAX_ENTRIES} files and folders: "
            "download its subfolders one at a time",
        )
    return walked


@router.get("/machines/{machine_id}/files/download-folder")
async def download_folder(
    request: Request,
    machine_id: str,
    principal: FilesUser,
    db: DB,
    path: Annotated[str, Query(min_length=1, max_length=4096)],
    transfer: Annotated[str, Query(pattern=r"^[A-Za-z0-9_-]{8,64}$")] = "",
) -> StreamingResponse:
    state = get_state(request)
    log.info("%s requests folder %s from %s", principal.username, path, machine_id)
    machine, channel = await open_machine(state, db, principal, machine_id)
    try:
        walked = await _walk(channel, path)
    except BaseException:
        channel.finish()
        raise
    name = re.split(r"[\\/]", walked.path.rstrip("\\/"))[-1].rstrip(":") or "folder"
    total = sum(f.size for f in walked.files)
    record = audit.Transfer("download", walked.path, total, via="zip")
    tracker = DownloadTracker(state, principal, machine.id, channel, record, transfer)

    async def never_started() -> None:
        await tracker.ended("cancelled", "the client left before the first byte")

    headers = {
        "content-disposition": f"attachment; filename*=UTF-8''{urllib.parse.quote(name)}.zip",
        "cache-control": "no-store",
    }
    return ReleasingResponse(
        channel, never_started, _archive(tracker, walked, name), headers=headers,
        media_type="application/zip",
    )  # fmt: skip


class _Replies:
    """The agent's answers for the files in flight, handed out per request id in the
    order the archive needs them (answers for files begun ahead wait here)."""

    def __init__(self, channel: Channel) -> None:
        self.channel = channel
        self.waiting: dict[int, deque[object]] = defaultdict(deque)
        self.expected: set[int] = set()  # request ids asked for

    async def next(self, request_id: int) -> object:
        queue = self.waiting.get(request_id)
        if queue:
            return queue.popleft()
        while True:
            answer = await reply(self.channel)
            answer_id = getattr(answer, "id", None)
            if answer_id == request_id:
                return answer
            if not isinstance(answer_id, int) or answer_id not in self.expected:
                raise RuntimeError("unexpected answer from the agent")
            self.waiting[answer_id].append(answer)


async def _archive(
    tracker: DownloadTracker, walked: WalkResult, name: str
) -> AsyncGenerator[bytes, None]:
    channel = tracker.channel
    separator = "\\" if _WINDOWS_PATH.match(walked.path) else "/"
    base = walked.path.rstrip("\\/") + separator
    archive = ZipStream()
    replies = _Replies(channel)
    files = list(enumerate(walked.files, start=2))
    begun = 0  # files[:begun] have been asked for
    ahead_bytes = 0  # announced sizes of files asked for and not yet archived

    async def ask_ahead(current: int) -> None:
        # Small files cost a round trip each: ask for the next ones while this one
        # streams, as long as what may pile up here stays within one window.
        nonlocal begun, ahead_bytes
        while begun < len(files) and (
            begun <= current
            or (begun - current < AHEAD_FILES and ahead_bytes + files[begun][1].size <= AHEAD_BYTES)
        ):
            request_id, file = files[begun]
            remote = base + file.rel.replace("/", separator)
            replies.expected.add(request_id)
            await channel.send(encode(DownloadBegin(id=request_id, path=remote)))
            ahead_bytes += file.size
            begun += 1

    unreadable: list[str] = []
    outcome: audit.Outcome = "failed"
    reason = "the browser stopped the download"
    try:
        yield archive.folder(name)
        for folder in sorted(walked.dirs):
            yield archive.folder(f"{name}/{folder}")
        for index, (request_id, file) in enumerate(files):
            await ask_ahead(index)
            ready = await replies.next(request_id)
            if isinstance(ready, FileError):
                unreadable.append(f"{file.rel}: {ready.message}")
                ahead_bytes -= file.size
                continue
            if not isinstance(ready, DownloadReady):
                raise RuntimeError("unexpected answer from the agent")
            yield archive.begin(f"{name}/{file.rel}", ready.size, ready.mtime)
            received = 0
            while True:
                answer = await replies.next(request_id)
                if isinstance(answer, TransferDone):
                    break
                if isinstance(answer, FileError):
                    reason = f"{file.rel}: {answer.message}"
                    raise RuntimeError(reason)
                if isinstance(answer, DownloadChunk):
                    # The size at open is what goes in: a file growing meanwhile (a log)
                    # still gives a consistent member.
                    data = answer.data[: ready.size - received]
                    received += len(answer.data)
                    if data:
                        yield archive.data(data)
                        await tracker.moved(len(data))
                    await channel.send(encode(DownloadAck(id=request_id, offset=received)))
            yield archive.end()
            ahead_bytes -= file.size
        if unreadable:
            listing = "These files could not be read:\n" + "\n".join(unreadable) + "\n"
            yield archive.text(f"{name}/{UNREADABLE}", listing)
        yield archive.close()
        outcome = "completed"
        reason = f"{len(unreadable)} files could not be read" if unreadable else ""
    except (ProtocolError, WebSocketDisconnect, RuntimeError) as exc:
        if tracker.cancelled:
            outcome, reason = "cancelled", "cancelled by the technician"
        elif isinstance(exc, ProtocolError | WebSocketDisconnect):
            reason = "the agent's connection ended"
        raise
    finally:
        await tracker.ended(outcome, reason)
