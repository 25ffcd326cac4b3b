"""Installer rules: create (with its own enrollment token), list, revoke, find by URL token,
and the signed baked config of one installer."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from guruconnect.protocol.installer import InstallerConfig, seal
from guruconnect.server.auth.principal import Principal
from guruconnect.server.auth.tokens import hash_token, new_token
from guruconnect.server.db.models import EnrollmentToken, Installer
from guruconnect.server.db.types import utcnow
from guruconnect.server.enrollment.service import TOKEN_PREFIX
from guruconnect.server.installers import keys
from guruconnect.server.installers.schemas import InstallerIn

URL_TOKEN_PREFIX = "gci"  # noqa: S105 - a label, not a secret
REVOKED = "This installer link has been revoked. Ask your administrator for a new one."
EXPIRED = "This installer's enrollment token has expired. Ask your administrator for a new one."
UNKNOWN = "No installer at this address. Check the link or ask your administrator."


class Refused(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


@dataclass(frozen=True)
class Secrets:
    enrollment_token: str
    url_token: str


async def create(
    db: AsyncSession, principal: Principal, body: InstallerIn, data_dir: Path
) -> tuple[Installer, EnrollmentToken]:
    if not principal.sees_company(body.company):
        raise Refused(403, "company outside your scope")
    if body.name_mode == "custom" and not body.name.strip():
        raise Refused(422, "a custom name needs a name")
    now = utcnow()
    raw_enroll = new_token(TOKEN_PREFIX)
    # Scoped to the company: the security boundary every authorization check uses. The
    # site is baked metadata, which the machine's own --reconfigure may change anyway.
    token = EnrollmentToken(
        token_hash=hash_token(raw_enroll),
        company=body.company,
        site="",
        note=f"installer: {body.note}"[:512],
        created_by=principal.user_id,
        created_at=now,
        expires_at=now + dt.timedelta(hours=body.expires_in_hours)
        if body.expires_in_hours
        else None,
    )
    db.add(token)
    await db.flush()
    url_token = new_token(URL_TOKEN_PREFIX)
    installer = Installer(
        id=secrets.token_urlsafe(12),
        company=body.company,
        site=body.site,
        department=body.department,
        device_type=body.device_type,
        tag=body.tag,
        name_mode=body.name_mode,
        custom_name=body.name if body.name_mode == "custom" else "",
        note=body.note,
        enrollment_token_id=token.id,
        sealed_secrets=keys.seal(
            data_dir, {"enrollment_token": raw_enroll, "url_token": url_token}
        ),
        url_hash=hash_token(url_token),
        created_by=principal.user_id,
        created_by_name=principal.username,
        created_at=now,
    )
    db.add(installer)
    await db.flush()
    return installer, token


def secrets_of(installer: Installer, data_dir: Path) -> Secrets:
    values = keys.unseal(data_dir, installer.sealed_secrets)
    return Secrets(values["enrollment_token"], values["url_token"])


async def token_of(db: AsyncSession, installer: Installer) -> EnrollmentToken | None:
    if installer.enrollment_token_id is None:
        return None
    return await db.get(EnrollmentToken, installer.enrollment_token_id)


async def visible(db: AsyncSession, principal: Principal) -> list[Installer]:
    rows = await db.scalars(select(Installer).order_by(Installer.created_at.desc()))
    return [i for i in rows if principal.sees_company(i.company)]


async def get_visible(db: AsyncSession, principal: Principal, installer_id: str) -> Installer:
    installer = await db.get(Installer, installer_id)
    if installer is None or not principal.sees_company(installer.company):
        raise Refused(404, "no such installer")
    return installer


async def revoke(db: AsyncSession, installer: Installer) -> bool:
    """Revoke the installer and its enrollment token. False if it already was."""
    if installer.revoked_at is not None:
        return False
    now = utcnow()
    installer.revoked_at = now
    token = await token_of(db, installer)
    if token is not None and token.revoked_at is None:
        token.revoked_at = now
    return True


async def usable(db: AsyncSession, installer: Installer) -> None:
    """Refuse to hand out an installer that could not enroll (410 with the reason)."""
    if installer.revoked_at is not None:
        raise Refused(410, REVOKED)
    token = await token_of(db, installer)
    if token is None or token.revoked_at is not None:
        raise Refused(410, REVOKED)
    if token.expires_at is not None and token.expires_at <= utcnow():
        raise Refused(410, EXPIRED)


async def by_url_token(db: AsyncSession, url_token: str) -> Installer:
    if not url_token.startswith(URL_TOKEN_PREFIX + "_") or len(url_token) > 128:
        raise Refused(404, UNKNOWN)
    installer = await db.scalar(
        select(Installer).where(Installer.url_hash == hash_token(url_token))
    )
    if installer is None:
        raise Refused(404, UNKNOWN)
    return installer


def envelope(installer: Installer, data_dir: Path, *, server_url: str, fingerprint: str) -> bytes:
    """The signed baked config for this installer (about 1 KB, made per request)."""
    cfg = InstallerConfig(
        installer_id=installer.id,
        server_url=server_url,
        server_fingerprint=fingerprint,
        enrollment_token=secrets_of(installer, data_dir).enrollment_token,
        name_mode="custom" if installer.name_mode == "custom" else "machine",
        name=installer.custom_name,
        company=installer.company,
        site=installer.site,
        department=installer.department,
        device_type=installer.device_type,
        tag=installer.tag,
    )
    return seal(cfg, keys.signing_key(data_dir))
