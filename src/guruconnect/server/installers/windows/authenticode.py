"""Offline Authenticode checks of the python.org binaries, against a pinned root.

Every binary in the embeddable CPython 3.13.2 is signed by "Python Software Foundation",
under one of two roots (found by verifying each file here):

- python.exe, python313.dll, the .pyd modules: Microsoft's Trusted Signing service. Both
  the code-signing and the timestamp chain end at "Microsoft Identity Verification Root
  Certificate Authority 2020", a code-signing root that Mozilla's (so Debian's) TLS
  bundle does not carry. DigiCert Trusted Root G4 does NOT verify these files.
- libcrypto-3.dll, libssl-3.dll, libffi-8.dll, sqlite3.dll (built earlier): a DigiCert
  certificate under "DigiCert Trusted Root G4" (also in Debian's ca-certificates).

Each signature embeds its root. We take roots from there and trust one only if its
SHA-256 fingerprint is pinned below (values published by Microsoft's PKI repository and
by DigiCert; Microsoft's SHA-1 thumbprint is f40042e2...bfa2). Anything else, another
certificate or a modified file, is refused.
"""

from __future__ import annotations

import base64
import hashlib
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from guruconnect.server.installers.windows.errors import AuthenticodeError, RuntimeBuildError

PINNED_ROOTS = {
    "5367f20c7ade0e2bca790915056d086b720c33c1fa2a2661acf787e3292e1270": (
        "Microsoft Identity Verification Root Certificate Authority 2020"  # RSA 4096, to 2045
    ),
    "552f7bdcf1a7af9e6ce672017f4f12abf77240c78e761ac203d1d9d20ac89988": (
        "DigiCert Trusted Root G4"  # RSA 4096, to 2038
    ),
}
PSF_SIGNER = "Python Software Foundation"
TIMEOUT = 60
_PEM = re.compile(rb"-----BEGIN CERTIFICATE-----\s+(.+?)\s+-----END CERTIFICATE-----", re.S)
_SIGNER_SUBJECT = re.compile(r"Signer #0:\s*\n\s*Subject:\s*(\S.*)")


def osslsigncode() -> str:
    found = shutil.which("osslsigncode")
    if not found:
        raise RuntimeBuildError("osslsigncode is not installed (Debian package osslsigncode)")
    return found


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(  # noqa: S603 - fixed tool, paths we made
            args, capture_output=True, text=True, timeout=TIMEOUT, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RuntimeBuildError(f"{args[0]} failed to run: {exc}") from exc


def pinned_roots(signed_file: Path, out_pem: Path) -> Path:
    """Write the pinned root certificates found in ``signed_file``'s signature to
    ``out_pem``. Raises AuthenticodeError when the signature carries none."""
    with tempfile.TemporaryDirectory(prefix="guru-authenticode-") as tmp:
        p7 = Path(tmp) / "signature.p7"
        done = _run([osslsigncode(), "extract-signature", "-in", str(signed_file), "-out", str(p7)])
        if done.returncode != 0 or not p7.is_file():
            raise AuthenticodeError(f"{signed_file.name} carries no Authenticode signature")
        openssl = shutil.which("openssl")
        if not openssl:
            raise RuntimeBuildError("openssl is not installed (Debian package openssl)")
        try:
            printed = subprocess.run(  # noqa: S603 - fixed tool, a file we made
                [openssl, "pkcs7", "-inform", "DER", "-in", str(p7), "-print_certs"],
                capture_output=True, timeout=TIMEOUT, check=False,
            )  # fmt: skip
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise RuntimeBuildError(f"openssl failed to run: {exc}") from exc
    found: dict[str, bytes] = {}
    for body in _PEM.findall(printed.stdout):
        der = base64.b64decode(b"".join(body.split()))
        fingerprint = hashlib.sha256(der).hexdigest()
        if fingerprint in PINNED_ROOTS:
            found[fingerprint] = der
    if not found:
        raise AuthenticodeError(
            f"the signature of {signed_file.name} carries none of the pinned roots "
            f"({', '.join(PINNED_ROOTS.values())})"
        )
    out_pem.write_text("".join(_to_pem(der) for der in found.values()))
    return out_pem


def _to_pem(der: bytes) -> str:
    body = base64.encodebytes(der).decode().replace("\n", "")
    lines = "\n".join(body[i : i + 64] for i in range(0, len(body), 64))
    return f"-----BEGIN CERTIFICATE-----\n{lines}\n-----END CERTIFICATE-----\n"


def verify(path: Path, root_pem: Path, signer: str = PSF_SIGNER) -> str:
    """Verify ``path``'s Authenticode signature and timestamp offline against the pinned
    roots in ``root_pem`` (checked again here), and that ``signer`` signed it. Returns
    the signer's subject. Raises AuthenticodeError otherwise."""
    bodies = _PEM.findall(root_pem.read_bytes())
    for body in bodies:
        if hashlib.sha256(base64.b64decode(b"".join(body.split()))).hexdigest() not in (
            PINNED_ROOTS
        ):
            raise AuthenticodeError(f"{root_pem} holds a certificate that is not pinned")
    if not bodies:
        raise AuthenticodeError(f"{root_pem} holds no certificate")
    done = _run([
        osslsigncode(), "verify", "-CAfile", str(root_pem), "-TSA-CAfile", str(root_pem),
        "-ignore-crl", "-in", str(path),
    ])  # fmt: skip
    output = done.stdout + done.stderr
    failed = "verification: failed" in output or "MISMATCH" in output
    if done.returncode != 0 or failed or "Succeeded" not in output:
        if "MISMATCH" in output:
            reason = "its contents do not match the signed digest (modified file)"
        else:
            reason = "the signature or its timestamp did not verify against the pinned root"
        raise AuthenticodeError(f"{path.name}: {reason}\n{output[-1500:]}")
    match = _SIGNER_SUBJECT.search(output)
    subject = match.group(1).strip() if match else ""
    if f"/O={signer}/" not in subject + "/" or not subject.endswith(f"/CN={signer}"):
        raise AuthenticodeError(f"{path.name} is signed by {subject!r}, not {signer!r}")
    return subject
