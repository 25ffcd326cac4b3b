"""The public, tokenized installer URL for deployment scripts::

    curl -fsSLo guruconnect-install.sh https://server/install/<token>/linux.sh
    Invoke-WebRequest https://server/install/<token>/windows.msi -OutFile guruconnect.msi

The token (256 random bits, stored hashed and sealed) is the only credential; unknown
tokens count as failures per client address and are rate-limited. A revoked installer
answers 410 with a plain sentence, so a script's log says what happened.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request, Response
from fastapi.responses import PlainTextResponse

from guruconnect.server.audit import chain
from guruconnect.server.auth.ratelimit import FailureLimiter
from guruconnect.server.installers import artifacts, service
from guruconnect.server.state import AppState, get_state

log = logging.getLogger("guruconnect.installers")
router = APIRouter(tags=["installers"])
WINDOW_SECONDS = 600.0


def _limiter(request: Request, state: AppState) -> FailureLimiter:
    limiter = getattr(request.app.state, "installer_url_limiter", None)
    if limiter is None:
        limiter = FailureLimiter(state.settings.installer_url_max_failures_per_ip, WINDOW_SECONDS)
        request.app.state.installer_url_limiter = limiter
    assert isinstance(limiter, FailureLimiter)
    return limiter


def _plain(status: int, text: str, **headers: str) -> PlainTextResponse:
    return PlainTextResponse(text + "\n", status_code=status, headers=headers)


@router.get("/install/{url_token}/{kind}", include_in_schema=False)
async def public_installer(url_token: str, kind: str, request: Request) -> Response:
    state = get_state(request)
    ip = state.client_ip(request)
    limiter = _limiter(request, state)
    key = f"ip:{ip}"
    wait = limiter.retry_after(key)
    if wait is not None:
        text = f"Too many failed installer downloads; try again in {int(wait)} seconds."
        return _plain(429, text, **{"Retry-After": str(int(wait))})
    if kind not in artifacts.KINDS:
        limiter.failure(key)
        return _plain(404, f"Unknown installer {kind!r}: use {', '.join(artifacts.KINDS)}.")
    async with state.db() as db:
        try:
            installer = await service.by_url_token(db, url_token)
            await service.usable(db, installer)
        except service.Refused as exc:
            limiter.failure(key)
            log.warning("installer download from %s refused: %s", ip, exc.detail)
            return _plain(exc.status, exc.detail)
        try:
            baked, seconds = await artifacts.build(state, installer, kind)
        except artifacts.WindowsUnavailable as exc:
            log.error("cannot build %s: %s", kind, exc)
            return _plain(503, f"This server cannot make Windows installers right now: {exc}")
        installer.downloads += 1
        await chain.record(db, None, "installer.download", f"installer:{installer.id}",
                           {"kind": kind, "via": "url", "ip": ip, "bytes": baked.size})  # fmt: skip
        await db.commit()
    log.info("installer %s %s for %s baked in %.1f ms", installer.id, kind, ip, seconds * 1000)
    return artifacts.response(baked, kind)
