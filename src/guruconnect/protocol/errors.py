"""Protocol errors and the WebSocket close codes they map to.

ProtocolError            any frame we refuse; carries the close code to send
  (code) MALFORMED       not MessagePack, or not a known message, or bad fields
  (code) TOO_LARGE       larger than MAX_FRAME_BYTES
  (code) UNEXPECTED      a valid message at the wrong point of the conversation
"""

from __future__ import annotations

import enum


class CloseCode(enum.IntEnum):
    """Close codes sent on the agent and dashboard sockets (4000-4999 are ours)."""

    NORMAL = 1000
    GOING_AWAY = 1001  # server shutting down: reconnect to the next start
    POLICY = 1008  # e.g. foreign Origin
    TRY_AGAIN_LATER = 1013
    MALFORMED = 4400
    AUTH_FAILED = 4401
    FORBIDDEN = 4403
    NOT_FOUND = 4404  # no such machine (or not one you may see)
    UNEXPECTED = 4405
    TIMEOUT = 4408  # no frame within the allowed time
    REPLACED = 4409  # the same agent connected again elsewhere
    AGENT_GONE = 4410  # the machine is offline, or its agent left the session
    TOO_LARGE = 4413
    VERSION_UNSUPPORTED = 4426
    SESSION_REVOKED = 4440  # dashboard: user signed out or changed password


class ProtocolError(Exception):
    """A frame we refuse. ``code`` is the close code to send, ``reason`` a short text."""

    def __init__(self, code: CloseCode, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        # WebSocket close reasons are limited to 123 bytes.
        self.reason = reason.encode()[:120].decode(errors="ignore")
