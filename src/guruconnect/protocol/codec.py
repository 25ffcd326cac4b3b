"""MessagePack framing: size limit first, then typed decoding into one message union."""

from __future__ import annotations

from typing import TypeVar

import msgspec

from guruconnect.protocol.desktop import (
    MAX_MEDIA_FRAME_BYTES,
    ToWorkerMessage,
    ViewerInbound,
    ViewerOutbound,
    WorkerMessage,
)
from guruconnect.protocol.errors import CloseCode, ProtocolError
from guruconnect.protocol.files import (
    MAX_FILES_FRAME_BYTES,
    BrowserFilesInbound,
    BrowserFilesOutbound,
    FilesHello,
    FilesReply,
    FilesRequest,
)
from guruconnect.protocol.messages import AgentMessage, ServerMessage
from guruconnect.protocol.support import SupportAgentMessage, SupportServerMessage

MAX_FRAME_BYTES = 256 * 1024

_encoder = msgspec.msgpack.Encoder()
_agent_decoder: msgspec.msgpack.Decoder[AgentMessage] = msgspec.msgpack.Decoder(AgentMessage)
_server_decoder: msgspec.msgpack.Decoder[ServerMessage] = msgspec.msgpack.Decoder(ServerMessage)
_worker_decoder: msgspec.msgpack.Decoder[WorkerMessage] = msgspec.msgpack.Decoder(WorkerMessage)
_to_worker_decoder: msgspec.msgpack.Decoder[ToWorkerMessage] = msgspec.msgpack.Decoder(
    ToWorkerMessage
)
_viewer_in_decoder: msgspec.msgpack.Decoder[ViewerInbound] = msgspec.msgpack.Decoder(ViewerInbound)
_viewer_out_decoder: msgspec.msgpack.Decoder[ViewerOutbound] = msgspec.msgpack.Decoder(
    ViewerOutbound
)
_support_agent_decoder: msgspec.msgpack.Decoder[SupportAgentMessage] = msgspec.msgpack.Decoder(
    SupportAgentMessage
)
_support_server_decoder: msgspec.msgpack.Decoder[SupportServerMessage] = msgspec.msgpack.Decoder(
    SupportServerMessage
)

_files_request_decoder: msgspec.msgpack.Decoder[FilesRequest] = msgspec.msgpack.Decoder(
    FilesRequest
)
_files_reply_decoder: msgspec.msgpack.Decoder[FilesReply | FilesHello] = msgspec.msgpack.Decoder(
    FilesReply | FilesHello
)
_files_browser_in_decoder: msgspec.msgpack.Decoder[BrowserFilesInbound] = msgspec.msgpack.Decoder(
    BrowserFilesInbound
)
_files_browser_out_decoder: msgspec.msgpack.Decoder[BrowserFilesOutbound] = msgspec.msgpack.Decoder(
    BrowserFilesOutbound
)

T = TypeVar("T")


def encode(message: msgspec.Struct) -> bytes:
    return _encoder.encode(message)


def _decode(
    decoder: msgspec.msgpack.Decoder[T], frame: bytes | str, limit: int = MAX_FRAME_BYTES
) -> T:
    if isinstance(frame, str):
        raise ProtocolError(CloseCode.MALFORMED, "text frame: the agent protocol is binary")
    if len(frame) > limit:
        raise ProtocolError(CloseCode.TOO_LARGE, f"frame of {len(frame)} bytes exceeds {limit}")
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


def decode_worker(frame: bytes | str) -> WorkerMessage:
    """Decode a frame the desktop worker sent on the media socket."""
    return _decode(_worker_decoder, frame, MAX_MEDIA_FRAME_BYTES)


def decode_to_worker(frame: bytes | str) -> ToWorkerMessage:
    """Decode a frame the server sent to the desktop worker."""
    return _decode(_to_worker_decoder, frame)


def decode_viewer_inbound(frame: bytes | str) -> ViewerInbound:
    """Decode a frame a viewer (browser) sent."""
    return _decode(_viewer_in_decoder, frame)


def decode_viewer_outbound(frame: bytes | str) -> ViewerOutbound:
    """Decode a frame the server sent to a viewer (used by tests and tools)."""
    return _decode(_viewer_out_decoder, frame, MAX_MEDIA_FRAME_BYTES)


def decode_support_agent(frame: bytes | str) -> SupportAgentMessage:
    """Decode a frame the one-time support agent sent on /ws/support."""
    return _decode(_support_agent_decoder, frame)


def decode_support_server(frame: bytes | str) -> SupportServerMessage:
    """Decode a frame the server sent on /ws/support."""
    return _decode(_support_server_decoder, frame)


def decode_files_request(frame: bytes | str) -> FilesRequest:
    """Decode a frame the server sent on an agent files socket."""
    return _decode(_files_request_decoder, frame, MAX_FILES_FRAME_BYTES)


def decode_files_reply(frame: bytes | str) -> FilesReply | FilesHello:
    """Decode a frame the agent sent on its files socket."""
    return _decode(_files_reply_decoder, frame, MAX_FILES_FRAME_BYTES)


def decode_files_browser_inbound(frame: bytes | str) -> BrowserFilesInbound:
    """Decode a frame a browser sent on its files socket."""
    return _decode(_files_browser_in_decoder, frame, MAX_FILES_FRAME_BYTES)


def decode_files_browser_outbound(frame: bytes | str) -> BrowserFilesOutbound:
    """Decode a frame the server sent to a browser files socket (tests and tools)."""
    return _decode(_files_browser_out_decoder, frame, MAX_FILES_FRAME_BYTES)
