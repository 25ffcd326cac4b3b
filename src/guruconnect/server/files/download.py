"""GET /api/v1/machines/{id}/files/download?path=...: a file from the machine, streamed.

A plain HTTP download, so the browser's own download manager saves multi-GB files to
disk and resumes them: ``Range: bytes=N-`` (with ``If-Range`` against the ETag, which
changes with the file's size and modification time) continues at N. The body streams
from the agent's files socket chunk by chunk; each chunk handed to the client returns
credit to the agent (DownloadAck), so the server holds at most ``window`` bytes.
"""

from __future__ import annotations

import logging
import re
import urllib.parse
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from email.utils import formatdate
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.responses import StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import Receive, Send
from starlette.types import Scope as AsgiScope
from starlette.websockets import WebSocketDisconnect

from guruconnect.protocol import ProtocolError, encode
from guruconnect.protocol.codec import decode_files_reply
from guruconnect.protocol.files import (
    DownloadAck,
    DownloadBegin,
    DownloadChunk,
    DownloadReady,
    FileError,
    TransferDone,
)
from guruconnect.server.auth.deps import require
from guruconnect.server.auth.principal import Principal
from guruconnect.server.auth.roles import Scope
from guruconnect.server.db.deps import DB
from guruconnect.server.db.models import Machine
from guruconnect.server.files import audit
from guruconnect.server.files.channel import AgentUnavailable, Channel
from guruconnect.server.files.tracking import DownloadTracker
from guruconnect.server.http.websocket import receive_frame
from guruconnect.server.state import AppState, get_state

log = logging.getLogger("guruconnect.files")
router = APIRouter(prefix="/api/v1")

REPLY_TIMEOUT = 60.0
PROGRESS_EVERY = 0.25
_RANGE = re.compile(r"^bytes=(\d+)-(\d*)$")
ERROR_STATUS = {
    "bad_path": status.HTTP_400_BAD_REQUEST,
    "not_found": status.HTTP_404_NOT_FOUND,
    "not_a_file": status.HTTP_400_BAD_REQUEST,
    "denied": status.HTTP_403_FORBIDDEN,
    "protocol": status.HTTP_416_RANGE_NOT_SATISFIABLE,
}

FilesUser = Annotated[Principal, Depends(require(Scope.MACHINES_FILES))]


def _range(request: Request) -> tuple[int, int | None] | None:
    header = request.headers.get("range")
    if not header:
        return None
    match = _RANGE.match(header.strip())
    if match is None:
        raise HTTPException(status.HTTP_416_RANGE_NOT_SATISFIABLE, "one byte range only")
    end = int(match[2]) if match[2] else None
    return int(match[1]), end


async def open_machine(
    state: AppState, db: AsyncSession, principal: Principal, machine_id: str
) -> tuple[Machine, Channel]:
    """The machine, if the caller's companies include it, and a files socket to its agent."""
    machine = await db.get(Machine, machine_id[:64])
    if machine is None or not principal.sees_company(machine.company):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such machine")
    try:
        return machine, await state.files.open(state.presence, machine.id)
    except AgentUnavailable as exc:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(exc)) from exc


async def reply(channel: Channel) -> object:
    return decode_files_reply(await receive_frame(channel.ws, REPLY_TIMEOUT))


async def _begin(channel: Channel, path: str, offset: int) -> DownloadReady:
    await channel.send(encode(DownloadBegin(id=1, path=path, offset=offset)))
    ready = await reply(channel)
    if isinstance(ready, FileError):
        code = ERROR_STATUS.get(ready.code, status.HTTP_502_BAD_GATEWAY)
        raise HTTPException(code, ready.message)
    if not isinstance(ready, DownloadReady):
        raise HTTPException(status.HTTP_502_BAD_GATEWAY, "unexpected answer from the agent")
    return ready


