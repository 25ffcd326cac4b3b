"""Random secrets shown once and stored only as hashes."""

from __future__ import annotations

import hashlib
import secrets


def new_token(prefix: str, nbytes: int = 32) -> str:
    return f"{prefix}_{secrets.token_urlsafe(nbytes)}"


def hash_token(token: str) -> str:
    # The tokens carry 256 bits of entropy, so a fast hash is enough (no stretching needed).
    return hashlib.sha256(token.encode()).hexdigest()
