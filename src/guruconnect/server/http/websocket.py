"""Receiving one frame with a deadline, the same way on every WebSocket we serve."""

from __future__ import annotations

import asyncio

from fastapi import WebSocket
from starlette.websockets import WebSocketDisconnect

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