@router.get("/machines/{machine_id}/files/download")
async def download_file(
    request: Request,
    machine_id: str,
    principal: FilesUser,
    db: DB,
    path: Annotated[str, Query(min_length=1, max_length=4096)],
    transfer: Annotated[str, Query(pattern=r"^[A-Za-z0-9_-]{8,64}$")] = "",
) -> StreamingResponse:
    state = get_state(request)
    log.info("%s requests %s from %s (range %s)", principal.username, path, machine_id,
             request.headers.get("range", "none"))  # fmt: skip
    machine, channel = await open_machine(state, db, principal, machine_id)
    try:
        wanted = _range(request)  # If-Range is checked once the ETag is known
        ready = await _begin(channel, path, wanted[0] if wanted else 0)
        etag = f'"{ready.size:x}-{int(ready.mtime * 1e6):x}"'
        if wanted and request.headers.get("if-range") not in (None, etag):
            # The file changed since the part the client has: send it whole.
            wanted = None
            channel.finish()
            channel = await state.files.open(state.presence, machine.id)
            ready = await _begin(channel, path, 0)
        offset = wanted[0] if wanted else 0
        end = ready.size - 1
        if wanted and wanted[1] is not None:
            end = min(end, wanted[1])
        if wanted and (offset >= ready.size > 0 or end < offset):
            raise HTTPException(status.HTTP_416_RANGE_NOT_SATISFIABLE, "bad range")
    except AgentUnavailable as exc:
        channel.finish()
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(exc)) from exc
    except BaseException:
        channel.finish()
        raise
    name = ready.path.replace("\\", "/").rsplit("/", 1)[-1] or "download"
    headers = {
        "accept-ranges": "bytes",
        "etag": etag,
        "last-modified": formatdate(ready.mtime, usegmt=True),
        "content-length": str(end - offset + 1 if ready.size else 0),
        "content-disposition": f"attachment; filename*=UTF-8''{urllib.parse.quote(name)}",
        "cache-control": "no-store",
    }
    code = status.HTTP_200_OK
    if wanted:
        code = status.HTTP_206_PARTIAL_CONTENT
        headers["content-range"] = f"bytes {offset}-{end}/{ready.size}"
    record = audit.Transfer("download", ready.path, ready.size, offset=offset, via="http")
    tracker = DownloadTracker(state, principal, machine.id, channel, record, transfer)
    body = _stream(tracker, end + 1)

    async def never_started() -> None:
        await audit.record(state, principal, machine.id, record, "cancelled",
                           reason="the client left before the first byte")  # fmt: skip

    return ReleasingResponse(
        channel, never_started, body, status_code=code, headers=headers,
        media_type="application/octet-stream",
    )  # fmt: skip


class ReleasingResponse(StreamingResponse):
    """Releases the agent's files socket even when the body never starts (the client
    went away right after the headers): the generator's own cleanup then never runs."""

    def __init__(
        self,
        channel: Channel,
        never_started: Callable[[], Awaitable[None]],
        body: AsyncGenerator[bytes, None],
        **kwargs: Any,
    ) -> None:
        super().__init__(self._tracked(body), **kwargs)
        self.channel = channel
        self.never_started = never_started
        self.started = False

    async def _tracked(self, body: AsyncGenerator[bytes, None]) -> AsyncIterator[bytes]:
        self.started = True
        try:
            async for block in body:
                yield block
        finally:
            await body.aclose()

    async def __call__(self, scope: AsgiScope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.channel.finish()
            if not self.started:
                await self.never_started()


async def _stream(tracker: DownloadTracker, stop_at: int) -> AsyncGenerator[bytes, None]:
    channel, record = tracker.channel, tracker.record
    outcome: audit.Outcome = "failed"
    reason = "the browser stopped the download"
    try:
        while tracker.position < stop_at:
            answer = await reply(channel)
            if isinstance(answer, DownloadChunk):
                data = answer.data[: stop_at - tracker.position]
                yield data
                await tracker.moved(len(data))
                await channel.send(encode(DownloadAck(id=1, offset=tracker.position)))
            elif isinstance(answer, TransferDone):
                tracker.digest = answer.sha256
                break
            elif isinstance(answer, FileError):
                reason = f"{answer.code}: {answer.message}"
                raise RuntimeError(reason)
        if not tracker.digest and stop_at == record.size:
            answer = await reply(channel)
            if isinstance(answer, TransferDone):
                tracker.digest = answer.sha256
        outcome = "completed"
        reason = "" if stop_at == record.size else f"range ended at {stop_at}"
    except (ProtocolError, WebSocketDisconnect, RuntimeError) as exc:
        if tracker.cancelled:
            outcome, reason = "cancelled", "cancelled by the technician"
        elif isinstance(exc, ProtocolError | WebSocketDisconnect):
            reason = "the agent's connection ended"
        raise
    finally:
        await tracker.ended(outcome, reason)
