"""The public support portal: the page at ``/``, the code check, the agent download.

Public by design, so: the page shows only the configured name and logo; a code check
is Origin-checked and rate-limited per client network and across the whole server, with
every attempt logged (and the ones that were checked audited); a right code is
exchanged for a fresh random join token, stored hashed, that the download and the
one-time agent's socket then require. Without JavaScript, the form posts to
``/portal/join`` and gets the same answer as a page.
"""

from __future__ import annotations

import asyncio
import html
import ipaddress
import logging
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import FileResponse, HTMLResponse, Response

from guruconnect.agent.support.config import SupportConfig, encode_support_config
from guruconnect.server.audit import chain
from guruconnect.server.auth.ratelimit import too_many
from guruconnect.server.config import PORTAL_LOGO_TYPES
from guruconnect.server.db.models import SupportSession
from guruconnect.server.http.origin import origin_allowed
from guruconnect.server.installers.windows import baking
from guruconnect.server.installers.windows import bases as windows_bases
from guruconnect.server.state import AppState, get_state
from guruconnect.server.support import bundle, codes, service
from guruconnect.server.support.events import publish_session
from guruconnect.server.support.lifecycle import LIVE, Status
from guruconnect.server.support.schemas import DownloadOut, JoinIn, JoinOut

log = logging.getLogger("guruconnect.support.portal")
router = APIRouter(tags=["portal"])
MAX_FORM_BYTES = 1024

WRONG_CODE = "That code is not valid. Check the six digits with your technician and try again."
IN_PROGRESS = "This support session is already in progress on another computer."


def network_key(ip: str) -> str:
    """One key per client network: an IPv6 user owns a whole /64, so count it as one."""
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return f"ip:{ip}"
    if addr.version == 6:
        return f"net:{ipaddress.ip_network(f'{addr}/64', strict=False)}"
    return f"ip:{addr}"


@dataclass
class Joined:
    session: SupportSession
    token: str


def _throttle(state: AppState, ip: str) -> None:
    limits = state.support.limiters
    wait = limits.per_address.retry_after(network_key(ip))
    if wait is not None:
        log.warning("portal join from %s refused: too many wrong codes from this address", ip)
        raise too_many(wait, "wrong codes from your network")
    wait = limits.everyone.retry_after("all")
    if wait is not None:
        log.warning("portal join from %s refused: too many wrong codes server-wide", ip)
        raise too_many(wait, "wrong codes on this server")


async def join(state: AppState, request: Request, raw_code: str) -> Joined:
    """Check a code; raises HTTPException (404 wrong, 409 in use, 429 throttled)."""
    ip = state.client_ip(request)
    if not origin_allowed(request, state.settings.origins):
        log.warning("portal join from %s refused: foreign Origin", ip)
        raise HTTPException(status.HTTP_403_FORBIDDEN, "cross-origin request refused")
    _throttle(state, ip)
    code = "".join(raw_code.split())
    async with state.db() as db:
        for expired in await service.expire_due(db):
            await publish_session(state, expired)
        session = await service.by_code(db, code) if codes.is_code(code) else None
        if session is None:
            state.support.limiters.per_address.failure(network_key(ip))
            state.support.limiters.everyone.failure("all")
            await chain.record(db, None, "support.portal_join", "portal",
                               {"ip": ip, "result": "wrong_code"})  # fmt: skip
            await db.commit()
            log.warning("portal join from %s: wrong code", ip)
            raise HTTPException(status.HTTP_404_NOT_FOUND, WRONG_CODE)
        if session.status != Status.WAITING:
            await chain.record(db, None, "support.portal_join", service.target(session),
                               {"ip": ip, "result": "in_progress"})  # fmt: skip
            await db.commit()
            log.warning("portal join from %s: session %s already in progress", ip, session.id)
            raise HTTPException(status.HTTP_409_CONFLICT, IN_PROGRESS)
        token = await service.issue_join_token(db, session)
        await chain.record(db, None, "support.portal_join", service.target(session),
                           {"ip": ip, "result": "accepted"})  # fmt: skip
        await db.commit()
    log.info("portal join from %s: code accepted for session %s", ip, session.id)
    return Joined(session, token)


def _answer(state: AppState, joined: Joined) -> JoinOut:
    s = joined.session
    downloads = [
        DownloadOut(
            platform="linux",
            label="Linux",
            url=f"/portal/agent/{joined.token}/linux",
            filename=bundle.FILENAME,
        )
    ]
    if state.settings.support_windows_agent:
        downloads.append(
            DownloadOut(
                platform="windows",
                label="Windows",
                url=f"/portal/agent/{joined.token}/windows",
                filename=baking.SUPPORT_FILENAME,
            )
        )
    return JoinOut(technician=s.technician_name, session_name=s.name, downloads=downloads)


@router.post("/api/v1/portal/join", response_model=JoinOut)
async def portal_join(body: JoinIn, request: Request) -> JoinOut:
    """Public: exchange the six-digit code for the one-time agent's download links."""
    state = get_state(request)
    return _answer(state, await join(state, request, body.code))


async def _live_session(state: AppState, request: Request, join_token: str) -> SupportSession:
    ip = state.client_ip(request)
    _throttle(state, ip)
    async with state.db() as db:
        session = await service.by_join_token(db, join_token)
    if session is None or session.status not in LIVE:
        state.support.limiters.per_address.failure(network_key(ip))
        log.warning("agent download from %s refused: unknown or finished join token", ip)
        raise HTTPException(status.HTTP_404_NOT_FOUND, "this download link is no longer valid")
    return session


