"""The signed baked installer config: round trips exactly, refuses any tampering."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from nacl.signing import SigningKey

from guruconnect.protocol.installer import (
    BakedConfigError,
    InstallerConfig,
    open_envelope,
    seal,
)

KEY = SigningKey(b"k" * 32)
BASE = InstallerConfig(
    installer_id="abc_DEF-1",
    server_url="https://rmm.example.com:8443",
    server_fingerprint="ab" * 32,
    enrollment_token="gce_secret",
    company="Glaztech Industries",
)


def test_metadata_with_quotes_newlines_and_unicode_round_trips_exactly() -> None:
    cfg = InstallerConfig(
        **{**_fields(BASE), "name_mode": "custom", "name": "Bob's \"PC\"\nline 2",
           "site": "Zürich \u2013 東京 🏢", "department": "R&D <lab>; rm -rf /",
           "device_type": "Laptop\t\r\n", "tag": "'\"`$(id)`\\"},
    )  # fmt: skip
    blob = seal(cfg, KEY)
    assert b"\n" not in blob
    assert open_envelope(blob) == cfg
    assert open_envelope(blob, trusted_key=bytes(KEY.verify_key)) == cfg


@given(st.text(max_size=256), st.text(max_size=256))
def test_any_metadata_round_trips(site: str, tag: str) -> None:
    cfg = InstallerConfig(**{**_fields(BASE), "site": site, "tag": tag})
    assert open_envelope(seal(cfg, KEY)) == cfg


def _fields(cfg: InstallerConfig) -> dict[str, object]:
    return {f: getattr(cfg, f) for f in cfg.__struct_fields__}


def _tampered(blob: bytes, **config_changes: object) -> bytes:
    envelope = json.loads(blob)
    config = json.loads(base64.b64decode(envelope["config"]))
    config.update(config_changes)
    envelope["config"] = base64.b64encode(json.dumps(config).encode()).decode()
    return json.dumps(envelope).encode()


@pytest.mark.parametrize(
    "changes",
    [{"site": "Elsewhere"}, {"server_url": "https://evil.example"}, {"enrollment_token": "x"}],
)
def test_a_changed_config_is_refused(changes: dict[str, object]) -> None:
    with pytest.raises(BakedConfigError, match=r"signature does not match.*modified"):
        open_envelope(_tampered(seal(BASE, KEY), **changes))


def test_a_config_signed_by_another_key_is_refused_when_the_signer_is_known() -> None:
    other = SigningKey(b"o" * 32)
    blob = seal(BASE, other)
    assert open_envelope(blob) == BASE  # consistent in itself
    with pytest.raises(BakedConfigError, match="another server's key"):
        open_envelope(blob, trusted_key=bytes(KEY.verify_key))


@pytest.mark.parametrize(
    ("blob", "message"),
    [
        (b"", "damaged"),
        (b"not json", "damaged"),
        (b'{"v": 2, "config": "", "public_key": "", "signature": ""}', "format version 2"),
        (b'{"v": 1, "config": "!!", "public_key": "", "signature": ""}', "not base64"),
        (b'{"v": 1, "config": "", "public_key": "", "signature": ""}', "wrong length"),
        (b"x" * 20000, "larger than"),
    ],
)
def test_garbage_gets_a_clear_error(blob: bytes, message: str) -> None:
    with pytest.raises(BakedConfigError, match=message):
        open_envelope(blob)


def test_an_invalid_config_is_not_signed() -> None:
    with pytest.raises(ValueError, match="invalid installer config"):
        seal(InstallerConfig(**{**_fields(BASE), "server_url": "ftp://x"}), KEY)
