"""Bodies of the support-session API and the public portal API."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

from guruconnect.protocol.support import MAX_CHAT_CHARS


class SessionIn(BaseModel):
    name: str = Field(default="", max_length=128)
    note: str = Field(default="", max_length=1024)
    assigned_to: int | None = Field(
        default=None, description="a technician's user id; null: first-come (every technician)"
    )
    expires_in_minutes: int | None = Field(
        default=None, ge=1, le=7 * 24 * 60, description="the code stops working if nobody joined"
    )


class GuestOut(BaseModel):
    hostname: str
    os: str
    username: str
    ip: str


class SessionOut(BaseModel):
    id: str
    code: str
    link: str
    name: str
    note: str
    status: Literal["waiting", "joined", "active", "ended", "cancelled", "expired"]
    consent: Literal["pending", "allowed", "denied"]
    assigned_to: int | None
    technician: str
    created_by: str
    created_at: dt.datetime
    expires_at: dt.datetime | None
    joined_at: dt.datetime | None
    consent_at: dt.datetime | None
    ended_at: dt.datetime | None
    ended_by: str
    end_reason: str
    duration_seconds: int | None = Field(description="from the guest joining to the end (or now)")
    guest: GuestOut
    agent_connected: bool
    desktop_target: str = Field(description="the id to open in the viewer: /console#/view/<id>")


class SessionListOut(BaseModel):
    sessions: list[SessionOut]


class ChatIn(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_CHAT_CHARS)


class ChatLineOut(BaseModel):
    id: int
    sender: Literal["technician", "guest"]
    author: str
    text: str
    at: dt.datetime


class ChatOut(BaseModel):
    lines: list[ChatLineOut]


class TechnicianOut(BaseModel):
    id: int
    username: str


class TechniciansOut(BaseModel):
    technicians: list[TechnicianOut]


class JoinIn(BaseModel):
    code: str = Field(pattern=r"^\s*[0-9]{3}\s?[0-9]{3}\s*$", description="the six digits")


class DownloadOut(BaseModel):
    platform: Literal["linux", "windows"]
    label: str
    url: str
    filename: str


class JoinOut(BaseModel):
    technician: str
    session_name: str
    downloads: list[DownloadOut]
