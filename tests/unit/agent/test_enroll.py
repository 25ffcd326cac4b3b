from __future__ import annotations

import asyncio
import base64
import socket

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from guruconnect.agent.enroll import EnrollError, enroll
from guruconnect.agent.identity import public_key_b64
from guruconnect.agent.tls import PinMismatch

from .conftest import EnrollServer, ServerCert


@pytest.mark.asyncio
async def test_wrong_pin_fails_before_any_request_byte(
    enroll_server: EnrollServer, other_cert: ServerCert
) -> None:
    with pytest.raises(PinMismatch, match="does not match the pinned"):
        await asyncio.to_thread(
            enroll, enroll_server.url, "secret-token", fingerprint=other_cert.fingerprint
        )
    await asyncio.wait_for(enroll_server.finished.wait(), 5)
    assert enroll_server.received == [b""]


@pytest.mark.asyncio
async def test_right_pin_enrolls(enroll_server: EnrollServer, server_cert: ServerCert) -> None:
    cfg = await asyncio.to_thread(
        enroll, enroll_server.url, "secret-token",
        name="front-desk", company="Acme", department="IT", tag="vip",
        fingerprint=server_cert.fingerprint,
    )  # fmt: skip
    request = enroll_server.request_json()
    assert enroll_server.received[-1].startswith(b"POST /api/v1/agents/enroll HTTP/1.1\r\n")
    assert request["token"] == "secret-token"
    assert request["hostname"] == socket.gethostname()
    assert request["site"] == "" and request["device_type"] == ""
    assert request["public_key"] == public_key_b64(cfg.seed)
    assert len(base64.b64decode(str(request["public_key"]))) == 32
    Ed25519PublicKey.from_public_bytes(base64.b64decode(str(request["public_key"])))
    # The server's values win for what it decides; ours are kept for the rest.
    assert (cfg.agent_id, cfg.company, cfg.site, cfg.name) == ("ag_123", "Acme", "HQ", "pc1")
    assert (cfg.department, cfg.tag) == ("IT", "vip")
    assert cfg.server_fingerprint == server_cert.fingerprint
    assert cfg.server_url == enroll_server.url


@pytest.mark.asyncio
async def test_first_use_records_the_observed_certificate(
    enroll_server: EnrollServer, server_cert: ServerCert
) -> None:
    cfg = await asyncio.to_thread(enroll, enroll_server.url, "t")
    assert cfg.server_fingerprint == server_cert.fingerprint


@pytest.mark.asyncio
async def test_server_refusal_carries_its_message_and_status(
    enroll_server: EnrollServer,
) -> None:
    enroll_server.status = 403
    enroll_server.answer = {"detail": "enrollment token expired"}
    with pytest.raises(EnrollError, match="enrollment token expired") as info:
        await asyncio.to_thread(enroll, enroll_server.url, "t")
    assert info.value.status == 403


@pytest.mark.asyncio
async def test_malformed_success_answer_is_an_error(enroll_server: EnrollServer) -> None:
    enroll_server.answer = {"agent_id": "bad id!", "company": "", "site": "", "name": ""}
    with pytest.raises(EnrollError, match="unexpected enrollment answer"):
        await asyncio.to_thread(enroll, enroll_server.url, "t")


def test_unreachable_server_is_a_clear_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(EnrollError, match=f"cannot connect to https://127.0.0.1:{port}"):
        enroll(f"https://127.0.0.1:{port}", "t", timeout=5)