@router.get("/portal/agent/{join_token}/windows", include_in_schema=False)
async def download_windows(join_token: str, request: Request) -> Response:
    """The one-time agent as a signed Windows EXE, its join config in the certificate
    table (server/installers/windows/nsis.py)."""
    state = get_state(request)
    if not state.settings.support_windows_agent:
        raise HTTPException(status.HTTP_404_NOT_FOUND,
                            "this server does not offer the Windows support program")  # fmt: skip
    session = await _live_session(state, request, join_token)
    cfg = SupportConfig(
        server_url=state.settings.effective_public_url,
        server_fingerprint=state.cert_fingerprint,
        join_token=join_token,
        portal_name=state.settings.portal_name,
    )
    try:
        bases = await windows_bases.ensure(state.settings, "support")
    except windows_bases.WindowsUnavailable as exc:
        log.error("cannot make the Windows one-time agent: %s", exc)
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE,
                            "the Windows support program is not available on this server; "
                            "ask your technician for another way") from exc  # fmt: skip
    agent = await asyncio.to_thread(baking.support_exe, bases, encode_support_config(cfg))
    log.info("Windows one-time agent for support session %s downloaded from %s",
             session.id, state.client_ip(request))  # fmt: skip
    return bundle.agent_response(agent, "application/vnd.microsoft.portable-executable")


@router.get("/portal/agent/{join_token}/linux", include_in_schema=False)
async def download_linux(join_token: str, request: Request) -> Response:
    state = get_state(request)
    ip = state.client_ip(request)
    session = await _live_session(state, request, join_token)
    agent = await bundle.linux_agent(
        state.settings,
        server_url=state.settings.effective_public_url,
        fingerprint=state.cert_fingerprint,
        join_token=join_token,
    )
    log.info("one-time agent for support session %s downloaded from %s", session.id, ip)
    return bundle.agent_response(agent)


# --- the page -------------------------------------------------------------------------

_PAGE = """<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="referrer" content="same-origin" />
    <title>{name}</title>
    <link rel="stylesheet" href="/static/portal.css" />
    <script src="/static/portal.js" defer></script>
  </head>
  <body>
    <main class="portal">
      <header class="portal-head">{logo}<h1>{name}</h1></header>
      <form id="join" class="portal-card" method="post" action="/portal/join"{hidden_form}>
        <label for="code">Enter the 6-digit code your technician gave you</label>
        <div class="portal-row">
          <input id="code" name="code" inputmode="numeric" autocomplete="one-time-code"
                 maxlength="7" pattern="[0-9 ]*" required value="{code}" />
          <button type="submit">Continue</button>
        </div>
        <p id="message" class="portal-message" role="alert">{message}</p>
      </form>
      <section id="download" class="portal-card"{hidden_download}>{download}</section>
    </main>
  </body>
</html>
"""


def _download_html(answer: JoinOut | None) -> str:
    if answer is None:
        return ""
    who = html.escape(answer.technician) if answer.technician else "A technician"
    links = "".join(
        f'<a class="portal-download" href="{html.escape(d.url)}" download="{d.filename}">'
        f"Download for {d.label}</a>"
        for d in answer.downloads
    )
    return (
        f"<h2>{who} is ready to help you</h2>"
        "<p>Download the support program for your computer and run it (on Linux: "
        "<code>sh guruconnect-support.sh</code>). "
        "It asks before anyone sees your screen, and removes itself when you are done.</p>"
        f"{links}"
    )


def render(
    state: AppState, *, code: str = "", message: str = "", answer: JoinOut | None = None
) -> str:
    name = html.escape(state.settings.portal_name)
    logo = (
        '<img class="portal-logo" src="/portal/logo" alt="" />'
        if state.settings.portal_logo_path
        else ""
    )
    return _PAGE.format(
        name=name,
        logo=logo,
        code=html.escape(code),
        message=html.escape(message),
        hidden_form=" hidden" if answer else "",
        hidden_download="" if answer else " hidden",
        download=_download_html(answer),
    )


def _page(state: AppState, status_code: int = 200, **kw: object) -> HTMLResponse:
    return HTMLResponse(
        render(state, **kw),  # type: ignore[arg-type]
        status_code=status_code,
        headers={"cache-control": "no-store"},
    )


@router.get("/", include_in_schema=False)
async def portal_page(request: Request) -> HTMLResponse:
    code = request.query_params.get("code", "")[:16]
    return _page(get_state(request), code=code if codes.is_code(code) else "")


@router.post("/portal/join", include_in_schema=False)
async def portal_form(request: Request) -> HTMLResponse:
    """The same check for browsers without JavaScript (a plain form post)."""
    state = get_state(request)
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        return _page(state, 413, message="That request is too large.")
    fields = urllib.parse.parse_qs(body.decode(errors="replace"))
    raw = (fields.get("code") or [""])[0][:16]
    try:
        joined = await join(state, request, raw)
    except HTTPException as exc:
        return _page(state, exc.status_code, code=raw, message=str(exc.detail))
    return _page(state, answer=_answer(state, joined))


@router.get("/portal/logo", include_in_schema=False)
async def portal_logo(request: Request) -> Response:
    path = get_state(request).settings.portal_logo_path
    if not path:  # checked to be an image file when the server started
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no logo configured")
    media = PORTAL_LOGO_TYPES.get(Path(path).suffix.lower(), "application/octet-stream")
    return FileResponse(path, media_type=media, headers={"cache-control": "max-age=300"})
