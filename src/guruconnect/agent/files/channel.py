"""One files socket: the agent side of a browser's file panel, or of one HTTP download.

FilesOpen on the control socket makes the agent open ``/ws/files-agent`` (TLS pinned
like its own socket) from its own process: file I/O and hashlib need no heavy imports,
and the screen stream never waits behind a file. Requests are served in order; disk
work runs in a thread so the socket keeps reading. Downloads send while they have
credit (``window`` bytes past the last DownloadAck).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import urllib.parse
from typing import Any, Literal

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

import guruconnect
from guruconnect.agent.config import AgentConfig
from guruconnect.agent.files import listing
from guruconnect.agent.files.paths import WINDOWS, PathRefused, Roots, resolve
from guruconnect.agent.files.receive import TransferError, Upload, os_error, refused
from guruconnect.agent.files.send import Download
from guruconnect.agent.files.writer import Writer
from guruconnect.agent.tls import PinMismatch, check_pin, client_context
from guruconnect.protocol import ProtocolError, encode
from guruconnect.protocol.codec import decode_files_request
from guruconnect.protocol.files import (
    MAX_FILES_FRAME_BYTES,
    Cancel,
    DownloadAck,
    DownloadBegin,
    DownloadChunk,
    DownloadReady,
    FileError,
    FilesHello,
    ListDir,
    Listing,
    ListRoots,
    TransferDone,
    UploadAck,
    UploadBegin,
    UploadChunk,
    UploadEnd,
    UploadReady,
    Walk,
    WalkResult,
)
from guruconnect.protocol.files import (
    Roots as RootsReply,
)

log = logging.getLogger("guruconnect.agent.files")
# websockets logs every frame at DEBUG; for 1 MiB file chunks that costs ~5% of the
# agent's CPU in a transfer and says nothing useful, so this socket logs from INFO up.
frames_log = logging.getLogger("guruconnect.agent.files.frames")
frames_log.setLevel(logging.INFO)

FILES_PATH = "/ws/files-agent"
WRITE_LIMIT = 2 * 1024 * 1024


def files_url(cfg: AgentConfig) -> str:
    return urllib.parse.urlsplit(cfg.server.websocket_url)._replace(path=FILES_PATH).geturl()


class _Sending:
    """A download in flight: the reader task and its credit."""

    def __init__(self, download: Download, window: int) -> None:
        self.download = download
        self.window = window
        self.acked = download.offset
        self.credit = asyncio.Event()
        self.credit.set()
        self.task: asyncio.Task[None] | None = None


class FilesChannel:
    def __init__(self, ws: ClientConnection, roots: Roots) -> None:
        self.ws = ws
        self.roots = roots
        self.uploads: dict[int, Writer] = {}
        self.downloads: dict[int, _Sending] = {}

    async def serve(self) -> None:
        try:
            async for frame in self.ws:
                message = decode_files_request(frame)
                try:
                    await self._handle(message)
                except TransferError as exc:
                    await self._fail(message.id, exc)
        finally:
            for writer in list(self.uploads.values()):
                await writer.stop()
                await asyncio.to_thread(writer.upload.abandon)
            tasks = []
            for sending in list(self.downloads.values()):
                if sending.task is None:
                    sending.download.close()
                else:  # the task closes its file once a read in progress is done
                    sending.task.cancel()
                    tasks.append(sending.task)
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _handle(self, message: Any) -> None:
        if isinstance(message, UploadChunk):
            writer = self._upload(message.id)
            try:
                await writer.put(message.offset, message.data)
            except TransferError:
                self.uploads.pop(message.id, None)
                await writer.stop()
                await asyncio.to_thread(writer.upload.abandon)
                raise
        elif isinstance(message, DownloadAck):
            sending = self.downloads.get(message.id)
            if sending is not None:
                sending.acked = max(sending.acked, message.offset)
                sending.credit.set()
        elif isinstance(message, ListRoots):
            roots = listing.list_roots(self.roots)
            sep: Literal["/", "\\"] = "\\" if WINDOWS else "/"
            await self.ws.send(encode(RootsReply(id=message.id, roots=roots, separator=sep)))
        elif isinstance(message, ListDir):
            folder = self._resolve(message.path)
            try:
                entries, cut = await asyncio.to_thread(listing.list_dir, folder)
            except OSError as exc:
                raise os_error(exc, f"cannot list {folder}") from exc
            reply = Listing(id=message.id, path=str(folder), entries=entries, truncated=cut)
            await self.ws.send(encode(reply))
        elif isinstance(message, Walk):
            folder = self._resolve(message.path)
            if not folder.is_dir():  # os.walk of a file is silently empty
                raise TransferError("not_a_file", f"{folder}: not a folder")
            files, dirs, cut = await asyncio.to_thread(listing.walk, folder)
            await self.ws.send(
                encode(
                    WalkResult(
                        id=message.id, path=str(folder), files=files, dirs=dirs, truncated=cut
                    )
                )
            )
        elif isinstance(message, UploadBegin):
            await self._begin_upload(message)
        elif isinstance(message, UploadEnd):
            writer = self._upload(message.id)
            del self.uploads[message.id]
            if not await writer.drain():
                return  # the failed write was reported (FileError) by the writer
            upload = writer.upload
            digest = await asyncio.to_thread(upload.finish, message.sha256)
            log.info("received %s (%d bytes, sha256 %s)", upload.target, upload.size, digest)
            await self.ws.send(encode(TransferDone(id=message.id, size=upload.size, sha256=digest)))
        elif isinstance(message, DownloadBegin):
            await self._begin_download(message)
        elif isinstance(message, Cancel):
            cancelled = self.uploads.pop(message.id, None)
            if cancelled is not None:
                await cancelled.stop()
                await asyncio.to_thread(cancelled.upload.cancel)
            sending = self.downloads.pop(message.id, None)
            if sending is not None and sending.task is not None:
                sending.task.cancel()
            raise TransferError("cancelled", "cancelled by the technician")

    def _resolve(self, path: str) -> Any:
        try:
            return resolve(path, self.roots)
        except PathRefused as exc:
            raise refused(exc) from exc
        except FileNotFoundError as exc:
            raise TransferError("not_found", f"{path}: no such file or folder") from exc

    def _upload(self, request_id: int) -> Writer:
        upload = self.uploads.get(request_id)
        if upload is None:
            raise TransferError("protocol", f"no upload {request_id} in progress")
        return upload

    async def _begin_upload(self, message: UploadBegin) -> None:
        if message.id in self.uploads or message.id in self.downloads:
            raise TransferError("protocol", f"request id {message.id} is in use")
        upload = await asyncio.to_thread(
            Upload.begin, message.path, message.size, message.conflict, message.mkdirs, self.roots
        )
        request_id = message.id

        async def ack(offset: int) -> None:
            with contextlib.suppress(ConnectionClosed):
                await self.ws.send(encode(UploadAck(id=request_id, offset=offset)))

        async def fail(exc: TransferError) -> None:
            self.uploads.pop(request_id, None)
            await self._fail(request_id, exc)

        self.uploads[message.id] = Writer(upload, ack, fail)
        await self.ws.send(
            encode(UploadReady(id=message.id, path=str(upload.target), offset=upload.offset))
        )

    async def _begin_download(self, message: DownloadBegin) -> None:
        if message.id in self.uploads or message.id in self.downloads:
            raise TransferError("protocol", f"request id {message.id} is in use")
        download = await asyncio.to_thread(Download.open, message.path, message.offset, self.roots)
        sending = _Sending(download, message.window)
        self.downloads[message.id] = sending
        await self.ws.send(
            encode(
                DownloadReady(
                    id=message.id, path=str(download.path), size=download.size, mtime=download.mtime
                )
            )
        )
        sending.task = asyncio.create_task(self._send(message.id, sending))

    async def _send(self, request_id: int, sending: _Sending) -> None:
        download = sending.download
        loop = asyncio.get_running_loop()
        ahead: asyncio.Future[bytes] | None = None
        try:
            offset = download.offset
            ahead = loop.run_in_executor(None, download.read)
            while True:
                data = await ahead
                ahead = None
                if not data:
                    break
                while offset - sending.acked >= sending.window:
                    sending.credit.clear()
                    await sending.credit.wait()
                # Read (and hash) the next chunk while this one goes out.
                ahead = loop.run_in_executor(None, download.read)
                await self.ws.send(encode(DownloadChunk(id=request_id, offset=offset, data=data)))
                offset += len(data)
            digest = download.hasher.hexdigest()
            await self.ws.send(
                encode(TransferDone(id=request_id, size=download.size, sha256=digest))
            )
            log.info("sent %s (%d bytes, sha256 %s)", download.path, download.size, digest)
        except TransferError as exc:
            await self._fail(request_id, exc)
        except ConnectionClosed:
            pass
        finally:
            if ahead is not None:
                # A read in progress finishes before its file is closed under it.
                await asyncio.wait([ahead])
                if not ahead.cancelled():
                    ahead.exception()  # retrieved: the transfer already ended
            download.close()
            self.downloads.pop(request_id, None)

    async def _fail(self, request_id: int, exc: TransferError) -> None:
        log.info("file request %d failed: %s (%s)", request_id, exc.message, exc.code)
        with contextlib.suppress(ConnectionClosed):
            await self.ws.send(
                encode(
                    FileError(id=request_id, code=exc.code, message=exc.message,
                              existing=exc.existing)
                )
            )  # fmt: skip


async def run_channel(cfg: AgentConfig, session_id: str, token: bytes) -> None:
    """Connect, say hello with the one-time token, serve until the server closes."""
    options: dict[str, Any] = {}
    if cfg.server.secure:
        options["ssl"] = client_context()
    async with connect(
        files_url(cfg),
        max_size=MAX_FILES_FRAME_BYTES,
        write_limit=WRITE_LIMIT,
        open_timeout=10,
        ping_interval=20,
        ping_timeout=60,
        compression=None,  # file data is often compressed already; deflate costs CPU
        logger=frames_log,
        user_agent_header=f"guruconnect-agent/{guruconnect.__version__}",
        **options,
    ) as ws:
        if cfg.server.secure:
            try:
                check_pin(ws.transport.get_extra_info("ssl_object"), cfg.server_fingerprint)
            except PinMismatch:
                ws.transport.abort()
                raise
        await ws.send(encode(FilesHello(session_id=session_id, token=token)))
        channel = FilesChannel(ws, Roots.from_config(cfg.file_roots))
        try:
            await channel.serve()
        except ProtocolError as exc:
            log.warning("closing files socket: %s (%d)", exc.reason, exc.code)
            await ws.close(exc.code, exc.reason)


class FilesChannels:
    """The agent's open files sockets; each outlives a dropped control socket."""

    def __init__(self, cfg: AgentConfig) -> None:
        self.cfg = cfg
        self.tasks: set[asyncio.Task[None]] = set()
        if hasattr(signal, "SIGXFSZ"):
            # Past a file size limit, a write should fail with EFBIG (a clear error
            # for the technician) instead of the signal killing the whole agent.
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)

    def open(self, session_id: str, token: bytes) -> None:
        task = asyncio.create_task(self._run(session_id, token))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _run(self, session_id: str, token: bytes) -> None:
        try:
            await run_channel(self.cfg, session_id, token)
        except ConnectionClosed:
            pass
        except (OSError, TimeoutError, PinMismatch) as exc:
            log.warning("files session %s: %s", session_id, exc)
        except Exception:
            log.exception("files session %s failed", session_id)

    async def close_all(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
