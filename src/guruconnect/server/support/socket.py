"""/ws/support: the one-time agent of a support session's guest.

The join token in SupportHello is the only credential (the portal exchanged a right code
for it). A bad frame closes this socket only. A socket that drops without EndSession
gets a reconnect grace period (hub.py) before the session ends as "agent left".
"""

from __future__ import annotations

import logging
import time

from fastapi import APIRouter, WebSocket
from starlette.websockets import WebSocketDisconnect

from guruconnect.protocol import CloseCode, HeartbeatAck, ProtocolError, encode, negotiate
from guruconnect.protocol.codec import decode_support_agent
from guruconnect.protocol.messages import Heartbeat
from guruconnect.protocol.support import (
    MAX_HISTORY,
    ChatLine,
    ChatSend,
    Consent,
    EndSession,
    SessionEnded,
    SupportHello,
    SupportWelcome,
)
from guruconnect.server.db.models import SupportChat, SupportSession
from guruconnect.server.http.origin import origin_allowed
from guruconnect.server.http.websocket import SocketChannel, close_quietly, receive_frame
from guruconnect.server.state import AppState, get_state
from guruconnect.server.support import control, service
from guruconnect.server.support.events import publish_chat, publish_session
from guruconnect.server.support.hub import GuestLink
from guruconnect.server.support.lifecycle import LIVE, IllegalTransition

log = logging.getLogger("guruconnect.support")
router = APIRouter()


def chat_line(line: SupportChat) -> ChatLine:
    return ChatLine(
        id=line.id,
        sender="guest" if line.sender == "guest" else "technician",
        author=line.author,
        text=line.text,
        at=line.at.timestamp(),
    )


