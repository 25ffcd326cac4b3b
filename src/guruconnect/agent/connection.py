"""The agent's permanent link to the server: connect, authenticate, report, reconnect.

    connect (TLS, pin checked before anything else is read or sent)
    <- ServerHello(challenge)   -> AgentHello(signature over the challenge)
    <- Welcome(intervals)       -> [MetadataUpdate] Inventory
    then, until the link drops: Heartbeat every heartbeat_interval, Inventory on
    change or every inventory_interval, and HeartbeatAcks read and checked;
    DesktopOpen / DesktopClose start and stop desktop worker processes (desktop.supervisor),
    which outlive a dropped link since they have their own socket; FilesOpen opens a
    files socket in this process (files.channel).

Every failure ends the connection and is retried after a jittered backoff; the agent
itself only stops when asked to.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus, WebSocketException

import guruconnect
from guruconnect.agent.backoff import Backoff
from guruconnect.agent.config import AgentConfig, ConfigError, load_config
from guruconnect.agent.desktop.supervisor import DesktopSupervisor
from guruconnect.agent.files.channel import FilesChannels
from guruconnect.agent.identity import sign
from guruconnect.agent.inventory import collect_inventory, idle_seconds, significant_fingerprint
from guruconnect.agent.tls import PinMismatch, check_pin, client_context
from guruconnect.protocol import (
    MAX_FRAME_BYTES,
    SUPPORTED_VERSIONS,
    AgentHello,
    CloseCode,
    Heartbeat,
    HeartbeatAck,
    Inventory,
    MetadataUpdate,
    ProtocolError,
    ServerHello,
    ServerMessage,
    Welcome,
    decode_server,
    encode,
    negotiate,
)
from guruconnect.protocol.desktop import DesktopClose, DesktopOpen
from guruconnect.protocol.files import FilesOpen
from guruconnect.protocol.messages import auth_payload

log = logging.getLogger("guruconnect.agent")

AGENT_VERSION = guruconnect.__version__
HANDSHAKE_TIMEOUT = 15.0
# Floors against a misconfigured server sending 0: the agent must never spin.
MIN_HEARTBEAT_INTERVAL = 1.0
MIN_INVENTORY_INTERVAL = 10.0
MAX_INVENTORY_CHECK = 60.0
# 1001 going away, 1012 service restart: the server is coming back right away.
RESTART_CLOSE_CODES = frozenset({1001, 1012})

M = TypeVar("M", bound=ServerMessage)


class ServerClosed(Exception):
    """The server ended the connection; ``code`` is None when it just vanished."""

    def __init__(self, code: int | None, reason: str = "") -> None:
        super().__init__(_describe_close(code, reason))
        self.code = code
        self.reason = reason


async def run_agent(
    cfg: AgentConfig,
    *,
    stop: asyncio.Event | None = None,
    config_path: Path | None = None,
    desktops: DesktopSupervisor | None = None,
) -> None:
    """Stay connected to the server until ``stop`` is set; then close with 1000.

    ``config_path`` is handed to desktop workers (default: their own default lookup);
    ``desktops`` lets a caller supply the supervisor (tests). Workers still running when
    the agent stops are terminated."""
    if stop is None:
        stop = asyncio.Event()
    if desktops is None:
        desktops = DesktopSupervisor(config_path)
    files = FilesChannels(cfg)
    reaper = asyncio.create_task(desktops.reap_forever())
    try:
        await _run(cfg, stop, desktops, files, config_path)
    finally:
        reaper.cancel()
        await asyncio.gather(reaper, return_exceptions=True)
        await desktops.close_all()
        await files.close_all()


async def _run(
    cfg: AgentConfig,
    stop: asyncio.Event,
    desktops: DesktopSupervisor,
    files: FilesChannels,
    config_path: Path | None = None,
) -> None:
    backoff = Backoff(maximum=cfg.max_backoff)
    if not cfg.server.secure:
        log.warning(
            "server URL %s is plain http: no certificate pinning, only safe behind a "
            "TLS-terminating proxy",
            cfg.server_url,
        )
    while not stop.is_set():
        session = asyncio.create_task(_session(cfg, backoff, desktops, files, config_path))
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait({session, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if stop.is_set():
            session.cancel()
            # Whatever the session was doing, it has been told to stop; its outcome
            # no longer matters.
            await asyncio.gather(session, return_exceptions=True)
            return
        exc = session.exception()
        if exc is None:  # only returns by itself when stopping; be defensive
            exc = ServerClosed(None)
        quick = isinstance(exc, ServerClosed) and exc.code in RESTART_CLOSE_CODES
        delay = backoff.quick_delay() if quick else backoff.next_delay()
        reason = describe_failure(exc)
        if reason is None:
            log.error("connection failed unexpectedly; retrying in %.1fs", delay, exc_info=exc)
        else:
            log.warning("%s; reconnecting in %.1fs", reason, delay)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), delay)


async def _session(
    cfg: AgentConfig,
    backoff: Backoff,
    desktops: DesktopSupervisor,
    files: FilesChannels,
    config_path: Path | None = None,
) -> None:
    """One connection, from connect to failure. Raises; never returns normally."""
    server = cfg.server
    options: dict[str, Any] = {}
    if server.secure:
        options["ssl"] = client_context()
    try:
        async with connect(
            server.websocket_url,
            max_size=MAX_FRAME_BYTES,
            open_timeout=10,
            ping_interval=20,
            ping_timeout=20,
            user_agent_header=f"guruconnect-agent/{AGENT_VERSION}",
            **options,
        ) as ws:
            if server.secure:
                # Only websockets' upgrade request (no secrets) has gone out so far;
                # nothing of ours is read or sent before this check.
                try:
                    check_pin(ws.transport.get_extra_info("ssl_object"), cfg.server_fingerprint)
                except PinMismatch:
                    ws.transport.abort()  # not even a close frame for an impostor
                    raise
            try:
                await _converse(ws, cfg, backoff, desktops, files, config_path)
            except asyncio.CancelledError:
                await ws.close(CloseCode.NORMAL, "agent stopping")
                raise
            except ProtocolError as exc:
                await ws.close(exc.code, exc.reason)
                raise
    except ConnectionClosed as exc:
        raise _closed_by_server(exc) from exc


def _closed_by_server(exc: ConnectionClosed) -> ServerClosed:
    if exc.rcvd is None:
        # No close frame from the server; what we sent, if anything, says why
        # (e.g. "keepalive ping timeout").
        return ServerClosed(None, exc.sent.reason if exc.sent else "")
    return ServerClosed(exc.rcvd.code, exc.rcvd.reason)


async def _converse(
    ws: ClientConnection,
    cfg: AgentConfig,
    backoff: Backoff,
    desktops: DesktopSupervisor,
    files: FilesChannels,
    config_path: Path | None = None,
) -> None:
    hello = await _expect(ws, ServerHello)
    negotiate(hello.versions)
    signature = sign(cfg.seed, auth_payload(hello.challenge, cfg.agent_id))
    await ws.send(
        encode(
            AgentHello(
                agent_id=cfg.agent_id,
                versions=list(SUPPORTED_VERSIONS),
                signature=signature,
                agent_version=AGENT_VERSION,
            )
        )
    )
    welcome = await _expect(ws, Welcome)
    if welcome.version not in SUPPORTED_VERSIONS:
        raise ProtocolError(
            CloseCode.VERSION_UNSUPPORTED, f"server chose unsupported version {welcome.version}"
        )
    backoff.reset()
    log.info("connected to %s as %s (protocol v%d)", cfg.server_url, cfg.agent_id, welcome.version)

    # The file, not the config we started with: a reconfigure may have happened since.
    metadata = metadata_of(await asyncio.to_thread(_current, cfg, config_path))
    if metadata != MetadataUpdate():
        await ws.send(encode(metadata))
    inventory = await asyncio.to_thread(collect_inventory, AGENT_VERSION, cfg.description)
    await ws.send(encode(inventory))

    heartbeat_every = max(MIN_HEARTBEAT_INTERVAL, welcome.heartbeat_interval)
    inventory_every = max(MIN_INVENTORY_INTERVAL, welcome.inventory_interval)
    await _first_to_end(
        _heartbeats(ws, heartbeat_every),
        _inventories(ws, cfg, inventory_every, inventory),
        _read_messages(ws, desktops, files),
        _watch_metadata(ws, config_path, metadata, heartbeat_every),
    )


def metadata_of(cfg: AgentConfig) -> MetadataUpdate:
    return MetadataUpdate(
        name=cfg.name, site=cfg.site, department=cfg.department,
        device_type=cfg.device_type, tag=cfg.tag,
    )  # fmt: skip


async def _watch_metadata(
    ws: ClientConnection, path: Path | None, sent: MetadataUpdate, interval: float
) -> None:
    """``guruconnect-agent --reconfigure`` rewrites the config file; at each heartbeat
    tick the file's stat is compared and, when it changed, its metadata is sent, so the
    change reaches the dashboard at the next check-in without a restart."""
    if path is None:
        await asyncio.Event().wait()  # nothing to watch; end only when cancelled
        return
    stamp = _stamp(path)
    while True:
        await asyncio.sleep(interval)
        current = _stamp(path)
        if current == stamp:
            continue
        stamp = current
        try:
            metadata = metadata_of(await asyncio.to_thread(load_config, path))
        except ConfigError as exc:
            log.warning("config changed but cannot be read, keeping the old metadata: %s", exc)
            continue
        if metadata != sent:
            await ws.send(encode(metadata))
            log.info("metadata changed in %s; sent to the server", path)
            sent = metadata


def _current(cfg: AgentConfig, path: Path | None) -> AgentConfig:
    if path is None:
        return cfg
    try:
        return load_config(path)
    except ConfigError:
        return cfg


def _stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


async def _expect(ws: ClientConnection, kind: type[M]) -> M:
    async with asyncio.timeout(HANDSHAKE_TIMEOUT):
        message = decode_server(await ws.recv())
    if not isinstance(message, kind):
        raise ProtocolError(
            CloseCode.UNEXPECTED, f"expected {kind.__name__}, got {type(message).__name__}"
        )
    return message


async def _first_to_end(*jobs: Coroutine[Any, Any, None]) -> None:
    """Run the jobs until one ends; then cancel the rest and re-raise its exception."""
    tasks = [asyncio.create_task(job) for job in jobs]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    for task in done:
        task.result()


async def _heartbeats(ws: ClientConnection, interval: float) -> None:
    seq = 0
    while True:
        await asyncio.sleep(interval)
        await ws.send(encode(Heartbeat(seq=seq, idle_seconds=idle_seconds())))
        seq += 1


async def _inventories(
    ws: ClientConnection, cfg: AgentConfig, interval: float, sent: Inventory
) -> None:
    last_fingerprint = significant_fingerprint(sent)
    last_sent = time.monotonic()
    while True:
        await asyncio.sleep(min(MAX_INVENTORY_CHECK, interval))
        # In a thread: reading /proc, /sys or the registry must not delay heartbeats.
        inventory = await asyncio.to_thread(collect_inventory, AGENT_VERSION, cfg.description)
        fingerprint = significant_fingerprint(inventory)
        if fingerprint != last_fingerprint or time.monotonic() - last_sent >= interval:
            await ws.send(encode(inventory))
            last_fingerprint, last_sent = fingerprint, time.monotonic()


async def _read_messages(
    ws: ClientConnection, desktops: DesktopSupervisor, files: FilesChannels
) -> None:
    async for frame in ws:
        message = decode_server(frame)  # validates even what we ignore
        if isinstance(message, HeartbeatAck):
            continue
        if isinstance(message, DesktopOpen):
            desktops.open(message.session_id, message.token)
        elif isinstance(message, DesktopClose):
            desktops.close(message.session_id)
        elif isinstance(message, FilesOpen):
            files.open(message.session_id, message.token)
        else:
            raise ProtocolError(
                CloseCode.UNEXPECTED, f"unexpected {type(message).__name__} after Welcome"
            )
    # The iterator ends quietly on a normal close; report it like any other close.
    raise ServerClosed(ws.close_code, ws.close_reason or "")


def _describe_close(code: int | None, reason: str) -> str:
    if code is None or code == 1006:
        return f"connection lost ({reason})" if reason else "connection lost"
    try:
        label = f"{code} {CloseCode(code).name}"
    except ValueError:
        label = str(code)
    text = f"server closed the connection (code {label}{': ' + reason if reason else ''})"
    if code == CloseCode.AUTH_FAILED:
        text += "; it no longer accepts this agent's key: was the agent deleted? re-enroll"
    return text


def describe_failure(exc: BaseException) -> str | None:
    """One line for the log; None for an unexpected error (a bug: log the traceback)."""
    if isinstance(exc, ServerClosed | PinMismatch):
        return str(exc)
    if isinstance(exc, ProtocolError):
        return f"protocol error ({exc.code.name}): {exc.reason}"
    if isinstance(exc, InvalidStatus):
        return f"server refused the WebSocket connection: HTTP {exc.response.status_code}"
    if isinstance(exc, TimeoutError):
        return "timed out waiting for the server"
    if isinstance(exc, OSError):
        return f"cannot reach the server: {exc.strerror or exc}"
    if isinstance(exc, WebSocketException):
        return f"WebSocket error: {exc}"
    return None
