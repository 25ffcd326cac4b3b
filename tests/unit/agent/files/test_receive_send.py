"""Upload and download on the agent, without a network: .part files, the hash check,
resume, cancel, and errors that leave nothing looking complete."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from guruconnect.agent.files.paths import Roots
from guruconnect.agent.files.receive import TransferError, Upload
from guruconnect.agent.files.send import Download


@pytest.fixture
def roots(tmp_path: Path) -> Roots:
    return Roots.from_config([str(tmp_path)])


def test_upload_resume_and_hash(tmp_path: Path, roots: Roots) -> None:
    data = os.urandom(3_000_000)
    digest = hashlib.sha256(data).hexdigest()
    target = tmp_path / "f.bin"
    first = Upload.begin(str(target), len(data), "ask", False, roots)
    first.write(0, data[:1_000_000])
    first.abandon()  # connection dropped
    assert not target.exists() and (tmp_path / "f.bin.part").stat().st_size == 1_000_000
    second = Upload.begin(str(target), len(data), "ask", False, roots)
    assert second.offset == 1_000_000
    with pytest.raises(TransferError, match="expected 1000000"):
        second.write(0, data[:10])
    second.write(1_000_000, data[1_000_000:])
    assert second.finish(digest) == digest
    assert target.read_bytes() == data and not (tmp_path / "f.bin.part").exists()


def test_hash_mismatch_removes_the_part(tmp_path: Path, roots: Roots) -> None:
    upload = Upload.begin(str(tmp_path / "g"), 3, "ask", False, roots)
    upload.write(0, b"abc")
    with pytest.raises(TransferError) as err:
        upload.finish("0" * 64)
    assert err.value.code == "hash_mismatch"
    assert not (tmp_path / "g").exists() and not (tmp_path / "g.part").exists()


def test_cancel_removes_the_part_and_overrun_is_refused(tmp_path: Path, roots: Roots) -> None:
    upload = Upload.begin(str(tmp_path / "h"), 2, "ask", False, roots)
    with pytest.raises(TransferError, match="more data"):
        upload.write(0, b"abc")
    upload = Upload.begin(str(tmp_path / "h"), 2, "ask", False, roots)
    upload.write(0, b"a")
    upload.cancel()
    assert not (tmp_path / "h.part").exists() and not (tmp_path / "h").exists()


def test_planted_part_symlink_is_not_followed(tmp_path: Path, roots: Roots) -> None:
    victim = tmp_path / "victim"
    victim.write_text("keep")
    (tmp_path / "x.part").symlink_to(victim)
    with pytest.raises(TransferError):
        Upload.begin(str(tmp_path / "x"), 10, "ask", False, roots)
    assert victim.read_text() == "keep"


def test_download_from_an_offset_hashes_the_whole_file(tmp_path: Path, roots: Roots) -> None:
    data = os.urandom(2_500_000)
    (tmp_path / "d").write_bytes(data)
    download = Download.open(str(tmp_path / "d"), 1_000_000, roots)
    got = b""
    while chunk := download.read():
        got += chunk
    download.close()
    assert got == data[1_000_000:]
    assert download.hasher.hexdigest() == hashlib.sha256(data).hexdigest()
    with pytest.raises(TransferError) as err:
        Download.open(str(tmp_path), 0, roots)
    assert err.value.code == "not_a_file"