class GuestSession:
    def __init__(self, state: AppState, ws: WebSocket) -> None:
        self.state = state
        self.ws = ws
        self.ip = state.client_ip(ws)
        self.session_id = ""
        self.author = "guest"
        self.link: GuestLink | None = None
        self.ended = False

    async def handshake(self) -> None:
        frame = await receive_frame(self.ws, self.state.settings.agent_auth_timeout_seconds)
        hello = decode_support_agent(frame)
        if not isinstance(hello, SupportHello):
            raise ProtocolError(CloseCode.UNEXPECTED, "expected support_hello first")
        version = negotiate(hello.versions)
        async with self.state.db() as db:
            session = await service.by_join_token(db, hello.join_token)
            if session is None:
                raise ProtocolError(CloseCode.AUTH_FAILED, "unknown join token")
            self.session_id = session.id
            if session.status not in LIVE:
                await self._farewell(session)
                raise WebSocketDisconnect(CloseCode.NORMAL)
            try:
                first = await service.guest_joined(db, session, hello, self.ip)
            except service.Refused:
                await self._farewell(session)
                raise WebSocketDisconnect(CloseCode.NORMAL) from None
            lines = await service.history(db, session.id, MAX_HISTORY)
        self.author = hello.username or hello.hostname or "guest"
        self.link = GuestLink(session.id, self.ip, SocketChannel(self.ws),
                              consent_allowed=session.consent == "allowed")  # fmt: skip
        previous = self.state.support.attach(self.link)
        if previous is not None:
            replaced = SessionEnded(reason="replaced", message=control.END_MESSAGES["replaced"])
            await self.state.support.send_to(previous, encode(replaced))
            await previous.connection.close(CloseCode.REPLACED, "replaced by a newer connection")
        await self.ws.send_bytes(
            encode(
                SupportWelcome(
                    version=version,
                    session_id=session.id,
                    technician=session.technician_name,
                    session_name=session.name,
                    heartbeat_interval=float(self.state.settings.heartbeat_interval_seconds),
                    consent=session.consent,  # type: ignore[arg-type]
                    history=[chat_line(line) for line in lines],
                )
            )
        )
        await publish_session(self.state, session)
        log.info(
            "guest %s of support session %s %s from %s",
            self.author,
            session.id,
            "joined" if first else "reconnected",
            self.ip,
        )

    async def _farewell(self, session: SupportSession) -> None:
        reason = "expired" if session.status == "expired" else "cancelled"
        if session.status == "ended":
            reason = "ended_by_guest" if session.ended_by == "guest" else "ended_by_technician"
        message = SessionEnded(reason=reason, message="This support session is over.")  # type: ignore[arg-type]
        await self.ws.send_bytes(encode(message))
        await close_quietly(self.ws, CloseCode.NORMAL, "session over")

    async def _session(self) -> SupportSession:
        async with self.state.db() as db:
            session = await db.get(SupportSession, self.session_id)
        if session is None:
            raise ProtocolError(CloseCode.NOT_FOUND, "the session no longer exists")
        return session

    async def handle(self, message: object) -> None:
        if isinstance(message, Heartbeat):
            await self.ws.send_bytes(encode(HeartbeatAck(seq=message.seq, server_time=time.time())))
        elif isinstance(message, Consent):
            await self.consent(message.allowed)
        elif isinstance(message, ChatSend):
            async with self.state.db() as db:
                session = await db.get(SupportSession, self.session_id)
                if session is None:
                    raise ProtocolError(CloseCode.NOT_FOUND, "the session no longer exists")
                try:
                    line = await service.add_chat(db, session, "guest", self.author, message.text)
                except service.Refused as exc:
                    raise ProtocolError(CloseCode.UNEXPECTED, exc.detail) from exc
            await publish_chat(self.state, session, line)
            await self.ws.send_bytes(encode(chat_line(line)))
        elif isinstance(message, EndSession):
            session = await self._session()
            self.ended = True
            await control.end(self.state, session, by=None, who="guest", reason="ended_by_guest")
            raise WebSocketDisconnect(CloseCode.NORMAL)
        else:
            raise ProtocolError(CloseCode.UNEXPECTED, f"unexpected {type(message).__name__}")

    async def consent(self, allowed: bool) -> None:
        async with self.state.db() as db:
            session = await db.get(SupportSession, self.session_id)
            if session is None:
                raise ProtocolError(CloseCode.NOT_FOUND, "the session no longer exists")
            try:
                changed = await service.set_consent(db, session, allowed)
            except IllegalTransition as exc:
                # Deny is final: a later Allow is refused, logged, and changes nothing.
                log.warning("support session %s: consent refused: %s", self.session_id, exc)
                return
        if self.link is not None:
            self.link.consent_allowed = session.consent == "allowed"
        if not allowed:
            await control.close_desktop(self.state, self.session_id, "the user denied access")
        if changed:
            await publish_session(self.state, session)
            log.info("support session %s: guest %s access", self.session_id,
                     "allowed" if allowed else "denied")  # fmt: skip

    async def left(self) -> None:
        """The socket is gone. Unless it ended the session or was replaced, give the
        agent the grace period to come back, then end the session."""
        if self.link is None or not self.state.support.detach(self.link):
            return
        if not self.ended:  # first, so that nothing below can leave the session dangling
            control.end_unless_back(self.state, self.session_id)
        await control.close_desktop(self.state, self.session_id, "the user's agent left")
        try:
            await publish_session(self.state, await self._session())  # agent_connected: false
        except Exception:  # the timer above still ends the session
            log.exception(
                "support session %s: could not publish the agent leaving", self.session_id
            )

    async def run(self) -> None:
        idle_limit = 3.0 * self.state.settings.heartbeat_interval_seconds + 5
        try:
            await self.handshake()
            while True:
                frame = await receive_frame(self.ws, idle_limit)
                await self.handle(decode_support_agent(frame))
        except ProtocolError as exc:
            log.warning(
                "closing support agent of %s from %s: %s (%d)",
                self.session_id or "?",
                self.ip,
                exc.reason,
                exc.code,
            )
            await close_quietly(self.ws, exc.code, exc.reason)
        except WebSocketDisconnect:
            pass
        finally:
            await self.left()


@router.websocket("/ws/support")
async def support_socket(ws: WebSocket) -> None:
    state = get_state(ws)
    if not origin_allowed(ws, state.settings.origins):
        log.warning("refused support socket from foreign Origin %r", ws.headers.get("origin"))
        await ws.close(CloseCode.POLICY)
        return
    if state.shutting_down:
        await ws.close(CloseCode.TRY_AGAIN_LATER)
        return
    await ws.accept()
    await GuestSession(state, ws).run()
