from __future__ import annotations

import base64
import os

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from guruconnect.agent.identity import decode_seed, encode_seed, generate_seed, public_key_b64, sign
from guruconnect.agent.tls import normalize_fingerprint
from guruconnect.protocol.messages import auth_payload


def test_signature_verifies_against_the_auth_payload() -> None:
    seed = generate_seed()
    challenge = os.urandom(32)
    signature = sign(seed, auth_payload(challenge, "ag_1"))
    public = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key_b64(seed)))
    public.verify(signature, auth_payload(challenge, "ag_1"))
    with pytest.raises(InvalidSignature):
        public.verify(signature, auth_payload(challenge, "ag_2"))


def test_seed_encoding_round_trips_and_rejects_garbage() -> None:
    seed = generate_seed()
    assert len(seed) == 32
    assert decode_seed(encode_seed(seed)) == seed
    with pytest.raises(ValueError, match="base64"):
        decode_seed("not base64!")
    with pytest.raises(ValueError, match="32 bytes"):
        decode_seed(base64.b64encode(b"short").decode())


def test_fingerprints_accept_colons_and_case() -> None:
    expected = "ab" * 32
    assert normalize_fingerprint(":".join(["AB"] * 32)) == expected
    with pytest.raises(ValueError, match="64 hex characters"):
        normalize_fingerprint("abc")
