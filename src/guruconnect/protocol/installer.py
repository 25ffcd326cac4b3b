"""The installer's baked configuration and its signed envelope, shared by server and agent.

The server bakes one :class:`InstallerConfig` into every installer it builds (the Linux
``.sh`` and ``.deb`` today; the Windows MSI and EXE carry the same envelope later, in an
MSI property or inside the Authenticode certificate table of the EXE, so baking never
breaks the stub's signature). The envelope is one line of JSON::

    {"v": 1, "config": "<base64 of the config's JSON>",
     "public_key": "<base64 Ed25519 key>", "signature": "<base64>"}

The signature covers ``SIGN_CONTEXT + config bytes``. The agent verifies it with the
public key baked alongside before using anything in it, so a config edited after the
server signed it (a changed site, a swapped token or server URL) is refused with a clear
error instead of being half-used. The signing key is the server's own (generated on
first use into its data directory); what the signature proves and what it does not is
written down in docs/security.md.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Literal

import msgspec
from msgspec import Meta
from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

SIGN_CONTEXT = b"guruconnect/installer-config/v1\x00"
ENVELOPE_VERSION = 1
MAX_ENVELOPE_BYTES = 16 * 1024

Short = Annotated[str, Meta(max_length=256)]


class BakedConfigError(Exception):
    """The baked config is damaged, tampered with or invalid; the message says which."""


class InstallerConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    installer_id: Annotated[str, Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
    server_url: Annotated[str, Meta(pattern=r"^https?://", max_length=2048)]
    # "" only for an http:// server behind a TLS-terminating proxy.
    server_fingerprint: Annotated[str, Meta(pattern=r"^([0-9a-f]{64})?$")]
    enrollment_token: Annotated[str, Meta(min_length=1, max_length=128)]
    # "machine": the agent uses its host name; "custom": ``name``.
    name_mode: Literal["machine", "custom"] = "machine"
    name: Short = ""
    company: Annotated[str, Meta(min_length=1, max_length=256)] = "-"
    site: Short = ""
    department: Short = ""
    device_type: Short = ""
    tag: Short = ""


class Envelope(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    v: int
    config: str
    public_key: str
    signature: str


def encode_config(cfg: InstallerConfig) -> bytes:
    """The exact bytes that are signed; validated first (Struct() does not check)."""
    data = msgspec.json.encode(cfg)
    try:
        msgspec.json.decode(data, type=InstallerConfig)
    except msgspec.ValidationError as exc:
        raise ValueError(f"invalid installer config: {exc}") from exc
    return data


def seal(cfg: InstallerConfig, key: SigningKey) -> bytes:
    """The signed envelope as one line of ASCII JSON (no newline inside)."""
    data = encode_config(cfg)
    signature = key.sign(SIGN_CONTEXT + data).signature
    envelope = Envelope(
        v=ENVELOPE_VERSION,
        config=base64.b64encode(data).decode("ascii"),
        public_key=base64.b64encode(bytes(key.verify_key)).decode("ascii"),
        signature=base64.b64encode(signature).decode("ascii"),
    )
    return msgspec.json.encode(envelope)


def _b64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BakedConfigError(f"the baked config's {what} is not base64") from exc


def open_envelope(blob: bytes, *, trusted_key: bytes | None = None) -> InstallerConfig:
    """Verify and decode. ``trusted_key``: also require this signer (the server checks
    its own key; an agent only has the key baked alongside)."""
    blob = blob.strip()
    if len(blob) > MAX_ENVELOPE_BYTES:
        raise BakedConfigError(f"the baked config is larger than {MAX_ENVELOPE_BYTES} bytes")
    try:
        envelope = msgspec.json.decode(blob, type=Envelope)
    except msgspec.MsgspecError as exc:
        raise BakedConfigError(f"the baked config is damaged: {exc}") from exc
    if envelope.v != ENVELOPE_VERSION:
        raise BakedConfigError(
            f"the baked config has format version {envelope.v}; this agent reads "
            f"version {ENVELOPE_VERSION}. Download a new installer from the server."
        )
    data = _b64(envelope.config, "config")
    public_key = _b64(envelope.public_key, "public key")
    signature = _b64(envelope.signature, "signature")
    if len(public_key) != 32 or len(signature) != 64:
        raise BakedConfigError("the baked config's key or signature has the wrong length")
    if trusted_key is not None and public_key != trusted_key:
        raise BakedConfigError("the baked config was signed by another server's key")
    try:
        VerifyKey(public_key).verify(SIGN_CONTEXT + data, signature)
    except BadSignatureError:
        raise BakedConfigError(
            "the baked config's signature does not match: the installer was modified "
            "after the server built it. Download it again from the server."
        ) from None
    try:
        return msgspec.json.decode(data, type=InstallerConfig)
    except msgspec.MsgspecError as exc:
        raise BakedConfigError(f"the baked config is invalid: {exc}") from exc
