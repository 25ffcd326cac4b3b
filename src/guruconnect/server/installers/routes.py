"""/api/v1/installers: administrators build, download, send and revoke installers.

Every route needs the enrollment:manage scope; an installer of a company outside the
caller's scope answers 404 as if it did not exist. Creation, downloads, emails and
revocations are audited.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status

from guruconnect.server.audit import chain
from guruconnect.server.auth.deps import require
from guruconnect.server.auth.principal import Principal
from guruconnect.server.auth.roles import Scope
from guruconnect.server.db.deps import DB
from guruconnect.server.db.models import EnrollmentToken, Installer
from guruconnect.server.installers import artifacts, mail, service
from guruconnect.server.installers.schemas import (
    EmailIn,
    EmailOut,
    InstallerIn,
    InstallerListOut,
    InstallerOut,
)
from guruconnect.server.state import AppState, get_state

log = logging.getLogger("guruconnect.installers")
router = APIRouter(prefix="/api/v1/installers", tags=["installers"])
KIND_LIST = ", ".join(artifacts.KINDS)
Manager = Annotated[Principal, Depends(require(Scope.ENROLLMENT_MANAGE))]


def _target(installer: Installer) -> str:
    return f"installer:{installer.id}"


def public_url(state: AppState, installer: Installer) -> str:
    token = service.secrets_of(installer, state.settings.data_dir).url_token
    return f"{state.settings.effective_public_url}/install/{token}/"


def _out(state: AppState, installer: Installer, token: EnrollmentToken | None) -> InstallerOut:
    url = public_url(state, installer)
    return InstallerOut(
        id=installer.id,
        name_mode=installer.name_mode,
        name=installer.custom_name,
        company=installer.company,
        site=installer.site,
        department=installer.department,
        device_type=installer.device_type,
        tag=installer.tag,
        note=installer.note,
        created_by=installer.created_by_name,
        created_at=installer.created_at,
        expires_at=token.expires_at if token else None,
        revoked=installer.revoked_at is not None,
        downloads=installer.downloads,
        enrollments=token.uses if token else 0,
        url=url,
        linux_sh_url=url + "linux.sh",
        linux_deb_url=url + "linux.deb",
        windows_msi_url=url + "windows.msi",
        windows_exe_url=url + "windows.exe",
    )


async def _visible(db: DB, principal: Principal, installer_id: str) -> Installer:
    try:
        return await service.get_visible(db, principal, installer_id)
    except service.Refused as exc:
        raise HTTPException(exc.status, exc.detail) from exc


@router.post("", response_model=InstallerOut, status_code=status.HTTP_201_CREATED)
async def create_installer(
    body: InstallerIn, request: Request, principal: Manager, db: DB
) -> InstallerOut:
    state = get_state(request)
    try:
        installer, token = await service.create(db, principal, body, state.settings.data_dir)
    except service.Refused as exc:
        raise HTTPException(exc.status, exc.detail) from exc
    details = body.model_dump(exclude={"note"})
    await chain.record(db, principal, "installer.create", _target(installer), details)
    await db.commit()
    return _out(state, installer, token)


@router.get("", response_model=InstallerListOut)
async def list_installers(request: Request, principal: Manager, db: DB) -> InstallerListOut:
    state = get_state(request)
    out = [
        _out(state, i, await service.token_of(db, i)) for i in await service.visible(db, principal)
    ]
    return InstallerListOut(installers=out)


@router.delete("/{installer_id}", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_installer(installer_id: str, principal: Manager, db: DB) -> None:
    installer = await _visible(db, principal, installer_id)
    if await service.revoke(db, installer):
        await chain.record(db, principal, "installer.revoke", _target(installer), {})
        await db.commit()


@router.get("/{installer_id}/{kind}")
async def download_installer(
    installer_id: str, kind: str, request: Request, principal: Manager, db: DB
) -> Response:
    """``kind``: linux.sh, linux.deb, windows.msi or windows.exe."""
    if kind not in artifacts.KINDS:
        raise HTTPException(404, f"unknown installer kind {kind!r}: use {KIND_LIST}")
    installer = await _visible(db, principal, installer_id)
    try:
        await service.usable(db, installer)
    except service.Refused as exc:
        raise HTTPException(exc.status, exc.detail) from exc
    state = get_state(request)
    try:
        baked, seconds = await artifacts.build(state, installer, kind)
    except artifacts.WindowsUnavailable as exc:
        log.error("cannot build %s: %s", kind, exc)
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(exc)) from exc
    installer.downloads += 1
    await chain.record(db, principal, "installer.download", _target(installer),
                       {"kind": kind, "via": "api", "bytes": baked.size})  # fmt: skip
    await db.commit()
    log.info("installer %s %s baked in %.1f ms", installer.id, kind, seconds * 1000)
    return artifacts.response(baked, kind)


@router.post("/{installer_id}/email", response_model=EmailOut)
async def email_installer(
    installer_id: str, body: EmailIn, request: Request, principal: Manager, db: DB
) -> EmailOut:
    state = get_state(request)
    installer = await _visible(db, principal, installer_id)
    try:
        await service.usable(db, installer)
    except service.Refused as exc:
        raise HTTPException(exc.status, exc.detail) from exc
    url = public_url(state, installer)
    links = {
        "Linux installer (.sh)": url + "linux.sh",
        "Debian/Ubuntu package (.deb)": url + "linux.deb",
        "Windows installer (.exe)": url + "windows.exe",
        "Windows Installer package for GPO (.msi)": url + "windows.msi",
    }
    msg = mail.compose(state.settings, body.to, company=installer.company, links=links,
                       note=body.message)  # fmt: skip
    try:
        await mail.send(state.settings, msg)
    except mail.MailError as exc:
        raise HTTPException(status.HTTP_502_BAD_GATEWAY, str(exc)) from exc
    await chain.record(db, principal, "installer.email", _target(installer), {"to": body.to})
    await db.commit()
    return EmailOut(sent_to=body.to)
