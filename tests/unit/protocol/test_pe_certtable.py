"""The config inside the Authenticode certificate table, on real signed EXEs: a small
NSIS stub built with makensis and signed by osslsigncode with the server's self-signed
test certificate. Baking keeps ``osslsigncode verify`` passing; tampering anywhere is
caught (the signed bytes by Authenticode, the config by its Ed25519 signature)."""

from __future__ import annotations

import io
import struct
import subprocess
from pathlib import Path

import pytest
from nacl.signing import SigningKey

from guruconnect.agent.install.installer import InstallError
from guruconnect.agent.install.windows import baked_from_exe
from guruconnect.protocol.installer import InstallerConfig, seal
from guruconnect.protocol.pe_certtable import (
    MAGIC,
    CertTableError,
    bake,
    parse_headers,
    pe_checksum,
    read_baked,
)
from guruconnect.server.installers.windows import codesign
from tests.support.system import ensure_command

CFG = InstallerConfig(
    installer_id="inst-1",
    server_url="https://rmm.example.com:8443",
    server_fingerprint="ab" * 32,
    enrollment_token="gce_secret",
    company="Glaztech Industries",
    site='Zürich "HQ" \u2013 東京',
)
ENVELOPE = seal(CFG, SigningKey(b"k" * 32))


@pytest.fixture(scope="module")
def stubs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, codesign.Signer]:
    ensure_command("makensis", "nsis")
    ensure_command("osslsigncode", "osslsigncode")
    work = tmp_path_factory.mktemp("pe")
    (work / "payload.txt").write_text("hello\n")
    (work / "stub.nsi").write_text(
        'Unicode true\nSetCompressor /SOLID lzma\nOutFile "stub.exe"\nSilentInstall silent\n'
        'RequestExecutionLevel user\nSection\n  InitPluginsDir\n  SetOutPath "$PLUGINSDIR"\n'
        '  File "payload.txt"\nSectionEnd\n'
    )
    subprocess.run(["makensis", "-V1", "stub.nsi"], cwd=work, check=True, capture_output=True)
    signer = codesign.make_test_certificate(work / "codesign")
    codesign.sign(work / "stub.exe", work / "signed.exe", signer, description="test")
    return work / "stub.exe", work / "signed.exe", signer


def verify(path: Path, signer: codesign.Signer) -> subprocess.CompletedProcess[str]:
    return codesign.verify(path, signer.cert)


def test_baked_exe_keeps_its_signature_and_gives_the_config_back(
    stubs: tuple[Path, Path, codesign.Signer], tmp_path: Path
) -> None:
    _, signed, signer = stubs
    original = signed.read_bytes()
    baked = bake(original, ENVELOPE)
    # Everything before the table is unchanged except the checksum and the table size.
    layout = parse_headers(original)
    assert len(baked) > len(original) and (len(baked) - layout.table_offset) % 8 == 0
    out = tmp_path / "baked.exe"
    out.write_bytes(baked)
    result = verify(out, signer)
    assert result.returncode == 0 and "Signature verification: ok" in result.stdout, result
    assert "MISMATCH" not in result.stdout
    with out.open("rb") as f:
        assert read_baked(f) == ENVELOPE
    assert baked_from_exe(out) == CFG
    # Baking again replaces the config instead of stacking a second one.
    again = bake(baked, b'{"other": 1}')
    assert read_baked(io.BytesIO(again)) == b'{"other": 1}'
    assert len(again) < len(baked)
    out.write_bytes(again)
    assert verify(out, signer).returncode == 0


def test_checksum_matches_the_one_osslsigncode_wrote(
    stubs: tuple[Path, Path, codesign.Signer],
) -> None:
    _, signed, _ = stubs
    data = signed.read_bytes()
    layout = parse_headers(data)
    (written,) = struct.unpack_from("<I", data, layout.checksum_offset)
    assert written != 0 and pe_checksum(data, layout.checksum_offset) == written


def test_tampering_is_caught(stubs: tuple[Path, Path, codesign.Signer], tmp_path: Path) -> None:
    _, signed, signer = stubs
    baked = bytearray(bake(signed.read_bytes(), ENVELOPE))
    # 1. A changed config: Authenticode does not cover it, the Ed25519 signature does.
    path = tmp_path / "forged.exe"
    path.write_bytes(bake(signed.read_bytes(), _flip_config(ENVELOPE)))
    assert verify(path, signer).returncode == 0  # the Authenticode check cannot see it ...
    with pytest.raises(InstallError, match="signature does not match"):
        baked_from_exe(path)  # ... the agent does
    # 2. A changed byte in the signed part: osslsigncode verify fails.
    code = parse_headers(bytes(baked)).table_offset // 2
    baked[code] ^= 0xFF
    path.write_bytes(bytes(baked))
    result = verify(path, signer)
    assert result.returncode != 0, result.stdout


def _flip_config(envelope: bytes) -> bytes:
    """The envelope with its signed config's site changed (signature left as it was)."""
    import base64
    import json

    outer = json.loads(envelope)
    inner = json.loads(base64.b64decode(outer["config"]))
    inner["site"] = "Attacker Site"
    outer["config"] = base64.b64encode(json.dumps(inner).encode()).decode()
    return json.dumps(outer).encode()


def test_refusals_say_what_is_wrong(stubs: tuple[Path, Path, codesign.Signer]) -> None:
    unsigned, signed, _ = stubs
    with pytest.raises(CertTableError, match="not signed"):
        bake(unsigned.read_bytes(), ENVELOPE)
    with pytest.raises(CertTableError, match="not signed"):
        read_baked(io.BytesIO(unsigned.read_bytes()))
    with pytest.raises(CertTableError, match="carries no baked config"):
        read_baked(io.BytesIO(signed.read_bytes()))
    with pytest.raises(CertTableError, match="no MZ header"):
        read_baked(io.BytesIO(b"#!/bin/sh\n" * 20))
    with pytest.raises(CertTableError, match="no PE header"):
        read_baked(io.BytesIO(b"MZ" + b"\0" * 200))
    # Data appended after the signature (a download glued to something): refused.
    with pytest.raises(CertTableError, match="not at the end"):
        bake(signed.read_bytes() + b"\0" * 8, ENVELOPE)
    with pytest.raises(ValueError, match="1 to"):
        bake(signed.read_bytes(), b"")
    baked = bytearray(bake(signed.read_bytes(), ENVELOPE))
    # A length field pointing past the entry.
    at = baked.index(MAGIC) + len(MAGIC)
    struct.pack_into("<I", baked, at, 10**6)
    with pytest.raises(CertTableError, match="damaged"):
        read_baked(io.BytesIO(bytes(baked)))
    # Unknown bytes after the PKCS#7 blob.
    baked[at - len(MAGIC)] ^= 0x01
    with pytest.raises(CertTableError, match="unknown data"):
        read_baked(io.BytesIO(bytes(baked)))
    # A truncated download.
    whole = bake(signed.read_bytes(), ENVELOPE)
    with pytest.raises(CertTableError, match="truncated"):
        read_baked(io.BytesIO(whole[:-40]))
