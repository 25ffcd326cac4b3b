"""Lightweight simulated agents: the real wire protocol, none of the agent's work.

Each simulated agent is one websockets client connection in this process. It does the
full handshake the real agent does (ServerHello -> signed AgentHello -> Welcome) and then
only what the benchmark asks of it. It offers permessage-deflate like the real agent
(websockets' default), because what the server negotiates is what costs it memory.
"""

from __future__ import annotations

import asyncio
import collections
import ssl
import statistics
import time
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.protocol import State

from admin_api import SimIdentity
from guruconnect.protocol import (
    MAX_FRAME_BYTES,
    SUPPORTED_VERSIONS,
    AgentHello,
    Heartbeat,
    HeartbeatAck,
    ServerHello,
    Welcome,
    decode_server,
    encode,
)
from guruconnect.protocol.messages import auth_payload

STEP_TIMEOUT = 30.0  # any one handshake step or ack; far above a healthy server's latency


def insecure_client_context() -> ssl.SSLContext:
    """The bench trusts the server's self-signed certificate blindly (loopback only)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def _errname(exc: BaseException) -> str:
    text = str(exc).splitlines()[0][:120] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


async def open_agent(
    url: str, ident: SimIdentity, *, tls: bool, compression: bool
) -> ClientConnection:
    options: dict[str, Any] = {}
    if tls:
        options["ssl"] = insecure_client_context()
    ws = await connect(
        url,
        max_size=MAX_FRAME_BYTES,
        open_timeout=STEP_TIMEOUT,
        close_timeout=5,
        ping_interval=None,  # keep the client cheap; pings are not what we measure
        compression="deflate" if compression else None,
        user_agent_header="guruconnect-bench",
        **options,
    )
    try:
        async with asyncio.timeout(STEP_TIMEOUT):
            hello = decode_server(await ws.recv())
            if not isinstance(hello, ServerHello):
                raise RuntimeError(f"expected server_hello, got {type(hello).__name__}")
            signature = ident.key.sign(auth_payload(hello.challenge, ident.agent_id))
            await ws.send(
                encode(
                    AgentHello(
                        agent_id=ident.agent_id,
                        versions=list(SUPPORTED_VERSIONS),
                        signature=signature,
                        agent_version="bench",
                    )
                )
            )
            welcome = decode_server(await ws.recv())
            if not isinstance(welcome, Welcome):
                raise RuntimeError(f"expected welcome, got {type(welcome).__name__}")
    except BaseException:
        await ws.close()
        raise
    return ws


@dataclass
class Phase:
    """Wall time and CPU of both processes over one phase of a benchmark."""

    seconds: float = 0.0
    client_cpu_pct: float = 0.0
    server_cpu_pct: float = 0.0


class PhaseClock:
    def __init__(self, server_cpu: Any) -> None:
        self._server_cpu = server_cpu  # () -> float seconds of server CPU so far

    def __enter__(self) -> PhaseClock:
        self.phase = Phase()
        self._wall = time.perf_counter()
        self._cpu = time.process_time()
        self._srv = self._server_cpu()
        return self

    def __exit__(self, *_: object) -> None:
        wall = time.perf_counter() - self._wall
        self.phase.seconds = wall
        if wall > 0:
            self.phase.client_cpu_pct = 100 * (time.process_time() - self._cpu) / wall
            self.phase.server_cpu_pct = 100 * (self._server_cpu() - self._srv) / wall


@dataclass
class ConnectResult:
    conns: list[ClientConnection]
    failures: collections.Counter[str] = field(default_factory=collections.Counter)


async def connect_all(
    url: str,
    identities: list[SimIdentity],
    *,
    tls: bool,
    compression: bool,
    concurrency: int,
    timeout: float,
) -> ConnectResult:
    """Open one connection per identity, `concurrency` handshakes in flight at most."""
    result = ConnectResult([])
    gate = asyncio.Semaphore(concurrency)

    async def one(ident: SimIdentity) -> None:
        async with gate:
            try:
                result.conns.append(await open_agent(url, ident, tls=tls, compression=compression))
            except Exception as exc:
                result.failures[_errname(exc)] += 1

    async with asyncio.timeout(timeout):
        await asyncio.gather(*(one(i) for i in identities))
    return result


@dataclass
class StormResult:
    acks: int = 0
    seconds: float = 0.0
    rtts: list[float] = field(default_factory=list)
    failures: collections.Counter[str] = field(default_factory=collections.Counter)

    @property
    def per_second(self) -> float:
        return self.acks / self.seconds if self.seconds else 0.0

    def rtt_ms(self, quantile: float) -> float:
        if len(self.rtts) < 2:
            return 0.0
        cuts = statistics.quantiles(self.rtts, n=100, method="inclusive")
        return 1000 * cuts[round(quantile * 100) - 1]


async def heartbeat_storm(conns: list[ClientConnection], seconds: float) -> StormResult:
    """Every agent sends a Heartbeat as soon as its previous one is acknowledged.

    One outstanding heartbeat per agent, for a fixed window; acks arriving after the
    window are not counted, so acks / window is the server's sustained rate.
    """
    result = StormResult(seconds=seconds)
    start = time.perf_counter()
    deadline = start + seconds

    async def one(ws: ClientConnection) -> None:
        seq = 0
        try:
            while (sent := time.perf_counter()) < deadline:
                await ws.send(encode(Heartbeat(seq=seq)))
                async with asyncio.timeout(STEP_TIMEOUT):
                    frame = await ws.recv()
                now = time.perf_counter()
                ack = decode_server(frame)
                if not isinstance(ack, HeartbeatAck) or ack.seq != seq:
                    raise RuntimeError(f"unexpected {type(ack).__name__} for heartbeat {seq}")
                if now <= deadline:
                    result.acks += 1
                    result.rtts.append(now - sent)
                seq += 1
        except Exception as exc:
            result.failures[_errname(exc)] += 1

    # Bounded by the window plus one step timeout, whatever the server does.
    async with asyncio.timeout(seconds + STEP_TIMEOUT + 5):
        await asyncio.gather(*(one(ws) for ws in conns))
    return result


def still_open(conns: list[ClientConnection]) -> int:
    return sum(1 for ws in conns if ws.state is State.OPEN)


async def close_all(
    conns: list[ClientConnection], *, concurrency: int, timeout: float
) -> collections.Counter[str]:
    failures: collections.Counter[str] = collections.Counter()
    gate = asyncio.Semaphore(concurrency)

    async def one(ws: ClientConnection) -> None:
        async with gate:
            try:
                await ws.close(1000, "bench done")
            except Exception as exc:
                failures[_errname(exc)] += 1

    try:
        async with asyncio.timeout(timeout):
            await asyncio.gather(*(one(ws) for ws in conns))
    except TimeoutError:
        failures["close timed out"] += 1
        for ws in conns:  # do not leave sockets behind
            ws.transport.abort()
    return failures
