"""Sign-in, two-factor, sign-out and password change."""

from __future__ import annotations

from typing import Literal, cast

from fastapi import APIRouter, HTTPException, Request, Response, status
from sqlalchemy import func, select

from guruconnect.server.auth import passwords, sessions, totp
from guruconnect.server.auth.deps import AnySession, SignedIn, session_only
from guruconnect.server.auth.ratelimit import too_many
from guruconnect.server.auth.schemas import (
    CodeIn,
    LoginIn,
    PasswordChangeIn,
    ScopesOut,
    SessionOut,
    TotpEnrollOut,
    UserOut,
)
from guruconnect.server.db.deps import DB
from guruconnect.server.db.models import User, WebSession
from guruconnect.server.db.types import utcnow
from guruconnect.server.http.origin import origin_allowed
from guruconnect.server.state import AppState, get_state

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])

State = Literal["mfa_required", "mfa_enroll", "active"]


def _session_out(ws: WebSession, user: User) -> SessionOut:
    return SessionOut(
        state=cast(State, ws.state),
        csrf_token=ws.csrf_token,
        user=UserOut(
            id=user.id, username=user.username, role=user.role, mfa_enabled=user.totp_enabled
        ),
    )


def _set_cookie(response: Response, token: str, state: AppState) -> None:
    response.set_cookie(
        sessions.COOKIE,
        token,
        max_age=state.settings.session_lifetime_hours * 3600,
        path="/",
        secure=True,
        httponly=True,
        samesite="strict",
    )


@router.get("/session", response_model=SessionOut)
async def current_session(session: AnySession) -> SessionOut:
    return _session_out(*session)


@router.post("/login", response_model=SessionOut)
async def login(body: LoginIn, request: Request, response: Response, db: DB) -> SessionOut:
    state = get_state(request)
    if not origin_allowed(request, state.settings.origins):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "cross-origin request refused")
    ip = state.client_ip(request)
    ip_key, user_key = f"ip:{ip}", f"user:{body.username.lower()}"
    for limiter, key in ((state.limiters.login_ip, ip_key), (state.limiters.login_user, user_key)):
        wait = limiter.retry_after(key)
        if wait is not None:
            raise too_many(wait)
    user = (
        await db.execute(select(User).where(func.lower(User.username) == body.username.lower()))
    ).scalar_one_or_none()
    ok = passwords.verify_password(user.password_hash if user else None, body.password)
    if user is None or not ok or user.disabled:
        state.limiters.login_ip.failure(ip_key)
        state.limiters.login_user.failure(user_key)
        state.metrics.login_failures.inc()
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "invalid username or password")
    state.limiters.login_user.reset(user_key)
    token, ws = await sessions.create(
        db, user, state.settings, ip=ip, user_agent=request.headers.get("user-agent", "")
    )
    await db.commit()
    _set_cookie(response, token, state)
    return _session_out(ws, user)


@router.post("/totp/verify", response_model=SessionOut)
async def totp_verify(body: CodeIn, request: Request, session: AnySession, db: DB) -> SessionOut:
    ws, user = session
    if ws.state != sessions.SessionState.MFA_REQUIRED or not user.totp_secret:
        raise HTTPException(status.HTTP_409_CONFLICT, "no two-factor check is pending")
    await _check_code(request, db, user, user.totp_secret, body.code)
    ws.state = sessions.SessionState.ACTIVE
    await db.commit()
    return _session_out(ws, user)


async def _check_code(request: Request, db: DB, user: User, secret: str, code: str) -> None:
    limiter = get_state(request).limiters.totp_user
    key = f"user:{user.id}"
    wait = limiter.retry_after(key)
    if wait is not None:
        raise too_many(wait)
    step = totp.verify(secret, code, user.totp_last_step)
    if step is None:
        limiter.failure(key)
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "invalid or already used authentication code"
        )
    limiter.reset(key)
    user.totp_last_step = step


@router.post("/totp/enroll", response_model=TotpEnrollOut)
async def totp_enroll(session: AnySession, db: DB) -> TotpEnrollOut:
    ws, user = session
    # Enrolling a new device is allowed while enrolling, or when fully signed in.
    if ws.state == sessions.SessionState.MFA_REQUIRED:
        raise HTTPException(status.HTTP_409_CONFLICT, "verify your current code first")
    if user.totp_enabled:
        # Replacing a working device needs more than a session cookie: an administrator
        # resets it (guruconnect admin reset-mfa), and the user enrolls at next sign-in.
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            "two-factor is already set up; ask an administrator to reset it",
        )
    secret = totp.new_secret()
    user.totp_secret = secret
    await db.commit()
    uri = totp.provisioning_uri(secret, user.username)
    return TotpEnrollOut(secret=secret, otpauth_uri=uri, qr_svg_data_uri=totp.qr_svg_data_uri(uri))


@router.post("/totp/confirm", response_model=SessionOut)
async def totp_confirm(body: CodeIn, request: Request, session: AnySession, db: DB) -> SessionOut:
    ws, user = session
    if ws.state == sessions.SessionState.MFA_REQUIRED or not user.totp_secret:
        raise HTTPException(status.HTTP_409_CONFLICT, "start enrollment first")
    user.totp_last_step = 0  # a new secret has no history
    await _check_code(request, db, user, user.totp_secret, body.code)
    user.totp_enabled = True
    ws.state = sessions.SessionState.ACTIVE
    await db.commit()
    return _session_out(ws, user)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(request: Request, response: Response, session: AnySession, db: DB) -> None:
    await sessions.revoke(db, get_state(request).bus, session[0])
    response.delete_cookie(sessions.COOKIE, path="/", secure=True, httponly=True, samesite="strict")


@router.post("/password", status_code=status.HTTP_204_NO_CONTENT)
async def change_password(
    body: PasswordChangeIn, request: Request, response: Response, principal: SignedIn, db: DB
) -> None:
    session_only(principal)
    user = await db.get(User, principal.user_id)
    if user is None or not passwords.verify_password(user.password_hash, body.current_password):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "current password is wrong")
    try:
        user.password_hash = passwords.hash_password(body.new_password)
    except passwords.PasswordPolicyError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc
    user.password_changed_at = utcnow()
    await db.commit()
    await sessions.revoke_all_for_user(db, get_state(request).bus, user.id)
    response.delete_cookie(sessions.COOKIE, path="/", secure=True, httponly=True, samesite="strict")


@router.get("/scopes", response_model=ScopesOut)
async def my_scopes(principal: SignedIn) -> ScopesOut:
    return ScopesOut(scopes=sorted(s.value for s in principal.scopes))
