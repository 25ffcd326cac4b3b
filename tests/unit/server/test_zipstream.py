"""The streamed ZIP writer: what it yields, joined, is an archive that zipfile and
unzip read back exactly, with ZIP64 where a member announces a large size."""

from __future__ import annotations

import io
import os
import subprocess
import zipfile
from pathlib import Path

from guruconnect.server.files.zipstream import ZipStream
from tests.support.system import ensure_command


def build(members: dict[str, bytes], *, announced: dict[str, int] | None = None) -> bytes:
    archive = ZipStream()
    out = [archive.folder("root"), archive.folder("root/empty")]
    for name, data in members.items():
        size = (announced or {}).get(name, len(data))
        out.append(archive.begin(f"root/{name}", size, 1_700_000_000.0))
        for start in range(0, len(data), 1000):
            out.append(archive.data(data[start : start + 1000]))
        out.append(archive.end())
    out.append(archive.text("root/UNREADABLE.txt", "x: denied\n"))
    out.append(archive.close())
    return b"".join(out)


def test_members_read_back_exactly() -> None:
    members = {"a.txt": b"hello", "sub/ü 😀.bin": os.urandom(12_345), "zero": b""}
    with zipfile.ZipFile(io.BytesIO(build(members))) as archive:
        assert archive.testzip() is None
        for name, data in members.items():
            assert archive.read(f"root/{name}") == data
        assert archive.getinfo("root/empty/").is_dir()
        assert archive.read("root/UNREADABLE.txt") == b"x: denied\n"
        info = archive.getinfo("root/a.txt")
        assert info.compress_type == zipfile.ZIP_STORED
        assert info.flag_bits & 0x08  # sizes in a data descriptor: written as a stream
        assert archive.getinfo("root/sub/ü 😀.bin").flag_bits & 0x800  # a UTF-8 name


def test_a_large_announced_member_gets_zip64_headers() -> None:
    data = b"x" * 100
    raw = build({"big.bin": data}, announced={"big.bin": 5 * 1024**3})
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        assert archive.read("root/big.bin") == data
    assert b"\x01\x00" in raw  # the ZIP64 extra field's header id


def test_unzip_accepts_the_archive(tmp_path: Path) -> None:
    unzip = ensure_command("unzip", "unzip")
    path = tmp_path / "a.zip"
    path.write_bytes(build({"a.txt": b"hello", "b/c.txt": b"c" * 5000}))
    done = subprocess.run([unzip, "-t", str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
