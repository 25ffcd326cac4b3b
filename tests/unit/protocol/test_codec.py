"""The codec refuses everything it should, with the right close code, and never crashes."""

from __future__ import annotations

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from guruconnect.protocol import (
    MAX_FRAME_BYTES,
    AgentHello,
    CloseCode,
    Heartbeat,
    Inventory,
    InventoryDisk,
    InventoryInterface,
    MetadataUpdate,
    ProtocolError,
    ServerHello,
    Welcome,
    decode_agent,
    decode_server,
    encode,
    negotiate,
)


def code_of(frame: bytes | str) -> CloseCode:
    with pytest.raises(ProtocolError) as err:
        decode_agent(frame)
    return err.value.code


def test_round_trips() -> None:
    messages = [
        AgentHello(agent_id="abc_-1", versions=[1, 2], signature=b"s" * 64, agent_version="0.1"),
        Heartbeat(seq=3, idle_seconds=12),
        Inventory(
            hostname="pc",
            disks=[InventoryDisk(mount="/", total=10, free=5, fstype="ext4")],
            interfaces=[InventoryInterface(name="eth0", mac="aa:bb", ipv4=["10.0.0.2"])],
            logged_on_users=["alice"],
            boot_time=1.5,
        ),
        MetadataUpdate(site="New York"),
    ]
    for message in messages:
        assert decode_agent(encode(message)) == message
    server = [
        ServerHello(versions=[1], challenge=b"c" * 32),
        Welcome(version=1, heartbeat_interval=30, inventory_interval=900, public_ip="1.2.3.4"),
    ]
    for message in server:
        assert decode_server(encode(message)) == message


def test_server_messages_are_not_agent_messages() -> None:
    assert code_of(encode(ServerHello(versions=[1], challenge=b"c" * 32))) == CloseCode.MALFORMED


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        (b"", CloseCode.MALFORMED),
        (b"\xc1", CloseCode.MALFORMED),
        ("text", CloseCode.MALFORMED),
        (msgspec.msgpack.encode([1, 2, 3]), CloseCode.MALFORMED),
        (msgspec.msgpack.encode({"type": "nope"}), CloseCode.MALFORMED),
        (msgspec.msgpack.encode({"type": "heartbeat"}), CloseCode.MALFORMED),
        (msgspec.msgpack.encode({"type": "heartbeat", "seq": -1}), CloseCode.MALFORMED),
        (msgspec.msgpack.encode({"type": "heartbeat", "seq": "1"}), CloseCode.MALFORMED),
        (msgspec.msgpack.encode({"type": "inventory", "hostname": "x" * 257}), CloseCode.MALFORMED),
        (
            msgspec.msgpack.encode(
                {
                    "type": "agent_hello",
                    "agent_id": "../etc",
                    "versions": [1],
                    "signature": b"s" * 64,
                }
            ),
            CloseCode.MALFORMED,
        ),
        (
            msgspec.msgpack.encode(
                {"type": "agent_hello", "agent_id": "a", "versions": [], "signature": b"s" * 64}
            ),
            CloseCode.MALFORMED,
        ),
        (
            msgspec.msgpack.encode(
                {"type": "agent_hello", "agent_id": "a", "versions": [1], "signature": b"short"}
            ),
            CloseCode.MALFORMED,
        ),
        (b"\x00" * (MAX_FRAME_BYTES + 1), CloseCode.TOO_LARGE),
    ],
)
def test_refusals(frame: bytes | str, code: CloseCode) -> None:
    assert code_of(frame) == code


def test_unknown_fields_are_ignored_for_forward_compatibility() -> None:
    frame = msgspec.msgpack.encode({"type": "heartbeat", "seq": 1, "future_field": [1, 2]})
    assert decode_agent(frame) == Heartbeat(seq=1)


def test_close_reason_fits_websocket_limit() -> None:
    err = ProtocolError(CloseCode.MALFORMED, "é" * 200)
    assert len(err.reason.encode()) <= 123


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=2048))
def test_fuzz_bytes_never_crash(frame: bytes) -> None:
    try:
        decode_agent(frame)
    except ProtocolError as exc:
        assert exc.code in (CloseCode.MALFORMED, CloseCode.TOO_LARGE)


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["type", "seq", "hostname", "agent_id", "disks"]),
        st.one_of(
            st.none(),
            st.integers(-(2**63), 2**64 - 1),
            st.text(max_size=20),
            st.sampled_from(["heartbeat", "inventory", "agent_hello"]),
            st.lists(st.integers(-1000, 1000), max_size=3),
        ),
    )
)
def test_fuzz_structured_never_crash(document: dict[str, object]) -> None:
    try:
        decode_agent(msgspec.msgpack.encode(document))
    except ProtocolError as exc:
        assert exc.code == CloseCode.MALFORMED


def test_negotiation() -> None:
    assert negotiate([1, 2, 3], supported=[1, 2]) == 2
    with pytest.raises(ProtocolError) as err:
        negotiate([7], supported=[1])
    assert err.value.code == CloseCode.VERSION_UNSUPPORTED
