"""FastAPI dependencies that authenticate and authorize every request.

Deny by default: a route gets a Principal only through ``require(scope)`` or
``signed_in``; there is no way to reach a handler with a partially checked caller.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from guruconnect.server.auth import sessions
from guruconnect.server.auth.principal import Principal
from guruconnect.server.auth.roles import Scope, scopes_for
from guruconnect.server.auth.tokens import hash_token
from guruconnect.server.db.deps import DB
from guruconnect.server.db.models import ApiKey, User, WebSession
from guruconnect.server.db.types import utcnow
from guruconnect.server.http.origin import origin_allowed
from guruconnect.server.state import get_state

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
API_KEY_PREFIX = "gck"


def _unauthorized(detail: str = "not signed in") -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail)


def check_csrf(request: Request, ws: WebSession) -> None:
    """Cookie-authenticated writes need our header token and, if sent, our Origin."""
    if request.method in SAFE_METHODS:
        return
    if not origin_allowed(request, get_state(request).settings.origins):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "cross-origin request refused")
    sent = request.headers.get("x-csrf-token", "")
    if not sent or not hmac.compare_digest(sent, ws.csrf_token):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "missing or invalid CSRF token")


async def _from_api_key(db: AsyncSession, raw: str) -> Principal:
    row = (
        await db.execute(
            select(ApiKey, User)
            .join(User, User.id == ApiKey.user_id)
            .where(ApiKey.key_hash == hash_token(raw))
        )
    ).first()
    if row is None:
        raise _unauthorized("invalid API key")
    key, user = row.tuple()
    now = utcnow()
    if key.revoked_at or (key.expires_at and key.expires_at <= now) or user.disabled:
        raise _unauthorized("API key revoked or expired")
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
        key.last_used_at = now
        await db.commit()
    # Intersect at use, not only at creation: a demoted owner demotes the key too.
    granted = frozenset(s for s in scopes_for(user.role) if s.value in key.scopes)
    return Principal(
        user_id=user.id,
        username=user.username,
        role=user.role,
        scopes=granted,
        company_scope=tuple(user.company_scope),
        via="api_key",
        api_key_id=key.id,
    )


def principal_from_session(ws: WebSession, user: User) -> Principal:
    return Principal(
        user_id=user.id,
        username=user.username,
        role=user.role,
        scopes=scopes_for(user.role),
        company_scope=tuple(user.company_scope),
        via="session",
        session_id=ws.id,
    )


async def any_session(request: Request, db: DB) -> tuple[WebSession, User]:
    """A session in any state (password checked, MFA maybe pending). CSRF-checked."""
    state = get_state(request)
    loaded = await sessions.load(db, request.cookies.get(sessions.COOKIE, ""), state.settings)
    if loaded is None:
        raise _unauthorized()
    check_csrf(request, loaded[0])
    return loaded


AnySession = Annotated[tuple[WebSession, User], Depends(any_session)]


async def signed_in(request: Request, db: DB) -> Principal:
    auth = request.headers.get("authorization", "")
    if auth:
        scheme, _, raw = auth.partition(" ")
        if scheme.lower() != "bearer" or not raw.startswith(API_KEY_PREFIX + "_"):
            raise _unauthorized("unsupported Authorization header: use 'Bearer <API key>'")
        return await _from_api_key(db, raw.strip())
    ws, user = await any_session(request, db)
    if ws.state != sessions.SessionState.ACTIVE:
        raise _unauthorized("two-factor verification required")
    return principal_from_session(ws, user)


SignedIn = Annotated[Principal, Depends(signed_in)]


def require(scope: Scope) -> Callable[[Principal], Awaitable[Principal]]:
    async def check(principal: SignedIn) -> Principal:
        if not principal.can(scope):
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"requires the {scope.value} scope")
        return principal

    return check


def session_only(principal: Principal) -> Principal:
    """For actions an API key must never take (managing keys, passwords, sessions)."""
    if principal.via != "session":
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this action needs an interactive sign-in")
    return principal
