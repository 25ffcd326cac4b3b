"""Create, list and revoke one's own API keys. Keys are shown once and stored hashed."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, Field
from sqlalchemy import select

from guruconnect.server.auth.deps import API_KEY_PREFIX, SignedIn, session_only
from guruconnect.server.auth.roles import parse_scopes
from guruconnect.server.auth.tokens import hash_token, new_token
from guruconnect.server.db.deps import DB
from guruconnect.server.db.models import ApiKey
from guruconnect.server.db.types import utcnow

router = APIRouter(prefix="/api/v1/api-keys", tags=["api-keys"])


class ApiKeyIn(BaseModel):
    name: str = Field(min_length=1, max_length=128)
    scopes: list[str] = Field(min_length=1, max_length=32)
    expires_in_days: int | None = Field(default=None, ge=1, le=3650)


class ApiKeyOut(BaseModel):
    id: int
    name: str
    prefix: str
    scopes: list[str]
    created_at: dt.datetime
    expires_at: dt.datetime | None
    last_used_at: dt.datetime | None
    revoked: bool


class ApiKeyCreatedOut(ApiKeyOut):
    key: str


class ApiKeyListOut(BaseModel):
    keys: list[ApiKeyOut]


def _out(k: ApiKey) -> ApiKeyOut:
    return ApiKeyOut(
        id=k.id,
        name=k.name,
        prefix=k.prefix,
        scopes=list(k.scopes),
        created_at=k.created_at,
        expires_at=k.expires_at,
        last_used_at=k.last_used_at,
        revoked=k.revoked_at is not None,
    )


@router.get("", response_model=ApiKeyListOut)
async def list_keys(principal: SignedIn, db: DB) -> ApiKeyListOut:
    rows = await db.scalars(
        select(ApiKey).where(ApiKey.user_id == principal.user_id).order_by(ApiKey.id)
    )
    return ApiKeyListOut(keys=[_out(k) for k in rows])


@router.post("", response_model=ApiKeyCreatedOut, status_code=status.HTTP_201_CREATED)
async def create_key(body: ApiKeyIn, principal: SignedIn, db: DB) -> ApiKeyCreatedOut:
    # A key cannot mint keys: otherwise a leaked key could outlive its own revocation.
    session_only(principal)
    try:
        wanted = parse_scopes(body.scopes)
    except ValueError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc
    beyond = wanted - principal.scopes
    if beyond:
        names = ", ".join(sorted(s.value for s in beyond))
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"you do not hold: {names}")
    raw = new_token(API_KEY_PREFIX)
    now = utcnow()
    key = ApiKey(
        user_id=principal.user_id,
        name=body.name,
        prefix=raw[: len(API_KEY_PREFIX) + 7],
        key_hash=hash_token(raw),
        scopes=sorted(s.value for s in wanted),
        created_at=now,
        expires_at=now + dt.timedelta(days=body.expires_in_days) if body.expires_in_days else None,
    )
    db.add(key)
    await db.commit()
    return ApiKeyCreatedOut(**_out(key).model_dump(), key=raw)


@router.delete("/{key_id}", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_key(key_id: int, principal: SignedIn, db: DB) -> None:
    key = await db.get(ApiKey, key_id)
    # Someone else's key is reported as absent, not forbidden: no probing for ids.
    if key is None or key.user_id != principal.user_id:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such API key")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        await db.commit()
