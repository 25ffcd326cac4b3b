"""/api/v1/support-sessions: technicians create, watch, chat in and end support sessions.

Every route needs the support:sessions scope (admins and technicians). A technician
sees sessions assigned to them, first-come ones, and those they created; others answer
404 as if they did not exist. Administrators see all.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status

from guruconnect.protocol import encode
from guruconnect.protocol.support import ChatLine, EndReason
from guruconnect.server.auth.deps import require
from guruconnect.server.auth.principal import Principal
from guruconnect.server.auth.roles import Scope
from guruconnect.server.db.deps import DB
from guruconnect.server.db.models import SupportSession
from guruconnect.server.state import AppState, get_state
from guruconnect.server.support import control, service
from guruconnect.server.support.events import (
    line_out,
    publish_chat,
    publish_session,
    session_out,
)
from guruconnect.server.support.schemas import (
    ChatIn,
    ChatLineOut,
    ChatOut,
    SessionIn,
    SessionListOut,
    SessionOut,
    TechnicianOut,
    TechniciansOut,
)

router = APIRouter(prefix="/api/v1/support-sessions", tags=["support"])
Technician = Annotated[Principal, Depends(require(Scope.SUPPORT_SESSIONS))]


def _http(exc: service.Refused) -> HTTPException:
    return HTTPException(exc.status, exc.detail)


async def _expire(state: AppState, db: DB) -> None:
    for session in await service.expire_due(db):
        await publish_session(state, session)


async def _visible(db: DB, principal: Principal, session_id: str) -> SupportSession:
    try:
        return await service.get_visible(db, principal, session_id)
    except service.Refused as exc:
        raise _http(exc) from exc


async def claim_and_tell(state: AppState, db: DB, session: SupportSession, p: Principal) -> None:
    try:
        await control.claim(state, db, session, p)
    except service.Refused as exc:
        raise _http(exc) from exc


@router.get("", response_model=SessionListOut)
async def list_sessions(
    request: Request,
    principal: Technician,
    db: DB,
    history: bool = Query(False, description="ended, cancelled and expired sessions instead"),
    limit: int = Query(200, ge=1, le=1000),
) -> SessionListOut:
    state = get_state(request)
    await _expire(state, db)
    rows = await service.list_visible(db, principal, live=not history, limit=limit)
    return SessionListOut(sessions=[session_out(state, s) for s in rows])


@router.post("", response_model=SessionOut, status_code=status.HTTP_201_CREATED)
async def create_session(
    body: SessionIn, request: Request, principal: Technician, db: DB
) -> SessionOut:
    state = get_state(request)
    await _expire(state, db)
    try:
        session = await service.create(
            db,
            principal,
            name=body.name.strip(),
            note=body.note.strip(),
            assigned_to=body.assigned_to,
            expires_in_minutes=body.expires_in_minutes,
        )
    except service.Refused as exc:
        raise _http(exc) from exc
    return await publish_session(state, session)


@router.get("/technicians", response_model=TechniciansOut)
async def list_technicians(principal: Technician, db: DB) -> TechniciansOut:
    users = await service.technicians(db)
    return TechniciansOut(technicians=[TechnicianOut(id=u.id, username=u.username) for u in users])


@router.get("/{session_id}", response_model=SessionOut)
async def get_session(
    session_id: str, request: Request, principal: Technician, db: DB
) -> SessionOut:
    return session_out(get_state(request), await _visible(db, principal, session_id))


async def _stop(session_id: str, request: Request, principal: Principal, db: DB) -> SessionOut:
    state = get_state(request)
    session = await _visible(db, principal, session_id)
    # Whoever sees it may stop it: its technician, its creator, an administrator.
    reason: EndReason = "cancelled" if session.status == "waiting" else "ended_by_technician"
    if not await control.end(state, session, by=principal, who=principal.username, reason=reason):
        raise HTTPException(status.HTTP_409_CONFLICT, f"the session is already {session.status}")
    await db.refresh(session)
    return session_out(state, session)


@router.post("/{session_id}/cancel", response_model=SessionOut)
async def cancel_session(
    session_id: str, request: Request, principal: Technician, db: DB
) -> SessionOut:
    return await _stop(session_id, request, principal, db)


@router.post("/{session_id}/end", response_model=SessionOut)
async def end_session(
    session_id: str, request: Request, principal: Technician, db: DB
) -> SessionOut:
    return await _stop(session_id, request, principal, db)


@router.post("/{session_id}/claim", response_model=SessionOut)
async def claim_session(
    session_id: str, request: Request, principal: Technician, db: DB
) -> SessionOut:
    state = get_state(request)
    session = await _visible(db, principal, session_id)
    await claim_and_tell(state, db, session, principal)
    return session_out(state, session)


@router.get("/{session_id}/chat", response_model=ChatOut)
async def get_chat(session_id: str, principal: Technician, db: DB) -> ChatOut:
    session = await _visible(db, principal, session_id)
    return ChatOut(lines=[line_out(line) for line in await service.history(db, session.id)])


@router.post("/{session_id}/chat", response_model=ChatLineOut, status_code=201)
async def send_chat(
    session_id: str, body: ChatIn, request: Request, principal: Technician, db: DB
) -> ChatLineOut:
    state = get_state(request)
    session = await _visible(db, principal, session_id)
    await claim_and_tell(state, db, session, principal)
    try:
        line = await service.add_chat(db, session, "technician", principal.username, body.text)
    except service.Refused as exc:
        raise _http(exc) from exc
    await publish_chat(state, session, line)
    frame = ChatLine(
        id=line.id, sender="technician", author=line.author, text=line.text,
        at=line.at.timestamp(),
    )  # fmt: skip
    await state.support.send(session.id, encode(frame))
    return line_out(line)
