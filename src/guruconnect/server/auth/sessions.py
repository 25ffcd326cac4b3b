"""Server-side web sessions: create, load (with expiry and idle limits), revoke."""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from guruconnect.server.auth.tokens import hash_token
from guruconnect.server.config import Settings
from guruconnect.server.db.models import User, WebSession
from guruconnect.server.db.types import utcnow
from guruconnect.server.live.bus import AUTH, EventBus

COOKIE = "guru_session"
# Refresh last_seen at most this often, so reads do not turn into writes.
_TOUCH_EVERY = dt.timedelta(seconds=60)


class SessionState:
    MFA_REQUIRED = "mfa_required"
    MFA_ENROLL = "mfa_enroll"
    ACTIVE = "active"


def initial_state(user: User, settings: Settings) -> str:
    if user.totp_enabled:
        return SessionState.MFA_REQUIRED
    if settings.require_mfa:
        return SessionState.MFA_ENROLL
    return SessionState.ACTIVE


async def create(
    db: AsyncSession, user: User, settings: Settings, *, ip: str, user_agent: str
) -> tuple[str, WebSession]:
    """Return the cookie value (only ever sent to the browser) and the stored session."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    ws = WebSession(
        id=hash_token(token),
        user_id=user.id,
        state=initial_state(user, settings),
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        last_seen_at=now,
        expires_at=now + dt.timedelta(hours=settings.session_lifetime_hours),
        client_ip=ip[:64],
        user_agent=user_agent[:256],
    )
    db.add(ws)
    await db.flush()
    return token, ws


async def load(db: AsyncSession, token: str, settings: Settings) -> tuple[WebSession, User] | None:
    if not token or len(token) > 128:
        return None
    row = (
        await db.execute(
            select(WebSession, User)
            .join(User, User.id == WebSession.user_id)
            .where(WebSession.id == hash_token(token))
        )
    ).first()
    if row is None:
        return None
    ws, user = row.tuple()
    now = utcnow()
    idle_limit = dt.timedelta(minutes=settings.session_idle_minutes)
    if ws.revoked_at is not None or ws.expires_at <= now or user.disabled:
        return None
    if now - ws.last_seen_at > idle_limit:
        ws.revoked_at = now
        await db.commit()
        return None
    if now - ws.last_seen_at > _TOUCH_EVERY:
        ws.last_seen_at = now
        await db.commit()
    return ws, user


async def revoke(db: AsyncSession, bus: EventBus, ws: WebSession) -> None:
    ws.revoked_at = utcnow()
    await db.commit()
    await bus.publish(AUTH, {"type": "revoked", "session_id": ws.id, "user_id": ws.user_id})


async def revoke_all_for_user(db: AsyncSession, bus: EventBus, user_id: int) -> None:
    await db.execute(
        update(WebSession)
        .where(WebSession.user_id == user_id, WebSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    await db.commit()
    await bus.publish(AUTH, {"type": "revoked", "session_id": None, "user_id": user_id})
