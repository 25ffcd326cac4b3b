"""The rules of support sessions in the database: create, join, consent, chat, end.

Status changes are compare-and-set (``UPDATE ... WHERE status = <seen>``), so a
technician pressing End while the guest's agent leaves ends the session once.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from guruconnect.protocol.support import MAX_HISTORY, SupportHello
from guruconnect.server.audit import chain
from guruconnect.server.auth.principal import Principal
from guruconnect.server.auth.roles import Scope, scopes_for
from guruconnect.server.auth.tokens import hash_token
from guruconnect.server.db.models import SupportChat, SupportSession, User
from guruconnect.server.db.types import utcnow
from guruconnect.server.support import codes
from guruconnect.server.support.lifecycle import (
    LIVE,
    IllegalTransition,
    Status,
    answer_consent,
    finish_status,
    move,
)

log = logging.getLogger("guruconnect.support")
CREATE_ATTEMPTS = 50  # a collision needs a near-full code space; 50 misses in a row is a bug


class Refused(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def sees_all(principal: Principal) -> bool:
    """Administrators see and may act on every session."""
    return principal.can(Scope.USERS_MANAGE)


def visible_clause(principal: Principal) -> ColumnElement[bool]:
    if sees_all(principal):
        return SupportSession.id.is_not(None)
    return or_(
        SupportSession.assigned_to == principal.user_id,
        SupportSession.assigned_to.is_(None),
        SupportSession.created_by == principal.user_id,
    )


def is_visible(principal: Principal, assigned_to: int | None, created_by: int | None) -> bool:
    return (
        sees_all(principal)
        or assigned_to in (None, principal.user_id)
        or (created_by == principal.user_id)
    )


def target(session: SupportSession) -> str:
    return f"support:{session.id}"


async def _technician(db: AsyncSession, user_id: int) -> User:
    user = await db.get(User, user_id)
    if user is None or user.disabled or Scope.SUPPORT_SESSIONS not in scopes_for(user.role):
        raise Refused(422, "assigned_to must be an active user who may take support sessions")
    return user


async def technicians(db: AsyncSession) -> list[User]:
    users = await db.scalars(select(User).where(User.disabled.is_(False)).order_by(User.username))
    return [u for u in users if Scope.SUPPORT_SESSIONS in scopes_for(u.role)]


async def expire_due(db: AsyncSession) -> list[SupportSession]:
    """Sessions whose code expired before anyone joined: release their codes now."""
    now = utcnow()
    due = list(
        await db.scalars(
            select(SupportSession).where(
                SupportSession.status == Status.WAITING,
                SupportSession.expires_at.is_not(None),
                SupportSession.expires_at <= now,
            )
        )
    )
    expired = []
    for session in due:
        if await _cas(db, session, Status.EXPIRED, ended_at=now, ended_by="system",
                      end_reason="expired"):  # fmt: skip
            await chain.record(db, None, "support.expired", target(session), {})
            expired.append(session)
    await db.commit()
    return expired


async def create(
    db: AsyncSession,
    principal: Principal,
    *,
    name: str,
    note: str,
    assigned_to: int | None,
    expires_in_minutes: int | None,
) -> SupportSession:
    technician = await _technician(db, assigned_to) if assigned_to is not None else None
    now = utcnow()
    for _ in range(CREATE_ATTEMPTS):
        code = codes.new_code()
        session = SupportSession(
            id=codes.new_session_id(),
            code=code,
            active_code=code,
            name=name,
            note=note,
            status=Status.WAITING.value,
            consent="pending",
            created_by=principal.user_id,
            created_by_name=principal.username,
            assigned_to=technician.id if technician else None,
            technician_name=technician.username if technician else "",
            created_at=now,
            expires_at=now + dt.timedelta(minutes=expires_in_minutes)
            if expires_in_minutes
            else None,
        )
        db.add(session)
        try:
            # The UNIQUE active_code decides: two creators drawing the same code cannot
            # both commit, whatever they checked before.
            await db.flush()
        except IntegrityError:
            await db.rollback()
            log.info("support code collision; drawing another")
            continue
        await chain.record(
            db,
            principal,
            "support.created",
            target(session),
            {"assigned_to": session.technician_name or "first-come", "name": name,
             "expires_at": session.expires_at.isoformat() if session.expires_at else None},
        )  # fmt: skip
        await db.commit()
        return session
    raise Refused(503, "could not find a free support code; try again")


async def get_visible(db: AsyncSession, principal: Principal, session_id: str) -> SupportSession:
    session = await db.get(SupportSession, session_id[:32])
    if session is None or not is_visible(principal, session.assigned_to, session.created_by):
        raise Refused(404, "no such support session")
    return session


async def list_visible(
    db: AsyncSession, principal: Principal, *, live: bool, limit: int
) -> Sequence[SupportSession]:
    statuses = [s.value for s in LIVE] if live else [s.value for s in Status if s not in LIVE]
    return (
        await db.scalars(
            select(SupportSession)
            .where(visible_clause(principal), SupportSession.status.in_(statuses))
            .order_by(SupportSession.created_at.desc(), SupportSession.id)
            .limit(limit)
        )
    ).all()


async def _cas(db: AsyncSession, session: SupportSession, to: Status, **values: object) -> bool:
    """Move ``session`` to ``to`` if nobody moved it since we read it."""
    seen = session.status
    move(seen, to)
    if to not in LIVE:
        values["active_code"] = None  # the code returns to the pool
    result = await db.execute(
        update(SupportSession)
        .where(SupportSession.id == session.id, SupportSession.status == seen)
        .values(status=to.value, **values)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) != 1:
        await db.refresh(session)
        return False
    await db.refresh(session)
    return True


async def finish(
    db: AsyncSession, session: SupportSession, *, by: Principal | None, who: str, reason: str
) -> bool:
    """End (or cancel, if nobody joined) a live session. False if it was already over."""
    try:
        to = finish_status(session.status)
    except IllegalTransition:
        return False
    done = await _cas(db, session, to, ended_at=utcnow(), ended_by=who[:64], end_reason=reason)
    if done:
        action = "support.cancelled" if to is Status.CANCELLED else "support.ended"
        await chain.record(db, by, action, target(session), {"by": who, "reason": reason})
    await db.commit()
    return done


async def claim(db: AsyncSession, session: SupportSession, principal: Principal) -> bool:
    """Make a first-come session this technician's. True if this call claimed it.
    Raises Refused if someone else holds it (administrators excepted)."""
    if session.assigned_to == principal.user_id:
        return False
    if session.assigned_to is not None:
        if sees_all(principal):
            return False
        raise Refused(404, "no such support session")
    result = await db.execute(
        update(SupportSession)
        .where(SupportSession.id == session.id, SupportSession.assigned_to.is_(None))
        .values(assigned_to=principal.user_id, technician_name=principal.username)
        .execution_options(synchronize_session=False)
    )
    claimed = getattr(result, "rowcount", 0) == 1
    if claimed:
        await chain.record(db, principal, "support.claimed", target(session), {})
    await db.commit()
    await db.refresh(session)
    if not claimed and session.assigned_to != principal.user_id and not sees_all(principal):
        raise Refused(404, "no such support session")
    return claimed


async def by_code(db: AsyncSession, code: str) -> SupportSession | None:
    return await db.scalar(select(SupportSession).where(SupportSession.active_code == code))


async def issue_join_token(db: AsyncSession, session: SupportSession) -> str:
    """A fresh join token for the portal visitor; the latest one replaces earlier ones."""
    token = codes.new_join_token()
    session.join_token_hash = hash_token(token)
    await db.flush()
    return token


async def by_join_token(db: AsyncSession, token: str) -> SupportSession | None:
    if not codes.JOIN_TOKEN_PATTERN.fullmatch(token):
        return None
    return await db.scalar(
        select(SupportSession).where(SupportSession.join_token_hash == hash_token(token))
    )


async def guest_joined(
    db: AsyncSession, session: SupportSession, hello: SupportHello, ip: str
) -> bool:
    """Record the guest's agent. True if this is its first connection (waiting -> joined)."""
    values = {
        "guest_hostname": hello.hostname,
        "guest_os": hello.os,
        "guest_username": hello.username,
        "guest_ip": ip,
    }
    first = session.status == Status.WAITING
    if first:
        if not await _cas(db, session, Status.JOINED, joined_at=utcnow(), **values):
            await db.commit()
            raise Refused(410, "the session is over")
        await chain.record(
            db, None, "support.guest_joined", target(session),
            {"hostname": hello.hostname, "username": hello.username, "ip": ip},
        )  # fmt: skip
    elif session.status in (Status.JOINED, Status.ACTIVE):
        for key, value in values.items():
            setattr(session, key, value)
    else:
        raise Refused(410, "the session is over")
    await db.commit()
    return first


