"""Bodies of the enrollment-token and agent-enrollment APIs."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

Meta = Field(default="", max_length=256)


class TokenIn(BaseModel):
    company: str = Field(min_length=1, max_length=256)
    site: str = Meta
    note: str = Field(default="", max_length=512)
    expires_in_hours: int | None = Field(default=None, ge=1, le=24 * 365)
    max_uses: int | None = Field(default=None, ge=1, le=1_000_000)


class TokenOut(BaseModel):
    id: int
    company: str
    site: str
    note: str
    expires_at: dt.datetime | None
    max_uses: int | None
    uses: int
    revoked: bool
    created_at: dt.datetime


class TokenCreatedOut(TokenOut):
    token: str
    server_url: str
    server_fingerprint: str = Field(
        description="sha256 of the server certificate, for the agent's --fingerprint "
        "(empty behind a TLS proxy: pin the proxy's certificate instead)"
    )


class TokenListOut(BaseModel):
    tokens: list[TokenOut]


class EnrollIn(BaseModel):
    token: str = Field(min_length=1, max_length=128)
    public_key: str = Field(min_length=40, max_length=64, description="base64 Ed25519 key")
    hostname: str = Field(min_length=1, max_length=256)
    name: str = Meta
    company: str = Meta
    site: str = Meta
    department: str = Meta
    device_type: str = Meta
    tag: str = Meta
    agent_version: str = Field(default="", max_length=64)


class EnrollOut(BaseModel):
    agent_id: str
    name: str
    company: str
    site: str
