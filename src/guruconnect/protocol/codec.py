"""MessagePack framing: size limit first, then typed decoding into one message union."""

from __future__ import annotations

from typing import TypeVar

import msgspec

from guruconnect.protocol.errors import CloseCode, ProtocolError
from guruconnect.protocol.messages import AgentMessage, ServerMessage

MAX_FRAME_BYTES = 256 * 1024

_encoder = msgspec.msgpack.Encoder()
_agent_decoder: msgspec.msgpack.Decoder[AgentMessage] = msgspec.msgpack.Decoder(AgentMessage)
_server_decoder: msgspec.msgpack.Decoder[ServerMessage] = msgspec.msgpack.Decoder(ServerMessage)

T = TypeVar("T")


def encode(message: msgspec.Struct) -> bytes:
    return _encoder.encode(message)


def _decode(decoder: msgspec.msgpack.Decoder[T], frame: bytes | str) -> T:
    if isinstance(frame, str):
        raise ProtocolError(CloseCode.MALFORMED, "text frame: the agent protocol is binary")
    if len(frame) > MAX_FRAME_BYTES:
        raise ProtocolError(
            CloseCode.TOO_LARGE, f"frame of {len(frame)} bytes exceeds {MAX_FRAME_BYTES}"
        )
    try:
        return decoder.decode(frame)
    except msgspec.ValidationError as exc:
        raise ProtocolError(CloseCode.MALFORMED, f"invalid message: {exc}") from exc
    except msgspec.DecodeError as exc:
        raise ProtocolError(CloseCode.MALFORMED, f"not MessagePack: {exc}") from exc


def decode_agent(frame: bytes | str) -> AgentMessage:
    """Decode a frame sent by an agent. Raises ProtocolError."""
    return _decode(_agent_decoder, frame)


def decode_server(frame: bytes | str) -> ServerMessage:
    """Decode a frame sent by the server. Raises ProtocolError."""
    return _decode(_server_decoder, frame)
