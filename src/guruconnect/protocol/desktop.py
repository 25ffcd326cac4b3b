"""Remote-desktop messages: the agent's desktop worker, the server relay and the viewer.

Three sockets carry them (docs/protocol.md, "Remote desktop"):

    control  /ws/agent      server -> agent   DesktopOpen, DesktopClose
    media    /ws/media      worker <-> server  MediaHello, Monitors, VideoFrame, TileFrame
                                               <- StreamSettings, KeyframeRequest, inputs
    viewer   /ws/viewer/ID  browser <-> server Monitors, VideoFrame, TileFrame, ViewerState,
                                               Pong <- StreamSettings, KeyframeRequest,
                                               inputs, TakeControl, ReleaseControl, Ping

The server relays VideoFrame and TileFrame bytes unchanged: it decodes them only to
read ``keyframe`` and never re-encodes. Coordinates are remote desktop pixels in the
virtual screen (all monitors), so one mapping serves one monitor or "view all".
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from guruconnect.protocol.clipboard import (
    ClipboardFromViewer,
    ClipboardFromWorker,
    ClipboardToViewer,
    ClipboardToWorker,
)
from guruconnect.protocol.types import Short

SessionId = Annotated[str, Meta(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
Token = Annotated[bytes, Meta(min_length=32, max_length=32)]
Coord = Annotated[int, Meta(ge=-32768, le=32767)]
Size = Annotated[int, Meta(ge=1, le=16384)]
Seq = Annotated[int, Meta(ge=0)]
Codec = Literal["h264", "jpeg"]
Quality = Literal["speed", "balanced", "quality"]
# Bits of PointerInput.buttons, as in DOM MouseEvent.buttons.
BUTTON_LEFT, BUTTON_RIGHT, BUTTON_MIDDLE, BUTTON_BACK, BUTTON_FORWARD = 1, 2, 4, 8, 16
MAX_MEDIA_FRAME_BYTES = 8 * 1024 * 1024


class _Msg(msgspec.Struct, tag_field="type", omit_defaults=True):
    pass


# --- control socket, server -> agent -------------------------------------------------


class DesktopOpen(_Msg, tag="desktop_open"):
    """Start a desktop worker that connects to /ws/media with this session and token."""

    session_id: SessionId
    token: Token


class DesktopClose(_Msg, tag="desktop_close"):
    session_id: SessionId


# --- shared --------------------------------------------------------------------------


class Monitor(msgspec.Struct, omit_defaults=True):
    id: Annotated[int, Meta(ge=0, le=64)]
    x: Coord
    y: Coord
    width: Size
    height: Size
    primary: bool = False
    name: Short = ""


class Monitors(_Msg, tag="monitors"):
    monitors: Annotated[list[Monitor], Meta(min_length=1, max_length=64)]


class VideoFrame(_Msg, tag="video"):
    """One H.264 access unit (Annex B), for one monitor or the whole virtual screen."""

    seq: Seq
    keyframe: bool
    width: Size
    height: Size
    data: bytes
    monitor: Annotated[int, Meta(ge=-1, le=64)] = -1  # -1: all monitors
    codec: Literal["h264"] = "h264"
    captured_at: float = 0.0  # agent wall clock, seconds
    input_seq: Seq = 0  # last input event applied before this capture


class Tile(msgspec.Struct):
    x: Annotated[int, Meta(ge=0, le=16384)]
    y: Annotated[int, Meta(ge=0, le=16384)]
    width: Size
    height: Size
    data: bytes  # JPEG


class TileFrame(_Msg, tag="tiles"):
    """JPEG fallback: changed regions only. ``keyframe`` means the tiles cover everything."""

    seq: Seq
    keyframe: bool
    width: Size
    height: Size
    tiles: Annotated[list[Tile], Meta(max_length=4096)]
    monitor: Annotated[int, Meta(ge=-1, le=64)] = -1
    codec: Literal["jpeg"] = "jpeg"
    captured_at: float = 0.0
    input_seq: Seq = 0


# --- towards the worker (from the viewer, through the server) ------------------------


class StreamSettings(_Msg, tag="stream_settings"):
    monitor: Annotated[int, Meta(ge=-1, le=64)] = -1
    codec: Codec = "h264"
    quality: Quality = "balanced"
    max_fps: Annotated[int, Meta(ge=1, le=60)] = 30


class KeyframeRequest(_Msg, tag="keyframe_request"):
    pass


class PointerInput(_Msg, tag="pointer"):
    """Absolute position in virtual-screen pixels, the buttons held, and wheel steps."""

    seq: Seq
    x: Coord
    y: Coord
    buttons: Annotated[int, Meta(ge=0, le=31)] = 0
    wheel_x: Annotated[int, Meta(ge=-100, le=100)] = 0
    wheel_y: Annotated[int, Meta(ge=-100, le=100)] = 0


class KeyInput(_Msg, tag="key"):
    """A key press or release. ``code`` is the DOM KeyboardEvent.code (physical key);
    ``key`` is the DOM key value: a single character for printable keys, so text
    arrives right whatever the two keyboard layouts are."""

    seq: Seq
    down: bool
    code: Annotated[str, Meta(max_length=32)] = ""
    key: Annotated[str, Meta(max_length=32)] = ""


class ReleaseAll(_Msg, tag="release_all"):
    """Release every key and button this viewer holds (the viewer lost focus)."""

    seq: Seq = 0


# --- media socket, worker <-> server -------------------------------------------------


class MediaHello(_Msg, tag="media_hello"):
    session_id: SessionId
    token: Token
    codecs: Annotated[list[Codec], Meta(min_length=1, max_length=4)] = msgspec.field(
        default_factory=lambda: ["h264", "jpeg"]
    )


WorkerMessage = MediaHello | Monitors | VideoFrame | TileFrame | ClipboardFromWorker
ToWorkerMessage = (
    StreamSettings | KeyframeRequest | PointerInput | KeyInput | ReleaseAll | ClipboardToWorker
)


# --- viewer socket, browser <-> server -----------------------------------------------


class ViewerState(_Msg, tag="viewer_state"):
    role: Literal["controller", "observer"]
    viewers: Annotated[int, Meta(ge=0)]
    controller: Short = ""  # username in control, "" if nobody
    agent_connected: bool = False


class TakeControl(_Msg, tag="take_control"):
    pass


class ReleaseControl(_Msg, tag="release_control"):
    pass


class Ping(_Msg, tag="ping"):
    t: float


class Pong(_Msg, tag="pong"):
    t: float


ViewerInbound = (
    StreamSettings
    | KeyframeRequest
    | PointerInput
    | KeyInput
    | ReleaseAll
    | TakeControl
    | ReleaseControl
    | Ping
    | ClipboardFromViewer
)
ViewerOutbound = Monitors | VideoFrame | TileFrame | ViewerState | Pong | ClipboardToViewer
