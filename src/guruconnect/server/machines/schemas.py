"""How a machine looks to the API and the dashboard."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field


class MachineOut(BaseModel):
    id: str
    name: str
    hostname: str
    company: str
    site: str
    department: str
    device_type: str
    tag: str
    description: str
    online: bool
    last_seen: dt.datetime | None
    first_seen: dt.datetime
    agent_version: str
    os_type: str
    os_name: str
    os_version: str
    public_ip: str
    logged_on_users: list[str]
    inventory: dict[str, Any] | None = None
    inventory_at: dt.datetime | None = None
    attention: bool = False
    attention_note: str = ""
    custom_attributes: dict[str, str] = {}
    host_connected: int = 0
    guest_connected: bool = False
    guest_last_connected: dt.datetime | None = None
    last_host_session_at: dt.datetime | None = None
    boot_time: dt.datetime | None = None
    idle_seconds: int = -1
    private_ips: list[str] = []
    macs: list[str] = []
    serial_number: str = ""
    service_tag: str = ""
    os_build: str = ""
    outdated: bool = False


class MachineListOut(BaseModel):
    machines: list[MachineOut]
    total: int | None = Field(description="matching machines; only on the first page")
    next_cursor: str | None = None


class MachinePatch(BaseModel):
    attention: bool | None = None
    attention_note: str | None = Field(default=None, max_length=1024)
    custom_attributes: dict[str, str] | None = Field(default=None, max_length=50)


class GroupCount(BaseModel):
    value: str
    count: int


class CompanyGroup(GroupCount):
    sites: list[GroupCount]


class GroupsOut(BaseModel):
    total: int
    online: int
    companies: list[CompanyGroup]
    departments: list[GroupCount]
    os: list[GroupCount]
    device_types: list[GroupCount]
    tags: list[GroupCount]
    status: dict[str, int]
    current_agent_version: str


class AuditEntryOut(BaseModel):
    at: dt.datetime
    user: str
    action: str
    details: dict[str, Any]


class AuditListOut(BaseModel):
    entries: list[AuditEntryOut]
