"""Test vectors shared with the browser: the same bytes must decode the same everywhere.

`tests/vectors/protocol.json` is written from the Python definitions; the web tests
(web/test/vectors.test.ts) decode the same hex with @msgpack/msgpack.
"""

from __future__ import annotations

import json
from pathlib import Path

from guruconnect.protocol import Heartbeat, HeartbeatAck, Inventory, ServerHello, Welcome, encode
from guruconnect.protocol.codec import decode_agent, decode_server

VECTORS = Path(__file__).resolve().parents[2] / "vectors" / "protocol.json"

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
