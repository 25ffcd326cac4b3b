"""The /ws/support messages: stored vectors, round trips and refusals.

`tests/vectors/support.json` is written from the Python definitions. The browser never
speaks /ws/support (the one-time agent is Python), so pytest alone checks it.
Regenerate with: python -m tests.unit.protocol.test_support_protocol
"""

from __future__ import annotations

import json
from pathlib import Path

import msgspec
import pytest

from guruconnect.protocol import CloseCode, Heartbeat, HeartbeatAck, ProtocolError, encode
from guruconnect.protocol.codec import decode_support_agent, decode_support_server
from guruconnect.protocol.desktop import DesktopClose, DesktopOpen
from guruconnect.protocol.support import (
    MAX_CHAT_CHARS,
    ChatLine,
    ChatSend,
    Consent,
    EndSession,
    SessionEnded,
    SupportHello,
    SupportWelcome,
    TechnicianChanged,
)

VECTORS = Path(__file__).resolve().parents[2] / "vectors" / "support.json"
TOKEN = "jt_" + "A" * 40

AGENT = {
    "support_hello": SupportHello(
        join_token=TOKEN,
        versions=[1],
        hostname="pc-guest",
        os="Debian GNU/Linux 12 (bookworm)",
        username="alice",
        agent_version="0.1.0",
    ),
    "consent_allow": Consent(allowed=True),
    "consent_deny": Consent(allowed=False),
    "chat_send": ChatSend(text="Hello, my printer is broken é"),
    "end_session": EndSession(),
    "heartbeat": Heartbeat(seq=1),
}
SERVER = {
    "support_welcome": SupportWelcome(
        version=1,
        session_id="s_0123456789abcdef",
        technician="bob",
        session_name="Printer",
        heartbeat_interval=30.0,
        consent="allowed",
        history=[
            ChatLine(id=1, sender="technician", author="bob", text="Hi!", at=1700000000.5),
            ChatLine(id=2, sender="guest", author="alice", text="Hello", at=1700000001.0),
        ],
    ),
    "support_welcome_minimal": SupportWelcome(
        version=1, session_id="s_0123456789abcdef", technician=""
    ),
    "chat_line": ChatLine(id=3, sender="guest", author="alice", text="ok", at=1700000002.25),
    "technician_changed": TechnicianChanged(technician="carol"),
    "session_ended": SessionEnded(reason="ended_by_technician", message="Thanks!"),
    "heartbeat_ack": HeartbeatAck(seq=1, server_time=1700000000.5),
    "desktop_open": DesktopOpen(session_id="d_0123456789", token=bytes(range(32))),
    "desktop_close": DesktopClose(session_id="d_0123456789"),
}


def _current() -> dict[str, str]:
    return {name: encode(msg).hex() for name, msg in {**AGENT, **SERVER}.items()}


def test_vectors_file_matches_definitions() -> None:
    assert json.loads(VECTORS.read_text()) == _current(), (
        "regenerate: python -m tests.unit.protocol.test_support_protocol"
    )


def test_vectors_decode_on_the_right_side_only() -> None:
    stored = json.loads(VECTORS.read_text())
    for name, msg in AGENT.items():
        frame = bytes.fromhex(stored[name])
        assert decode_support_agent(frame) == msg, name
        with pytest.raises(ProtocolError):
            decode_support_server(frame)
    for name, msg in SERVER.items():
        frame = bytes.fromhex(stored[name])
        assert decode_support_server(frame) == msg, name
        with pytest.raises(ProtocolError):
            decode_support_agent(frame)


def _code(frame: bytes | str) -> CloseCode:
    with pytest.raises(ProtocolError) as err:
        decode_support_agent(frame)
    return err.value.code


@pytest.mark.parametrize(
    "fields",
    [
        {"type": "support_hello", "join_token": "short", "versions": [1]},
        {"type": "support_hello", "join_token": "x" * 20 + "/", "versions": [1]},
        {"type": "support_hello", "join_token": TOKEN, "versions": []},
        {"type": "chat_send", "text": ""},
        {"type": "chat_send", "text": "x" * (MAX_CHAT_CHARS + 1)},
        {"type": "consent", "allowed": "yes"},
        {"type": "consent"},
        {"type": "desktop_open", "session_id": "d_0123456789", "token": b"t" * 32},
        {"type": "nonsense"},
    ],
)
def test_bad_agent_frames_are_refused_as_malformed(fields: dict[str, object]) -> None:
    assert _code(msgspec.msgpack.encode(fields)) == CloseCode.MALFORMED


def test_text_frames_garbage_and_huge_frames_are_refused() -> None:
    assert _code("hello") == CloseCode.MALFORMED
    assert _code(b"\xc1\xc1") == CloseCode.MALFORMED
    assert _code(b"\x00" * (300 * 1024)) == CloseCode.TOO_LARGE


def test_chat_at_the_limit_is_accepted() -> None:
    msg = ChatSend(text="é" * MAX_CHAT_CHARS)
    assert decode_support_agent(encode(msg)) == msg


def test_unknown_fields_are_ignored_for_forward_compatibility() -> None:
    frame = msgspec.msgpack.encode({"type": "consent", "allowed": True, "future": 1})
    assert decode_support_agent(frame) == Consent(allowed=True)


if __name__ == "__main__":
    VECTORS.write_text(json.dumps(_current(), indent=2) + "\n")
