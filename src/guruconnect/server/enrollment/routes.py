"""Enrollment tokens (administrators) and the agent enrollment endpoint (token holders)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from sqlalchemy import select

from guruconnect.server.auth.deps import require
from guruconnect.server.auth.principal import Principal
from guruconnect.server.auth.ratelimit import too_many
from guruconnect.server.auth.roles import Scope
from guruconnect.server.auth.tokens import hash_token, new_token
from guruconnect.server.db.deps import DB
from guruconnect.server.db.models import EnrollmentToken
from guruconnect.server.db.types import utcnow
from guruconnect.server.enrollment import service
from guruconnect.server.enrollment.schemas import (
    EnrollIn,
    EnrollOut,
    TokenCreatedOut,
    TokenIn,
    TokenListOut,
    TokenOut,
)
from guruconnect.server.machines.events import publish_machine
from guruconnect.server.state import get_state

tokens = APIRouter(prefix="/api/v1/enrollment-tokens", tags=["enrollment"])
agents = APIRouter(prefix="/api/v1/agents", tags=["enrollment"])

Manager = Annotated[Principal, Depends(require(Scope.ENROLLMENT_MANAGE))]


def _out(t: EnrollmentToken) -> TokenOut:
    return TokenOut(
        id=t.id,
        company=t.company,
        site=t.site,
        note=t.note,
        expires_at=t.expires_at,
        max_uses=t.max_uses,
        uses=t.uses,
        revoked=t.revoked_at is not None,
        created_at=t.created_at,
    )


@tokens.get("", response_model=TokenListOut)
async def list_tokens(principal: Manager, db: DB) -> TokenListOut:
    rows = await db.scalars(select(EnrollmentToken).order_by(EnrollmentToken.id.desc()))
    return TokenListOut(tokens=[_out(t) for t in rows if principal.sees_company(t.company)])


@tokens.post("", response_model=TokenCreatedOut, status_code=status.HTTP_201_CREATED)
async def create_token(
    body: TokenIn, request: Request, principal: Manager, db: DB
) -> TokenCreatedOut:
    if not principal.sees_company(body.company):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "company outside your scope")
    raw = new_token(service.TOKEN_PREFIX)
    now = utcnow()
    token = EnrollmentToken(
        token_hash=hash_token(raw),
        company=body.company,
        site=body.site,
        note=body.note,
        created_by=principal.user_id,
        created_at=now,
        expires_at=now + dt.timedelta(hours=body.expires_in_hours)
        if body.expires_in_hours
        else None,
        max_uses=body.max_uses,
    )
    db.add(token)
    await db.commit()
    state = get_state(request)
    return TokenCreatedOut(
        **_out(token).model_dump(),
        token=raw,
        server_url=state.settings.effective_public_url,
        server_fingerprint=state.cert_fingerprint,
    )


@tokens.delete("/{token_id}", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_token(token_id: int, principal: Manager, db: DB) -> None:
    token = await db.get(EnrollmentToken, token_id)
    if token is None or not principal.sees_company(token.company):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such enrollment token")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        await db.commit()


@agents.post("/enroll", response_model=EnrollOut, status_code=status.HTTP_201_CREATED)
async def enroll_agent(body: EnrollIn, request: Request, db: DB) -> EnrollOut:
    """Authenticated by the enrollment token in the body; failures are rate-limited."""
    state = get_state(request)
    key = f"ip:{state.client_ip(request)}"
    wait = state.limiters.enroll_ip.retry_after(key)
    if wait is not None:
        raise too_many(wait, "failed enrollments")
    try:
        machine = await service.enroll(db, body)
    except service.EnrollmentRefused as exc:
        await db.rollback()
        if exc.status == 401:
            state.limiters.enroll_ip.failure(key)
        raise HTTPException(exc.status, exc.detail) from exc
    await publish_machine(state, machine)
    return EnrollOut(
        agent_id=machine.id, name=machine.name, company=machine.company, site=machine.site
    )
