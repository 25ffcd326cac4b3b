"""TLS towards the server, trusted by certificate pinning rather than by a CA.

Self-hosted servers mostly run with self-signed or internal-CA certificates, so the
agent pins the SHA-256 of the server's DER certificate recorded at enrollment. CA
verification is switched off on purpose: the pin is strictly stronger.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import ssl

_HEX64 = re.compile(r"^[0-9a-f]{64}$")


class PinMismatch(Exception):
    """The server's certificate is not the one this agent was enrolled against."""

    def __init__(self, observed: str, expected: str) -> None:
        super().__init__(
            f"server certificate sha256 {observed or '(none)'} does not match the pinned "
            f"{expected}; refusing to talk to it. If the server's certificate was replaced "
            "on purpose, re-enroll with --fingerprint set to the new value."
        )
        self.observed = observed
        self.expected = expected


def client_context() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    # Order matters: check_hostname must be off before verify_mode can be CERT_NONE.
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def normalize_fingerprint(text: str) -> str:
    """Accept ``AB:CD:...`` or ``abcd...``; return 64 lowercase hex chars. Raises ValueError."""
    cleaned = text.strip().replace(":", "").lower()
    if not _HEX64.match(cleaned):
        raise ValueError(
            f"invalid certificate fingerprint {text!r}: expected a SHA-256 as 64 hex "
            "characters (colons allowed)"
        )
    return cleaned


def fingerprint_of(ssl_object: ssl.SSLObject | ssl.SSLSocket | None) -> str:
    """SHA-256 hex of the peer's DER certificate; "" when there is none."""
    if ssl_object is None:
        return ""
    der = ssl_object.getpeercert(binary_form=True)
    return hashlib.sha256(der).hexdigest() if der else ""


def check_pin(ssl_object: ssl.SSLObject | ssl.SSLSocket | None, expected: str) -> str:
    """Return the observed fingerprint, or raise PinMismatch."""
    observed = fingerprint_of(ssl_object)
    # An empty observation must never match, even against an empty pin.
    if not observed or not hmac.compare_digest(observed, expected):
        raise PinMismatch(observed, expected)
    return observed