async def set_consent(db: AsyncSession, session: SupportSession, allowed: bool) -> bool:
    """Apply the guest's answer. True if anything changed. Raises IllegalTransition."""
    status, consent = answer_consent(session.status, session.consent, allowed)
    if consent.value == session.consent:
        return False
    values: dict[str, object] = {"consent": consent.value, "consent_at": utcnow()}
    if status.value != session.status:
        changed = await _cas(db, session, status, **values)
    else:
        result = await db.execute(
            update(SupportSession)
            .where(SupportSession.id == session.id, SupportSession.consent == session.consent)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        changed = getattr(result, "rowcount", 0) == 1
        await db.refresh(session)
    if changed:
        await chain.record(db, None, "support.consent", target(session), {"allowed": allowed})
    await db.commit()
    return changed


async def add_chat(
    db: AsyncSession, session: SupportSession, sender: str, author: str, text: str
) -> SupportChat:
    if session.status not in (Status.JOINED, Status.ACTIVE, Status.WAITING):
        raise Refused(409, "the session is over; its chat is read-only")
    line = SupportChat(session_id=session.id, sender=sender, author=author[:256], text=text)
    db.add(line)
    await db.commit()
    return line


async def history(db: AsyncSession, session_id: str, limit: int = MAX_HISTORY) -> list[SupportChat]:
    rows = await db.scalars(
        select(SupportChat)
        .where(SupportChat.session_id == session_id)
        .order_by(SupportChat.id.desc())
        .limit(limit)
    )
    return list(reversed(rows.all()))


async def live_with_guest(db: AsyncSession) -> Sequence[SupportSession]:
    return (
        await db.scalars(
            select(SupportSession).where(
                SupportSession.status.in_([Status.JOINED.value, Status.ACTIVE.value])
            )
        )
    ).all()
