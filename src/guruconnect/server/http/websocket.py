"""Receiving with a deadline and closing without fuss, the same on every WebSocket we serve."""

from __future__ import annotations

import asyncio
import contextlib

from fastapi import WebSocket
from starlette.websockets import WebSocketDisconnect, WebSocketState

from guruconnect.protocol import CloseCode, ProtocolError


async def receive_frame(ws: WebSocket, limit: float) -> bytes | str:
    """The next data frame. Raises ProtocolError(TIMEOUT) or WebSocketDisconnect."""
    try:
        async with asyncio.timeout(limit):
            message = await ws.receive()
    except TimeoutError as exc:
        raise ProtocolError(CloseCode.TIMEOUT, f"no frame for {limit:.0f} s") from exc
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000))
    data = message.get("bytes")
    if data is not None:
        assert isinstance(data, bytes)
        return data
    text = message.get("text")
    return text if isinstance(text, str) else ""


async def close_quietly(ws: WebSocket, code: int, reason: str) -> None:
    """Close if still open; a peer that already left or a close under way is fine."""
    if ws.application_state == WebSocketState.CONNECTED:
        with contextlib.suppress(RuntimeError, WebSocketDisconnect):
            await ws.close(code, reason)


class SocketChannel:
    """Lets presence and the support hub send to and close a socket without knowing it
    is a Starlette one (the ``AgentChannel`` protocol)."""

    def __init__(self, ws: WebSocket) -> None:
        self.ws = ws

    async def send(self, frame: bytes) -> None:
        await self.ws.send_bytes(frame)

    async def close(self, code: int, reason: str) -> None:
        await close_quietly(self.ws, code, reason)
