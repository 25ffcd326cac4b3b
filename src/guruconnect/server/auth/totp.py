"""TOTP (RFC 6238): enrollment material and replay-proof verification."""

from __future__ import annotations

import base64
import hmac
import time

import pyotp
import segno

ISSUER = "GuruConnect"
STEP = 30


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, username: str) -> str:
    return str(pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER))


def qr_svg_data_uri(uri: str) -> str:
    svg = segno.make(uri, error="m").svg_inline(scale=5)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def verify(secret: str, code: str, last_step: int, now: float | None = None) -> int | None:
    """Return the time step the code belongs to, or None.

    One step of clock drift either way is accepted. A step at or before ``last_step``
    was already used (or is older than one that was), so it is refused: no replay.
    """
    code = code.strip().replace(" ", "")
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = int((time.time() if now is None else now) // STEP)
    for step in (current - 1, current, current + 1):
        if step <= last_step:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None
