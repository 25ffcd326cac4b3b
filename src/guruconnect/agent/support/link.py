"""The one-time agent's link to the server: ``wss://server/ws/support``.

    connect (TLS, pin checked before anything of ours is sent)
    -> SupportHello(join_token, ...)   <- SupportWelcome(session, technician, history)
    then, until the session ends: Heartbeat every heartbeat_interval; the user's
    Consent / ChatSend / EndSession; ChatLine, TechnicianChanged, DesktopOpen/Close
    from the server; SessionEnded, after which the server closes the socket.

A lost connection is retried with backoff while the session lives (the same join token
joins again and the server replays the chat). A refused token, a wrong certificate or
an unsupported protocol version end the session for good: retrying cannot help.

Runs in the asyncio thread; the Tk thread talks to it only through ``submit`` / ``end``
(thread-safe) and hears from it only through the ``emit`` callback.
"""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import logging
import platform
import socket
from collections import deque
from collections.abc import Callable
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

import guruconnect
from guruconnect.agent.backoff import Backoff
from guruconnect.agent.connection import RESTART_CLOSE_CODES, ServerClosed, describe_failure
from guruconnect.agent.support.config import SupportConfig
from guruconnect.agent.support.desktop import ConsentRequired, SupportDesktop
from guruconnect.agent.support.state import (
    Connected,
    Connecting,
    DesktopActive,
    Disconnected,
    Event,
    Failed,
)
from guruconnect.agent.tls import PinMismatch, check_pin, client_context
from guruconnect.protocol import (
    MAX_FRAME_BYTES,
    SUPPORTED_VERSIONS,
    CloseCode,
    Heartbeat,
    HeartbeatAck,
    ProtocolError,
    encode,
)
from guruconnect.protocol.codec import decode_support_server
from guruconnect.protocol.desktop import DesktopClose, DesktopOpen
from guruconnect.protocol.support import (
    ChatLine,
    ChatSend,
    Consent,
    EndSession,
    SessionEnded,
    SupportHello,
    SupportWelcome,
    TechnicianChanged,
)

log = logging.getLogger("guruconnect.agent.support")

AGENT_VERSION = guruconnect.__version__
HANDSHAKE_TIMEOUT = 15.0
END_TIMEOUT = 5.0  # after EndSession, how long to wait for the server's SessionEnded
MIN_HEARTBEAT_INTERVAL = 1.0
Outgoing = Consent | ChatSend | EndSession

# Close codes after which reconnecting cannot help, with what the user is told.
FINAL_CLOSES = {
    CloseCode.AUTH_FAILED: "This support link is not valid any more. "
    "Ask your technician for a new code.",
    CloseCode.FORBIDDEN: "The server refused this support session.",
    CloseCode.VERSION_UNSUPPORTED: "This support agent is too old for the server. "
    "Download it again from the portal.",
}


def _machine_facts() -> tuple[str, str, str]:
    """hostname, OS description, user name: what the technician sees about the guest."""
    try:
        os_name = platform.freedesktop_os_release().get("PRETTY_NAME", "")
    except OSError:
        os_name = ""
    os_name = os_name or f"{platform.system()} {platform.release()}"
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry for this uid
        user = ""
    return socket.gethostname()[:256], os_name[:256], user[:256]


