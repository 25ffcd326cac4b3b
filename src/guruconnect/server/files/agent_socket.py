"""/ws/files-agent: an agent attaches a files socket it was asked to open.

It proves itself with the session id and one-time token the server sent in FilesOpen
over the agent's own authenticated, pinned control socket; the token is compared in
constant time and can be used once. The user side then drives the socket.
"""

from __future__ import annotations

import hmac
import logging

from fastapi import APIRouter, WebSocket
from starlette.websockets import WebSocketDisconnect

from guruconnect.protocol import CloseCode, ProtocolError
from guruconnect.protocol.codec import decode_files_reply
from guruconnect.protocol.files import FilesHello
from guruconnect.server.http.origin import origin_allowed
from guruconnect.server.http.websocket import close_quietly, receive_frame
from guruconnect.server.state import get_state

log = logging.getLogger("guruconnect.files")
router = APIRouter()

HELLO_TIMEOUT = 10.0


@router.websocket("/ws/files-agent")
async def files_agent_socket(ws: WebSocket) -> None:
    state = get_state(ws)
    if not origin_allowed(ws, state.settings.origins):
        await ws.close(CloseCode.POLICY)
        return
    await ws.accept()
    try:
        hello = decode_files_reply(await receive_frame(ws, HELLO_TIMEOUT))
        if not isinstance(hello, FilesHello):
            raise ProtocolError(CloseCode.UNEXPECTED, "expected files_hello first")
        channel = state.files.pending.get(hello.session_id)
        if channel is None or not hmac.compare_digest(channel.token, hello.token):
            raise ProtocolError(CloseCode.AUTH_FAILED, "unknown files session or bad token")
        state.files.take(hello.session_id)  # one use
        if channel.attached.done():
            raise ProtocolError(CloseCode.AUTH_FAILED, "files session already attached")
    except ProtocolError as exc:
        log.warning("refused files socket: %s (%d)", exc.reason, exc.code)
        await close_quietly(ws, exc.code, exc.reason)
        return
    except WebSocketDisconnect:
        return
    channel.attached.set_result(ws)
    await channel.finished.wait()
    await close_quietly(ws, CloseCode.NORMAL, "done")
