"""The server's installer keys, generated on first use into the data directory (never
committed, never sent anywhere):

- ``installer-signing.key``: Ed25519 seed that signs every baked config
  (``protocol/installer.py``);
- ``installer-secret.key``: XSalsa20-Poly1305 key that seals the secrets an installer row
  must keep to rebuild its installer later (the raw enrollment token, the URL token).
"""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path

from nacl.secret import SecretBox
from nacl.signing import SigningKey
from nacl.utils import random

SIGNING_FILE = "installer-signing.key"
SECRET_FILE = "installer-secret.key"  # noqa: S105 - a file name


def _load_or_create(path: Path, size: int) -> bytes:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        data = random(size)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another worker won the race: use its key
            return _load_or_create(path, size)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        return data
    if len(data) != size:
        raise RuntimeError(f"{path} is damaged: expected {size} bytes, found {len(data)}")
    return data


@functools.cache
def signing_key(data_dir: Path) -> SigningKey:
    return SigningKey(_load_or_create(data_dir / SIGNING_FILE, 32))


@functools.cache
def _box(data_dir: Path) -> SecretBox:
    return SecretBox(_load_or_create(data_dir / SECRET_FILE, SecretBox.KEY_SIZE))


def seal(data_dir: Path, secrets: dict[str, str]) -> bytes:
    return bytes(_box(data_dir).encrypt(json.dumps(secrets).encode()))


def unseal(data_dir: Path, sealed: bytes) -> dict[str, str]:
    value = json.loads(_box(data_dir).decrypt(sealed))
    if not isinstance(value, dict):
        raise ValueError("sealed installer secrets are not an object")
    return {str(k): str(v) for k, v in value.items()}
