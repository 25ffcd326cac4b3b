"""File-transfer test vectors shared with the browser (web/test/files-messages.test.ts):
the same bytes must decode the same in Python and TypeScript.

Regenerate with ``python -m tests.unit.protocol.test_files_vectors``.
"""

from __future__ import annotations

import json
from pathlib import Path

import msgspec
import pytest

from guruconnect.protocol import ProtocolError, encode
from guruconnect.protocol.codec import (
    decode_files_browser_inbound,
    decode_files_browser_outbound,
    decode_files_reply,
    decode_files_request,
)
from guruconnect.protocol.files import (
    CHUNK_BYTES,
    MAX_FILES_FRAME_BYTES,
    Cancel,
    CancelDownload,
    DownloadProgress,
    Entry,
    FileError,
    ListDir,
    Listing,
    ListRoots,
    Root,
    Roots,
    TransferDone,
    UploadAck,
    UploadBegin,
    UploadChunk,
    UploadEnd,
    UploadReady,
    Walk,
    WalkFile,
    WalkResult,
)

VECTORS = Path(__file__).resolve().parents[2] / "vectors" / "files.json"
SHA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

OUT: dict[str, msgspec.Struct] = {
    "roots": Roots(id=1, roots=[Root(path="/", label="/", total=1000, free=400)]),
    "listing": Listing(
        id=2,
        path="/home/alice",
        entries=[
            Entry(name="docs", kind="dir", mtime=1700000000.5),
            Entry(name="été.txt", kind="file", size=12, mtime=1700000001.0),
        ],
    ),
    "walk_result": WalkResult(
        id=3, path="/srv", files=[WalkFile(rel="a/b.txt", size=3)], dirs=["a"]
    ),
    "upload_ready": UploadReady(id=4, path="/tmp/x (1).bin", offset=1048576),
    "upload_ack": UploadAck(id=4, offset=2097152),
    "transfer_done": TransferDone(id=4, size=2097152, sha256=SHA),
    "file_error": FileError(
        id=5,
        code="exists",
        message="x.bin already exists",
        existing=Entry(name="x.bin", kind="file", size=9, mtime=1.5),
    ),
    "download_progress": DownloadProgress(transfer="abcdef0123456789", done=10, total=20),
}
IN: dict[str, msgspec.Struct] = {
    "list_roots": ListRoots(id=1),
    "list_dir": ListDir(id=2, path="C:\\Users"),
    "walk": Walk(id=3, path="/srv"),
    "upload_begin": UploadBegin(
        id=4, path="/tmp/x.bin", size=3, conflict="rename", mkdirs=True, source="paste"
    ),
    "upload_chunk": UploadChunk(id=4, offset=0, data=b"abc"),
    "upload_end": UploadEnd(id=4, sha256=SHA),
    "cancel": Cancel(id=4),
    "cancel_download": CancelDownload(transfer="abcdef0123456789"),
}


def _current() -> dict[str, str]:
    return {name: encode(msg).hex() for name, msg in {**OUT, **IN}.items()}


def test_files_vectors_match_definitions() -> None:
    assert json.loads(VECTORS.read_text()) == _current(), (
        "regenerate: python -m tests.unit.protocol.test_files_vectors"
    )
    for name, msg in OUT.items():
        assert decode_files_browser_outbound(encode(msg)) == msg, name
    for name, msg in IN.items():
        assert decode_files_browser_inbound(encode(msg)) == msg, name


def test_requests_and_replies_decode_on_the_agent_socket() -> None:
    assert decode_files_request(encode(ListDir(id=1, path="/x"))) == ListDir(id=1, path="/x")
    assert decode_files_reply(encode(UploadAck(id=1, offset=5))) == UploadAck(id=1, offset=5)


@pytest.mark.parametrize(
    "frame",
    [
        encode(UploadChunk(id=1, offset=0, data=b"x" * (CHUNK_BYTES + 1))),  # chunk too big
        encode(UploadEnd(id=1, sha256="not-a-hash")),
        encode(ListDir(id=1, path="")),  # empty path
        encode(ListDir(id=-1, path="/")),
        encode(UploadBegin(id=1, path="/x", size=1, conflict="explode")),  # type: ignore[arg-type]
        b"\x00" * (MAX_FILES_FRAME_BYTES + 1),
        "text frame",
    ],
)
def test_bad_frames_are_refused(frame: bytes | str) -> None:
    with pytest.raises(ProtocolError):
        decode_files_browser_inbound(frame)


def test_browser_may_not_send_download_begin() -> None:
    from guruconnect.protocol.files import DownloadBegin

    with pytest.raises(ProtocolError):
        decode_files_browser_inbound(encode(DownloadBegin(id=1, path="/etc/shadow")))


if __name__ == "__main__":
    VECTORS.write_text(json.dumps(_current(), indent=2, ensure_ascii=False) + "\n")
