"""SupportLink against a real WebSocket server over TLS that plays the server's side of
/ws/support message by message (the real server is in tests/integration)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from pathlib import Path

from websockets.asyncio.server import ServerConnection, serve

from guruconnect.agent.backoff import Backoff
from guruconnect.agent.support.config import SupportConfig
from guruconnect.agent.support.desktop import SupportDesktop
from guruconnect.agent.support.link import SupportLink
from guruconnect.agent.support.state import Connected, DesktopActive, Event, Failed
from guruconnect.protocol import encode
from guruconnect.protocol.codec import decode_support_agent
from guruconnect.protocol.desktop import DesktopOpen
from guruconnect.protocol.support import (
    ChatLine,
    ChatSend,
    Consent,
    SessionEnded,
    SupportHello,
    SupportWelcome,
)

from ..conftest import ServerCert

Handler = Callable[[ServerConnection, int], Awaitable[None]]


def welcome(consent: str = "pending") -> bytes:
    return encode(SupportWelcome(version=1, session_id="sess-12345", technician="bob",
                                 consent=consent))  # type: ignore[arg-type]  # fmt: skip


async def next_of(ws: ServerConnection, kind: type) -> object:
    while True:
        message = decode_support_agent(await asyncio.wait_for(ws.recv(), 10))
        if isinstance(message, kind):
            return message


async def run_link(
    cert: ServerCert, tmp_path: Path, handler: Handler, pin: str | None = None,
    during: Callable[[SupportLink, list[Event]], Awaitable[None]] | None = None,
) -> tuple[SupportLink, list[Event], int]:  # fmt: skip
    connections = 0

    async def handle(ws: ServerConnection) -> None:
        nonlocal connections
        connections += 1
        await handler(ws, connections)

    async with serve(handle, "127.0.0.1", 0, ssl=cert.server_context()) as server:
        port = server.sockets[0].getsockname()[1]
        cfg = SupportConfig(
            server_url=f"https://127.0.0.1:{port}",
            server_fingerprint=pin or cert.fingerprint,
            join_token="J" * 43,
        )
        events: list[Event] = []
        link = SupportLink(cfg, SupportDesktop(cfg, tmp_path), events.append,
                           backoff=Backoff(base=0.05, maximum=0.1))  # fmt: skip
        task = asyncio.create_task(link.run())
        if during is not None:
            await during(link, events)
        await asyncio.wait_for(task, 30)
    return link, events, connections


async def test_the_screen_stays_private_until_allow(
    server_cert: ServerCert, tmp_path: Path
) -> None:
    opened: list[bool] = []

    async def handler(ws: ServerConnection, _n: int) -> None:
        hello = decode_support_agent(await ws.recv())
        assert isinstance(hello, SupportHello) and hello.join_token == "J" * 43
        await ws.send(welcome())
        # A server that asks too early gets nothing.
        await ws.send(encode(DesktopOpen(session_id="desk-0001", token=os.urandom(32))))
        consent = await next_of(ws, Consent)
        assert consent == Consent(allowed=True)
        await ws.send(encode(DesktopOpen(session_id="desk-0002", token=os.urandom(32))))
        chat = await next_of(ws, ChatSend)
        opened.append(True)
        await ws.send(encode(ChatLine(id=1, sender="guest", author="alice",
                                      text=chat.text, at=1.0)))  # type: ignore[attr-defined]  # fmt: skip
        await ws.send(encode(SessionEnded(reason="ended_by_technician")))

    async def during(link: SupportLink, _events: list[Event]) -> None:
        for _ in range(200):
            if link._connected:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)  # the early DesktopOpen has been read and refused
        assert not link.desktop.supervisor.workers
        link.submit(Consent(allowed=True))
        for _ in range(200):
            if link.desktop.supervisor.workers:
                break
            await asyncio.sleep(0.05)
        assert list(link.desktop.supervisor.workers) == ["desk-0002"]
        link.submit(ChatSend(text="hello"))

    link, events, connections = await run_link(server_cert, tmp_path, handler, during=during)
    assert opened and connections == 1
    assert DesktopActive(True) in events
    assert any(isinstance(e, ChatLine) and e.text == "hello" for e in events)
    assert isinstance(events[-1], SessionEnded)
    assert not link.desktop.supervisor.workers  # stopped when the session ended


async def test_consent_given_while_away_is_sent_after_reconnect(
    server_cert: ServerCert, tmp_path: Path
) -> None:
    got: list[object] = []
    submitted = asyncio.Event()

    async def handler(ws: ServerConnection, n: int) -> None:
        await ws.recv()
        if n == 1:
            await ws.send(welcome())
            await ws.close(1011, "boom")  # the link drops
            return
        await submitted.wait()  # the user answered while we were away
        await ws.send(welcome("pending"))
        got.append(await next_of(ws, Consent))
        await ws.send(encode(SessionEnded(reason="ended_by_technician")))

    async def during(link: SupportLink, events: list[Event]) -> None:
        while not any(isinstance(e, Connected) for e in events):
            await asyncio.sleep(0.02)
        while link._connected:
            await asyncio.sleep(0.02)
        link.submit(Consent(allowed=True))
        await asyncio.sleep(0.1)
        submitted.set()

    _, _, connections = await run_link(server_cert, tmp_path, handler, during=during)
    assert connections == 2
    assert got == [Consent(allowed=True)]


async def test_refused_token_and_wrong_certificate_are_final(
    server_cert: ServerCert, other_cert: ServerCert, tmp_path: Path
) -> None:
    async def refuse(ws: ServerConnection, _n: int) -> None:
        await ws.recv()
        await ws.close(4401, "unknown join token")

    _, events, connections = await run_link(server_cert, tmp_path / "a", refuse)
    assert connections == 1
    assert isinstance(events[-1], Failed) and "not valid any more" in events[-1].reason

    async def never(ws: ServerConnection, _n: int) -> None:
        raise AssertionError("the agent talked to a server with the wrong certificate")

    _, events, connections = await run_link(other_cert, tmp_path / "b", never,
                                            pin=server_cert.fingerprint)  # fmt: skip
    assert isinstance(events[-1], Failed) and "certificate" in events[-1].reason
