"""Request and response bodies of the sign-in API."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class LoginIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class CodeIn(BaseModel):
    code: str = Field(min_length=6, max_length=10)


class PasswordChangeIn(BaseModel):
    current_password: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(min_length=1, max_length=1024)


class UserOut(BaseModel):
    id: int
    username: str
    role: str
    mfa_enabled: bool


class SessionOut(BaseModel):
    state: Literal["mfa_required", "mfa_enroll", "active"]
    csrf_token: str
    user: UserOut


class TotpEnrollOut(BaseModel):
    secret: str
    otpauth_uri: str
    qr_svg_data_uri: str


class ScopesOut(BaseModel):
    scopes: list[str]
