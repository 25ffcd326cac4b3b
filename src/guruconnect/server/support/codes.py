"""Support codes and join tokens.

A code is six random digits from the OS's CSPRNG, never derived from a counter or the
clock, so one code says nothing about the next. Uniqueness among live sessions is the
database's job (``support_sessions.active_code`` is UNIQUE); ``service.create`` retries
on a collision. A join token is what a right code is exchanged for: 256 random bits,
stored only as a hash.
"""

from __future__ import annotations

import re
import secrets

CODE_DIGITS = 6
CODE_SPACE = 10**CODE_DIGITS
CODE_PATTERN = re.compile(r"^[0-9]{6}$")
JOIN_TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,128}$")


def new_code() -> str:
    return f"{secrets.randbelow(CODE_SPACE):0{CODE_DIGITS}d}"


def new_session_id() -> str:
    return "s_" + secrets.token_urlsafe(12)


def new_join_token() -> str:
    return secrets.token_urlsafe(32)


def is_code(text: str) -> bool:
    return CODE_PATTERN.fullmatch(text) is not None
