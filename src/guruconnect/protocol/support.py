"""The attended-support socket ``/ws/support``: the one-time agent and the server.

Frames are MessagePack maps tagged by ``type``, like the agent socket. Conversation
(docs/protocol.md, "Support sessions"):

    agent  -> SupportHello(join_token, versions, hostname, os, username)
    server -> SupportWelcome(session_id, technician, session_name, history)
    agent  -> Consent(allowed)          before any screen access; may be sent again
    agent  <-> ChatSend / ChatLine      the server echoes every stored line as ChatLine
    server -> DesktopOpen / DesktopClose  only while consent is "allowed"
    agent  -> EndSession  |  server -> SessionEnded(reason), then the socket closes

The join token is the only credential: the portal hands it out for a right code and the
server stores only its hash. Decoding is validation: a frame that decodes is in bounds.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from guruconnect.protocol.desktop import DesktopClose, DesktopOpen
from guruconnect.protocol.messages import Heartbeat, HeartbeatAck
from guruconnect.protocol.types import Count, Seconds, Short, Versions

MAX_CHAT_CHARS = 4000
MAX_HISTORY = 2000  # lines replayed in SupportWelcome; older ones stay in the history view

JoinToken = Annotated[str, Meta(min_length=16, max_length=128, pattern=r"^[A-Za-z0-9_-]+$")]
SupportSessionId = Annotated[str, Meta(min_length=8, max_length=48, pattern=r"^[A-Za-z0-9_-]+$")]
ChatText = Annotated[str, Meta(min_length=1, max_length=MAX_CHAT_CHARS)]
Sender = Literal["technician", "guest"]
# Why a session ended; the agent shows a matching sentence and then removes itself.
EndReason = Literal[
    "ended_by_technician",  # the technician pressed End
    "ended_by_guest",  # EndSession from this agent
    "cancelled",  # cancelled before the guest joined
    "expired",  # the manual expiry passed
    "replaced",  # the same join token connected again; this socket is the old one
    "server_shutdown",
]


class _Msg(msgspec.Struct, tag_field="type", forbid_unknown_fields=False, omit_defaults=True):
    """Unknown fields are ignored so newer peers can add optional ones."""


# --- agent -> server -----------------------------------------------------------------


class SupportHello(_Msg, tag="support_hello"):
    join_token: JoinToken
    versions: Versions
    hostname: Short = ""
    os: Short = ""  # e.g. "Debian GNU/Linux 12 (bookworm)"
    username: Short = ""  # the logged-on user running the one-time agent
    agent_version: Short = ""


class Consent(_Msg, tag="consent"):
    """The end user's answer to "Allow the technician to see and control this screen?".

    Allow may be withdrawn later by ``Consent(allowed=False)``: the server closes the
    desktop at once. Deny is final for the session: no desktop is ever opened again.
    """

    allowed: bool


class ChatSend(_Msg, tag="chat_send"):
    text: ChatText


class EndSession(_Msg, tag="end_session"):
    pass


# --- server -> agent -----------------------------------------------------------------


class ChatLine(_Msg, tag="chat_line"):
    id: Count  # server-assigned, increasing within a session
    sender: Sender
    author: Short  # technician's username, or the guest's username/hostname
    text: ChatText
    at: float  # unix seconds


class SupportWelcome(_Msg, tag="support_welcome"):
    version: int
    session_id: SupportSessionId
    technician: Short  # the assigned technician, or "" while first-come and unclaimed
    session_name: Short = ""
    heartbeat_interval: Seconds = 30.0
    consent: Literal["pending", "allowed", "denied"] = "pending"  # after a reconnect
    history: Annotated[list[ChatLine], Meta(max_length=MAX_HISTORY)] = []


class TechnicianChanged(_Msg, tag="technician_changed"):
    """A first-come session was claimed: the window shows this name from now on."""

    technician: Short


class SessionEnded(_Msg, tag="session_ended"):
    reason: EndReason
    message: Short = ""


SupportAgentMessage = SupportHello | Consent | ChatSend | EndSession | Heartbeat
SupportServerMessage = (
    SupportWelcome
    | ChatLine
    | TechnicianChanged
    | SessionEnded
    | HeartbeatAck
    | DesktopOpen
    | DesktopClose
)
