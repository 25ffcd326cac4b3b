"""Enrollment rules: which token may enroll what, and recording the new machine."""

from __future__ import annotations

import base64
import binascii
import secrets

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from guruconnect.server.auth.tokens import hash_token
from guruconnect.server.db.models import EnrollmentToken, Machine
from guruconnect.server.db.types import utcnow
from guruconnect.server.enrollment.schemas import EnrollIn
from guruconnect.server.machines.facts import refresh_search_text, version_key

TOKEN_PREFIX = "gce"  # noqa: S105 - a label, not a secret


class EnrollmentRefused(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def decode_public_key(text: str) -> bytes:
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise EnrollmentRefused(422, "public_key is not base64") from exc
    if len(raw) != 32:
        raise EnrollmentRefused(422, "public_key must be a 32-byte Ed25519 key")
    return raw


async def enroll(db: AsyncSession, body: EnrollIn) -> Machine:
    public_key = decode_public_key(body.public_key)
    now = utcnow()
    token = (
        await db.execute(
            select(EnrollmentToken).where(EnrollmentToken.token_hash == hash_token(body.token))
        )
    ).scalar_one_or_none()
    if token is None:
        raise EnrollmentRefused(401, "unknown enrollment token")
    if token.revoked_at is not None:
        raise EnrollmentRefused(401, "enrollment token has been revoked")
    if token.expires_at is not None and token.expires_at <= now:
        raise EnrollmentRefused(401, "enrollment token has expired")
    if body.company and body.company != token.company:
        raise EnrollmentRefused(
            403, f"this token enrolls into company {token.company!r}, not {body.company!r}"
        )
    if token.site and body.site and body.site != token.site:
        raise EnrollmentRefused(
            403, f"this token enrolls into site {token.site!r}, not {body.site!r}"
        )
    # Count the use atomically, so concurrent enrollments cannot exceed max_uses.
    claimed = await db.execute(
        update(EnrollmentToken)
        .where(
            EnrollmentToken.id == token.id,
            (EnrollmentToken.max_uses.is_(None))
            | (EnrollmentToken.uses < EnrollmentToken.max_uses),
        )
        .values(uses=EnrollmentToken.uses + 1)
    )
    if getattr(claimed, "rowcount", 0) != 1:
        raise EnrollmentRefused(401, "enrollment token has been used up")
    machine = Machine(
        id=secrets.token_urlsafe(16),
        public_key=public_key,
        name=body.name or body.hostname,
        hostname=body.hostname,
        company=token.company,
        site=token.site or body.site,
        department=body.department,
        device_type=body.device_type,
        tag=body.tag,
        agent_version=body.agent_version,
        enrolled_with=token.id,
        first_seen=now,
    )
    machine.private_ips, machine.macs, machine.custom_attributes = [], [], {}
    machine.agent_version_key = version_key(body.agent_version)
    refresh_search_text(machine)
    db.add(machine)
    await db.commit()
    return machine
