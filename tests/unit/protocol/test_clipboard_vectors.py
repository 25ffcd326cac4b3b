"""Clipboard and typing messages: the bytes the viewer must read and write
(tests/vectors/clipboard.json, also checked by web/test/viewer-clipboard.test.ts)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import msgspec
import pytest

from guruconnect.protocol import ProtocolError, encode
from guruconnect.protocol.clipboard import (
    CHUNK_BYTES,
    ClipboardAck,
    ClipboardChunk,
    ClipboardError,
    ClipboardFiles,
    ClipboardFormat,
    ClipboardOffer,
    ClipboardRequest,
    CopiedFile,
    TypeCancel,
    TypeProgress,
    TypeText,
)
from guruconnect.protocol.codec import (
    decode_to_worker,
    decode_viewer_inbound,
    decode_viewer_outbound,
    decode_worker,
)

VECTORS = Path(__file__).resolve().parents[2] / "vectors" / "clipboard.json"

OFFER = ClipboardOffer(
    transfer=3,
    formats=[
        ClipboardFormat(kind="text", size=5, sha256=hashlib.sha256(b"hello").digest()),
        ClipboardFormat(kind="html", size=8, sha256=hashlib.sha256(b"<b>hi</b>"[:8]).digest()),
    ],
)
# Both directions: the viewer sends and receives offers and chunks.
BOTH: dict[str, msgspec.Struct] = {
    "clipboard_offer": OFFER,
    "clipboard_offer_answer": ClipboardOffer(
        transfer=4,
        formats=[ClipboardFormat(kind="png", size=0, sha256=hashlib.sha256(b"").digest())],
        request=9,
    ),
    "clipboard_chunk": ClipboardChunk(transfer=3, index=0, data=b"hello<b>hi</b"),
}
OUT: dict[str, msgspec.Struct] = {
    "clipboard_error": ClipboardError(transfer=3, message="too large"),
    "clipboard_files": ClipboardFiles(
        files=[
            CopiedFile(path="/home/ann/report ü.pdf", size=12345),
            CopiedFile(path="C:\\Users\\ann\\Logs", kind="dir"),
        ],
        truncated=True,
        request=4,
    ),
    "type_progress": TypeProgress(job=2, typed=10, total=27),
    "type_progress_done": TypeProgress(job=2, typed=27, total=27, state="done", skipped=1),
}
IN: dict[str, msgspec.Struct] = {
    "clipboard_request": ClipboardRequest(request=1),
    "type_text": TypeText(job=2, text="Pa$$w0rd! é ü 😀 \t\n", interval_ms=40),
    "type_text_default": TypeText(job=5, text="x"),
    "type_cancel": TypeCancel(job=2),
}

# Server -> worker only: a viewer must refuse it (web/test checks the browser does).
TO_WORKER: dict[str, msgspec.Struct] = {
    "clipboard_ack": ClipboardAck(transfer=3, index=7),
    "clipboard_ack_stop": ClipboardAck(transfer=3, index=0, stop=True),
}


def current() -> dict[str, str]:
    every = {**BOTH, **OUT, **IN, **TO_WORKER}
    return {name: encode(m).hex() for name, m in every.items()}


def test_vectors_match_definitions() -> None:
    assert json.loads(VECTORS.read_text()) == current(), (
        "regenerate: python -m tests.unit.protocol.test_clipboard_vectors"
    )


def test_each_socket_accepts_its_messages() -> None:
    for name, m in {**BOTH, **IN}.items():
        assert decode_viewer_inbound(encode(m)) == m, name
    for name, m in {**BOTH, **OUT}.items():
        assert decode_viewer_outbound(encode(m)) == m, name
    for name, m in BOTH.items():
        assert decode_worker(encode(m)) == m, name
        assert decode_to_worker(encode(m)) == m, name
    assert decode_to_worker(encode(IN["type_text"])) == IN["type_text"]
    for name, m in TO_WORKER.items():
        assert decode_to_worker(encode(m)) == m, name
        for decode in (decode_viewer_inbound, decode_viewer_outbound, decode_worker):
            with pytest.raises(ProtocolError):
                decode(encode(m))


@pytest.mark.parametrize(
    "bad",
    [
        ClipboardChunk(transfer=1, index=0, data=b"x" * (CHUNK_BYTES + 1)),
        {"type": "clipboard_offer", "transfer": 1, "formats": []},
        {"type": "clipboard_offer", "transfer": 0, "formats": [
            {"kind": "text", "size": 1, "sha256": b"\0" * 32}]},
        {"type": "clipboard_offer", "transfer": 1, "formats": [
            {"kind": "pdf", "size": 1, "sha256": b"\0" * 32}]},
        {"type": "clipboard_offer", "transfer": 1, "formats": [
            {"kind": "text", "size": 1, "sha256": b"\0" * 31}]},
        {"type": "type_text", "job": 1, "text": ""},
        {"type": "type_text", "job": 1, "text": "x" * 20_001},
        {"type": "type_text", "job": 1, "text": "x", "interval_ms": 5000},
    ],
)  # fmt: skip
def test_malformed_messages_are_refused(bad: object) -> None:
    frame = msgspec.msgpack.encode(bad)
    with pytest.raises(ProtocolError):
        decode_viewer_inbound(frame)


@pytest.mark.parametrize(
    "bad",
    [
        {"type": "clipboard_ack", "transfer": 0, "index": 0},
        {"type": "clipboard_ack", "transfer": 1, "index": -1},
        {"type": "clipboard_ack", "transfer": 1, "index": 0, "stop": "yes"},
    ],
)
def test_malformed_acks_are_refused(bad: object) -> None:
    with pytest.raises(ProtocolError):
        decode_to_worker(msgspec.msgpack.encode(bad))


def test_copied_files_come_from_the_worker_only() -> None:
    files = OUT["clipboard_files"]
    assert decode_worker(encode(files)) == files
    for decode in (decode_viewer_inbound, decode_to_worker):  # never towards a machine
        with pytest.raises(ProtocolError):
            decode(encode(files))


@pytest.mark.parametrize(
    "bad",
    [
        {"type": "clipboard_files", "files": []},
        {"type": "clipboard_files", "files": [{"path": ""}]},
        {"type": "clipboard_files", "files": [{"path": "/a", "kind": "socket"}]},
        {"type": "clipboard_files", "files": [{"path": "/a", "size": -1}]},
        {"type": "clipboard_files", "files": [{"path": "/a" * 3000}]},
        {"type": "clipboard_files", "files": [{"path": "/a"}] * 501},
    ],
)
def test_malformed_copied_files_are_refused(bad: object) -> None:
    with pytest.raises(ProtocolError):
        decode_worker(msgspec.msgpack.encode(bad))


if __name__ == "__main__":
    VECTORS.write_text(json.dumps(current(), indent=2) + "\n")
