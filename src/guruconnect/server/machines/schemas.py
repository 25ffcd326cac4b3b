"""How a machine looks to the API and the dashboard."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel


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


class MachineListOut(BaseModel):
    machines: list[MachineOut]