class SupportLink:
    def __init__(
        self,
        cfg: SupportConfig,
        desktop: SupportDesktop,
        emit: Callable[[Event], None],
        backoff: Backoff | None = None,
    ) -> None:
        self.cfg = cfg
        self.desktop = desktop
        self.emit = emit
        self.backoff = backoff or Backoff(base=0.5, maximum=cfg.max_backoff)
        self.consent: str = "pending"  # the user's answer, once given
        self.finished = False
        self._outbox: deque[Outgoing] = deque()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wakeup: asyncio.Event | None = None
        self._stop: asyncio.Event | None = None
        self._connected = False

    # --- called from the Tk thread ---------------------------------------------------

    def submit(self, message: Consent | ChatSend) -> None:
        self._call(self._queue, message)

    def end(self) -> None:
        """The user ends the session (End button, window closed, signal)."""
        self._call(self._end)

    def _call(self, fn: Callable[..., Any], *args: Any) -> None:
        if self._loop is None:
            return
        with contextlib.suppress(RuntimeError):  # the loop has already closed
            self._loop.call_soon_threadsafe(fn, *args)

    # --- the asyncio side --------------------------------------------------------------

    async def run(self) -> None:
        """Stay connected until the session ends; returns then (never raises for the
        network: every failure is reported through ``emit``)."""
        self._loop = asyncio.get_running_loop()
        self._wakeup = asyncio.Event()
        self._stop = asyncio.Event()
        reaper = asyncio.create_task(self.desktop.supervisor.reap_forever())
        try:
            await self._run()
        finally:
            reaper.cancel()
            await asyncio.gather(reaper, return_exceptions=True)
            await self.desktop.withdraw()

    async def _run(self) -> None:
        assert self._stop is not None
        attempt = 0
        while not self._stop.is_set() and not self.finished:
            self.emit(Connecting(attempt))
            attempt += 1
            session = asyncio.create_task(self._session())
            stopping = asyncio.create_task(self._stop.wait())
            await asyncio.wait({session, stopping}, return_when=asyncio.FIRST_COMPLETED)
            stopping.cancel()
            if not session.done():
                session.cancel()
                await asyncio.gather(session, return_exceptions=True)
                return
            exc = session.exception()
            if self.finished or self._stop.is_set():
                return
            final = _final_reason(exc)
            if final is not None:
                self.finished = True
                self.emit(Failed(final))
                return
            restarting = isinstance(exc, ServerClosed) and exc.code in RESTART_CLOSE_CODES
            delay = self.backoff.quick_delay() if restarting else self.backoff.next_delay()
            reason = describe_failure(exc) if exc is not None else None
            if reason is None:
                log.error("support link failed unexpectedly", exc_info=exc)
                reason = "connection failed"
            log.warning("%s; reconnecting in %.1fs", reason, delay)
            self.emit(Disconnected(_short_reason(exc), delay))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), delay)

    async def _session(self) -> None:
        options: dict[str, Any] = {}
        secure = self.cfg.server.secure
        if secure:
            options["ssl"] = client_context()
        try:
            async with connect(
                self.cfg.websocket_url,
                max_size=MAX_FRAME_BYTES,
                open_timeout=10,
                ping_interval=20,
                ping_timeout=20,
                user_agent_header=f"guruconnect-support-agent/{AGENT_VERSION}",
                **options,
            ) as ws:
                if secure:
                    try:
                        check_pin(
                            ws.transport.get_extra_info("ssl_object"), self.cfg.server_fingerprint
                        )
                    except PinMismatch:
                        ws.transport.abort()
                        raise
                try:
                    await self._converse(ws)
                except asyncio.CancelledError:
                    with contextlib.suppress(ConnectionClosed):
                        await ws.close(CloseCode.NORMAL, "support agent stopping")
                    raise
                except ProtocolError as exc:
                    await ws.close(exc.code, exc.reason)
                    raise
        except ConnectionClosed as exc:
            if exc.rcvd is None:
                raise ServerClosed(None, exc.sent.reason if exc.sent else "") from exc
            raise ServerClosed(exc.rcvd.code, exc.rcvd.reason) from exc
        finally:
            self._connected = False

    async def _converse(self, ws: ClientConnection) -> None:
        hostname, os_name, user = _machine_facts()
        hello = SupportHello(
            join_token=self.cfg.join_token,
            versions=list(SUPPORTED_VERSIONS),
            hostname=hostname,
            os=os_name,
            username=user,
            agent_version=AGENT_VERSION,
        )
        await ws.send(encode(hello))
        async with asyncio.timeout(HANDSHAKE_TIMEOUT):
            first = decode_support_server(await ws.recv())
        if isinstance(first, SessionEnded):  # the session is over already
            self._session_ended(first)
            return
        if not isinstance(first, SupportWelcome):
            raise ProtocolError(
                CloseCode.UNEXPECTED, f"expected SupportWelcome, got {type(first).__name__}"
            )
        if first.version not in SUPPORTED_VERSIONS:
            raise ProtocolError(
                CloseCode.VERSION_UNSUPPORTED, f"server chose unsupported version {first.version}"
            )
        self.backoff.reset()
        self._connected = True
        await self._reconcile_consent(ws, first)
        log.info("joined support session %s", first.session_id)
        self.emit(Connected(first))
        tasks = [
            asyncio.create_task(self._heartbeats(ws, first.heartbeat_interval)),
            asyncio.create_task(self._read(ws)),
            asyncio.create_task(self._write(ws)),
        ]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        for task in done:
            task.result()

    async def _reconcile_consent(self, ws: ClientConnection, welcome: SupportWelcome) -> None:
        """After a reconnect the server remembers the answer; a fresh local one (given
        while disconnected) is sent now. Consent messages still queued are then stale."""
        self._outbox = deque(m for m in self._outbox if not isinstance(m, Consent))
        if self.consent == "pending":
            await self._set_consent(welcome.consent)
        elif self.consent != welcome.consent:
            await ws.send(encode(Consent(allowed=self.consent == "allowed")))

    async def _set_consent(self, consent: str) -> None:
        self.consent = consent
        self.desktop.allowed = consent == "allowed"
        if consent != "allowed":
            await self.desktop.withdraw()
            self.emit(DesktopActive(False))

    async def _heartbeats(self, ws: ClientConnection, interval: float) -> None:
        seq = 0
        while True:
            await asyncio.sleep(max(MIN_HEARTBEAT_INTERVAL, interval))
            await ws.send(encode(Heartbeat(seq=seq)))
            seq += 1

    async def _read(self, ws: ClientConnection) -> None:
        async for frame in ws:
            message = decode_support_server(frame)  # validates even what we ignore
            if isinstance(message, ChatLine | TechnicianChanged):
                self.emit(message)
            elif isinstance(message, DesktopOpen):
                try:
                    self.desktop.open(message.session_id, message.token)
                except (ConsentRequired, ValueError) as exc:
                    log.warning("%s", exc)
                    continue
                self.emit(DesktopActive(True))
            elif isinstance(message, DesktopClose):
                self.desktop.close(message.session_id)
                self.emit(DesktopActive(self.desktop.active))
            elif isinstance(message, SessionEnded):
                self._session_ended(message)
                return
            elif isinstance(message, HeartbeatAck):
                continue
            else:
                raise ProtocolError(
                    CloseCode.UNEXPECTED, f"unexpected {type(message).__name__} after welcome"
                )
        raise ServerClosed(ws.close_code, ws.close_reason or "")

    async def _write(self, ws: ClientConnection) -> None:
        assert self._wakeup is not None
        while True:
            while self._outbox:
                message = self._outbox[0]
                await ws.send(encode(message))  # on failure it stays queued for the next link
                self._outbox.popleft()
            self._wakeup.clear()
            await self._wakeup.wait()

    def _session_ended(self, message: SessionEnded) -> None:
        log.info("session ended: %s", message.reason)
        self.finished = True
        self.emit(message)

    def _queue(self, message: Outgoing) -> None:
        if isinstance(message, Consent):
            if self.consent == "denied":  # Deny is final for the session
                return
            # Synchronously, so that a DesktopOpen answering this Consent finds it set.
            self.consent = "allowed" if message.allowed else "denied"
            self.desktop.allowed = message.allowed
            if not message.allowed:
                task = asyncio.get_running_loop().create_task(self._set_consent(self.consent))
                task.add_done_callback(_log_failure)
        self._outbox.append(message)
        assert self._wakeup is not None
        self._wakeup.set()

    def _end(self) -> None:
        assert self._stop is not None
        if self.finished:
            return
        if not self._connected:
            log.info("not connected: stopping at once")
            self.finished = True
            self._stop.set()
            return
        log.info("sending EndSession")
        self._queue(EndSession())
        # The server answers SessionEnded and closes; if it does not, stop anyway.
        asyncio.get_running_loop().call_later(END_TIMEOUT, self._stop.set)


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("consent change failed", exc_info=task.exception())


def _final_reason(exc: BaseException | None) -> str | None:
    if isinstance(exc, PinMismatch):
        return (
            "The server's certificate is not the one this support agent was made for; "
            "not connecting. Download the agent again from the portal."
        )
    if isinstance(exc, ServerClosed) and exc.code is not None:
        with contextlib.suppress(ValueError):
            return FINAL_CLOSES.get(CloseCode(exc.code))
    if isinstance(exc, InvalidStatus) and exc.response.status_code in (401, 403, 404):
        return FINAL_CLOSES[CloseCode.AUTH_FAILED]
    return None


def _short_reason(exc: BaseException | None) -> str:
    if isinstance(exc, ServerClosed):
        return "The connection to the server was lost"
    if isinstance(exc, OSError | TimeoutError):
        return "Cannot reach the support server"
    return "The connection failed"
