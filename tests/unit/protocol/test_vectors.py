"""Test vectors shared with the browser: the same bytes must decode the same everywhere.

`tests/vectors/protocol.json` is written from the Python definitions; the web tests
(web/test/vectors.test.ts) decode the same hex with @msgpack/msgpack.
"""

from __future__ import annotations

import json
from pathlib import Path

from guruconnect.protocol import Heartbeat, HeartbeatAck, Inventory, ServerHello, Welcome, encode
from guruconnect.protocol.codec import (
    decode_agent,
    decode_server,
    decode_viewer_inbound,
    decode_viewer_outbound,
)
from guruconnect.protocol.desktop import (
    KeyframeRequest,
    KeyInput,
    Monitor,
    Monitors,
    Ping,
    PointerInput,
    Pong,
    ReleaseAll,
    StreamSettings,
    TakeControl,
    Tile,
    TileFrame,
    VideoFrame,
    ViewerState,
)

VECTORS = Path(__file__).resolve().parents[2] / "vectors" / "protocol.json"
DESKTOP_VECTORS = VECTORS.with_name("desktop.json")

SAMPLES = {
    "server_hello": ServerHello(versions=[1], challenge=bytes(range(32)), server_version="0.1.0"),
    "welcome": Welcome(
        version=1, heartbeat_interval=30.0, inventory_interval=900.0, public_ip="203.0.113.7"
    ),
    "heartbeat_ack": HeartbeatAck(seq=42, server_time=1700000000.5),
    "heartbeat": Heartbeat(seq=42, idle_seconds=5),
    "inventory": Inventory(
        hostname="pc-01", os_type="linux", cpu_count=8, logged_on_users=["alice"]
    ),
}


# Viewer-facing desktop messages: the browser decodes the outbound ones and must
# produce the inbound ones byte-for-byte compatible (web/test/viewer-messages.test.ts).
DESKTOP_OUT = {
    "monitors": Monitors(
        monitors=[
            Monitor(id=0, x=0, y=0, width=1920, height=1080, primary=True, name="DP-1"),
            Monitor(id=1, x=1920, y=0, width=1280, height=1024),
        ]
    ),
    "video": VideoFrame(
        seq=7,
        keyframe=True,
        width=1920,
        height=1080,
        data=bytes([0, 0, 0, 1, 0x67, 0x42]),
        captured_at=1700000000.25,
        input_seq=3,
    ),
    "video_delta": VideoFrame(
        seq=8, keyframe=False, width=1920, height=1080, data=b"\x00\x01", monitor=1
    ),
    "tiles": TileFrame(
        seq=2,
        keyframe=False,
        width=1280,
        height=1024,
        tiles=[Tile(x=64, y=128, width=64, height=64, data=b"\xff\xd8\xff")],
        monitor=1,
        input_seq=9,
    ),
    "viewer_state": ViewerState(
        role="observer", viewers=2, controller="alice", agent_connected=True
    ),
    "pong": Pong(t=12.5),
}
DESKTOP_IN = {
    "pointer": PointerInput(seq=5, x=1930, y=20, buttons=1, wheel_y=-2),
    "key": KeyInput(seq=6, down=True, code="KeyE", key="é"),
    "key_up": KeyInput(seq=7, down=False, code="ShiftLeft", key="Shift"),
    "release_all": ReleaseAll(seq=8),
    "stream_settings": StreamSettings(monitor=1, codec="jpeg", quality="speed", max_fps=15),
    "stream_settings_default": StreamSettings(),
    "keyframe_request": KeyframeRequest(),
    "take_control": TakeControl(),
    "ping": Ping(t=12.5),
}


def _desktop_current() -> dict[str, str]:
    return {name: encode(msg).hex() for name, msg in {**DESKTOP_OUT, **DESKTOP_IN}.items()}


def test_desktop_vectors_match_definitions() -> None:
    assert json.loads(DESKTOP_VECTORS.read_text()) == _desktop_current(), (
        "regenerate: python -m tests.unit.protocol.test_vectors"
    )
    for name, msg in DESKTOP_OUT.items():
        assert decode_viewer_outbound(encode(msg)) == msg, name
    for name, msg in DESKTOP_IN.items():
        assert decode_viewer_inbound(encode(msg)) == msg, name


def test_vectors_file_matches_definitions() -> None:
    stored = json.loads(VECTORS.read_text())
    current = {name: encode(msg).hex() for name, msg in SAMPLES.items()}
    assert stored == current, "regenerate: python -m tests.unit.protocol.test_vectors"


def test_vectors_decode() -> None:
    for name, hexed in json.loads(VECTORS.read_text()).items():
        frame = bytes.fromhex(hexed)
        decoded = (
            decode_server(frame)
            if name in ("server_hello", "welcome", "heartbeat_ack")
            else decode_agent(frame)
        )
        assert decoded == SAMPLES[name]


if __name__ == "__main__":
    VECTORS.write_text(
        json.dumps({n: encode(m).hex() for n, m in SAMPLES.items()}, indent=2) + "\n"
    )
    DESKTOP_VECTORS.write_text(json.dumps(_desktop_current(), indent=2) + "\n")
