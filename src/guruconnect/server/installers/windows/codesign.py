"""Authenticode signing of the EXE stubs with ``osslsigncode``.

The certificate is the one named by the settings ``codesign_cert_file`` and
``codesign_key_file`` (PEM; a real code-signing certificate for production), or else a
self-signed test certificate the server makes on first use in
``<data_dir>/codesign/`` (Windows shows such a signature as "unknown publisher"; it
still proves the file was not changed after signing). Signing happens once per stub
and release; baking a config later does not touch the signed bytes
(``protocol/pe_certtable.py``).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from guruconnect.server.config import Settings

TEST_SUBJECT = "GuruConnect test code signing"
TEST_DIR = "codesign"
SIGN_TIMEOUT = 300


class SigningError(Exception):
    """osslsigncode is missing or refused to sign; the message says which."""


@dataclass(frozen=True)
class Signer:
    cert: Path
    key: Path
    test: bool  # the self-signed certificate made by the server


def make_test_certificate(directory: Path) -> Signer:
    """A self-signed RSA certificate with the code-signing usage (once, then reused)."""
    cert_path, key_path = directory / "test-codesign.crt", directory / "test-codesign.key"
    if cert_path.exists() and key_path.exists():
        return Signer(cert_path, key_path, test=True)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, TEST_SUBJECT)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), critical=False)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, False, False, False, False),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    pem_key = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem_key)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return Signer(cert_path, key_path, test=True)


def signer_for(settings: Settings) -> Signer:
    if settings.codesign_cert_file:
        return Signer(Path(settings.codesign_cert_file), Path(settings.codesign_key_file), False)
    return make_test_certificate(settings.data_dir / TEST_DIR)


def osslsigncode() -> str:
    found = shutil.which("osslsigncode")
    if found is None:
        raise SigningError("osslsigncode is not installed (Debian package osslsigncode)")
    return found


def sign(source: Path, target: Path, signer: Signer, *, description: str) -> None:
    """Sign ``source`` into ``target`` (SHA-256, no timestamp: nothing reachable here)."""
    target.unlink(missing_ok=True)
    done = subprocess.run(  # noqa: S603
        [osslsigncode(), "sign", "-certs", str(signer.cert), "-key", str(signer.key),
         "-h", "sha256", "-n", description, "-in", str(source), "-out", str(target)],
        capture_output=True, text=True, timeout=SIGN_TIMEOUT, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise SigningError(f"osslsigncode sign failed: {(done.stderr or done.stdout).strip()}")


def verify(path: Path, ca_file: Path) -> subprocess.CompletedProcess[str]:
    """``osslsigncode verify`` against ``ca_file`` (the test certificate is its own CA)."""
    return subprocess.run(  # noqa: S603
        [osslsigncode(), "verify", "-CAfile", str(ca_file), "-ignore-crl", "-in", str(path)],
        capture_output=True, text=True, timeout=SIGN_TIMEOUT, check=False,
    )  # fmt: skip
