"""One remote-desktop session: the media socket, from MediaHello to close.

    connect wss://server/ws/media (TLS pinned like the agent's own socket)
    -> MediaHello(session, token)  -> Monitors  -> frames ...
    <- StreamSettings, KeyframeRequest, PointerInput, KeyInput, ReleaseAll
    <-> clipboard items; <- TypeText/TypeCancel, -> TypeProgress (clipboard/sync, typing)

Ends when the socket closes or ``stop`` is set; every key and button still held is
released first, and temporary keyboard remaps are undone.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import urllib.parse
from typing import Any

import msgspec
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

import guruconnect
from guruconnect.agent.config import AgentConfig
from guruconnect.agent.desktop._backends import BackendUnavailable
from guruconnect.agent.desktop.capture import CaptureBackend, Capturer, open_capturer
from guruconnect.agent.desktop.clipboard import Clipboard, ClipboardBackendName, open_clipboard
from guruconnect.agent.desktop.clipboard.sync import ClipboardSync
from guruconnect.agent.desktop.control import InputController
from guruconnect.agent.desktop.encode import available_codecs
from guruconnect.agent.desktop.input import InputBackend, InputInjector, open_injector
from guruconnect.agent.desktop.stream import FrameProducer, Streamer
from guruconnect.agent.desktop.typing import Typist
from guruconnect.agent.tls import PinMismatch, check_pin, client_context
from guruconnect.agent.urls import ServerAddress
from guruconnect.protocol import CloseCode, ProtocolError, encode
from guruconnect.protocol.clipboard import (
    ClipboardAck,
    ClipboardChunk,
    ClipboardError,
    ClipboardOffer,
    ClipboardRequest,
    TypeCancel,
    TypeText,
)
from guruconnect.protocol.codec import decode_to_worker
from guruconnect.protocol.desktop import (
    MAX_MEDIA_FRAME_BYTES,
    KeyframeRequest,
    KeyInput,
    MediaHello,
    Monitors,
    PointerInput,
    ReleaseAll,
    StreamSettings,
    TileFrame,
    VideoFrame,
)

log = logging.getLogger("guruconnect.agent.desktop")

MEDIA_PATH = "/ws/media"
WRITE_LIMIT = 64 * 1024  # send() waits until the socket buffer is below this


def media_url(server: ServerAddress) -> str:
    return urllib.parse.urlsplit(server.websocket_url)._replace(path=MEDIA_PATH).geturl()


class Session:
    """The running parts of one session, also usable without a socket (tests, bench)."""

    def __init__(
        self, capturer: Capturer, injector: InputInjector, clipboard: Clipboard | None = None
    ) -> None:
        self.capturer = capturer
        self.injector = injector
        self.clipboard = clipboard
        self.monitors = capturer.monitors()
        self.controller = InputController(injector, self.monitors)
        self.producer = FrameProducer(capturer)

    def close(self) -> None:
        try:
            self.controller.release_all()
        finally:
            try:
                self.injector.close()
            finally:
                self.producer.close()
                self.capturer.close()
                if self.clipboard is not None:
                    self.clipboard.close()


async def run_worker(
    cfg: AgentConfig,
    session_id: str,
    token: bytes,
    *,
    capture: CaptureBackend,
    input_backend: InputBackend,
    display: str | None = None,
    stop: asyncio.Event | None = None,
    clipboard_backend: ClipboardBackendName | None = "x11",
) -> None:
    """Serve one session until the socket closes or ``stop`` is set. Raises on failure."""
    stop = stop or asyncio.Event()
    capturer = open_capturer(capture, display)
    try:
        injector = open_injector(input_backend, display)
    except BaseException:
        capturer.close()
        raise
    clipboard: Clipboard | None = None
    if clipboard_backend is not None:
        try:
            clipboard = open_clipboard(clipboard_backend, display)
        except BackendUnavailable as exc:  # the session still works, without clipboard
            log.warning("no clipboard in this session: %s", exc)
    session = Session(capturer, injector, clipboard)
    try:
        await _connect_and_serve(cfg, session_id, token, session, stop)
    finally:
        session.close()
        t = session.producer.timings
        log.info(
            "session %s ended: %d frames, %d bytes; input %d applied, %d clamped, %d failed",
            session_id, t.frames, t.bytes, session.controller.stats.applied,
            session.controller.stats.clamped, session.controller.stats.failed,
        )  # fmt: skip


async def _connect_and_serve(
    cfg: AgentConfig, session_id: str, token: bytes, session: Session, stop: asyncio.Event
) -> None:
    server = cfg.server
    options: dict[str, Any] = {}
    if server.secure:
        options["ssl"] = client_context()
    async with connect(
        media_url(server),
        max_size=MAX_MEDIA_FRAME_BYTES,
        write_limit=WRITE_LIMIT,
        open_timeout=10,
        ping_interval=20,
        ping_timeout=20,
        compression=None,  # frames are compressed already
        user_agent_header=f"guruconnect-agent/{guruconnect.__version__}",
        **options,
    ) as ws:
        if server.secure:
            try:
                check_pin(ws.transport.get_extra_info("ssl_object"), cfg.server_fingerprint)
            except PinMismatch:
                ws.transport.abort()
                raise
        try:
            await serve(ws, session_id, token, session, stop)
        except ProtocolError as exc:
            await ws.close(exc.code, exc.reason)
            raise


async def serve(
    ws: ClientConnection, session_id: str, token: bytes, session: Session, stop: asyncio.Event
) -> None:
    """Hello, monitors, then frames out and input in, until the socket or ``stop`` ends it."""
    await ws.send(encode(MediaHello(session_id=session_id, token=token, codecs=available_codecs())))
    await ws.send(encode(Monitors(monitors=session.monitors)))

    async def send(message: VideoFrame | TileFrame) -> None:
        await ws.send(encode(message))

    async def send_message(message: msgspec.Struct) -> None:
        await ws.send(encode(message))

    streamer = Streamer(
        session.producer, session.monitors, send, lambda: session.controller.input_seq
    )
    typist = Typist(session.injector, send_message)
    clip = ClipboardSync(session.clipboard, send_message) if session.clipboard else None
    tasks = [
        asyncio.create_task(streamer.run()),
        asyncio.create_task(_receive(ws, session, streamer, typist, clip)),
        asyncio.create_task(stop.wait()),
    ]
    if clip is not None:
        tasks.append(asyncio.create_task(clip.run()))
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await typist.close()
    # Keys first: whatever ended the session, nothing stays pressed on the remote side.
    session.controller.release_all()
    for task in done:
        if task.cancelled():
            continue
        exc = task.exception()
        if isinstance(exc, ConnectionClosed):
            return
        if exc is not None:
            raise exc
    with contextlib.suppress(ConnectionClosed):
        await ws.close(CloseCode.NORMAL, "desktop session ended")


async def _receive(
    ws: ClientConnection,
    session: Session,
    streamer: Streamer,
    typist: Typist,
    clip: ClipboardSync | None,
) -> None:
    async for frame in ws:
        message = decode_to_worker(frame)
        if isinstance(message, TypeText):
            typist.start(message)
        elif isinstance(message, TypeCancel):
            typist.cancel(message.job)
        elif isinstance(message, ClipboardAck):
            if clip is not None:
                clip.ack(message)
        elif isinstance(message, ClipboardOffer | ClipboardChunk | ClipboardRequest):
            if clip is None:
                if not isinstance(message, ClipboardChunk):
                    reason = "The clipboard is not available on this machine."
                    await ws.send(encode(ClipboardError(
                        transfer=getattr(message, "transfer", 0), message=reason,
                        request=getattr(message, "request", 0))))  # fmt: skip
            elif isinstance(message, ClipboardOffer):
                await clip.offer(message)
            elif isinstance(message, ClipboardChunk):
                await clip.chunk(message)
            else:
                clip.request_soon(message)
        elif isinstance(message, PointerInput | KeyInput | ReleaseAll):
            session.controller.apply(message)
        elif isinstance(message, StreamSettings):
            streamer.update(message)
        elif isinstance(message, KeyframeRequest):
            streamer.request_keyframe()
