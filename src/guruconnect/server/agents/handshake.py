"""Agent authentication: the agent signs our fresh challenge with its enrolled key."""

from __future__ import annotations

import secrets

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy.ext.asyncio import AsyncSession

from guruconnect.protocol import AgentHello, CloseCode, ProtocolError
from guruconnect.protocol.messages import CHALLENGE_BYTES, auth_payload
from guruconnect.server.db.models import Machine


def new_challenge() -> bytes:
    return secrets.token_bytes(CHALLENGE_BYTES)


async def authenticate(db: AsyncSession, hello: AgentHello, challenge: bytes) -> Machine:
    machine = await db.get(Machine, hello.agent_id)
    # Unknown agent and bad signature answer alike, so ids cannot be probed.
    if machine is None:
        raise ProtocolError(CloseCode.AUTH_FAILED, "agent authentication failed")
    try:
        Ed25519PublicKey.from_public_bytes(machine.public_key).verify(
            hello.signature, auth_payload(challenge, hello.agent_id)
        )
    except (InvalidSignature, ValueError) as exc:
        raise ProtocolError(CloseCode.AUTH_FAILED, "agent authentication failed") from exc
    return machine
