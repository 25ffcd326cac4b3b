"""POST /api/v1/setup/bootstrap: create the first administrator with the bootstrap token.

Once an administrator exists this answers 404 exactly like an unknown path, to every
method and spelling: there is no setup surface left to attack (cf. CVE-2024-1709).
Everything under /api/v1/setup other than POST /bootstrap answers 404 at all times,
through the catch-all below, so not even a 405 reveals that the route exists.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from guruconnect.server.auth import passwords
from guruconnect.server.auth.ratelimit import too_many
from guruconnect.server.auth.roles import Role
from guruconnect.server.db.deps import DB
from guruconnect.server.db.models import User
from guruconnect.server.setup import bootstrap
from guruconnect.server.state import get_state

router = APIRouter(prefix="/api/v1/setup", tags=["setup"])


class BootstrapIn(BaseModel):
    token: str = Field(min_length=1, max_length=128)
    username: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")
    password: str = Field(min_length=1, max_length=1024)


class BootstrapOut(BaseModel):
    username: str
    role: str


@router.post("/bootstrap", response_model=BootstrapOut, status_code=status.HTTP_201_CREATED)
async def create_first_admin(body: BootstrapIn, request: Request, db: DB) -> BootstrapOut:
    state = get_state(request)
    if not state.settings.bootstrap_token_enabled or await bootstrap.admin_exists(db):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Not Found")
    key = f"ip:{state.client_ip(request)}"
    wait = state.limiters.bootstrap_ip.retry_after(key)
    if wait is not None:
        raise too_many(wait, "attempts")
    try:
        password_hash = passwords.hash_password(body.password)
    except passwords.PasswordPolicyError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc
    if not await bootstrap.claim(db, body.token):
        await db.rollback()
        state.limiters.bootstrap_ip.failure(key)
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "invalid bootstrap token")
    db.add(
        User(
            username=body.username,
            password_hash=password_hash,
            role=Role.ADMIN,
            company_scope=["*"],
        )
    )
    await db.commit()
    return BootstrapOut(username=body.username, role=Role.ADMIN)


@router.api_route(
    "{rest:path}",
    methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
    include_in_schema=False,
)
async def nothing_else_here(rest: str) -> JSONResponse:
    return JSONResponse({"detail": "Not Found"}, status_code=status.HTTP_404_NOT_FOUND)
