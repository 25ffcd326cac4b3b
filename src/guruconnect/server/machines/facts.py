"""Columns derived from what an agent reports: versions, search text, guest presence."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from guruconnect.server.db.models import Machine

# An end user counts as "at the machine" when a console session had input this recently.
GUEST_IDLE_LIMIT_SECONDS = 300

_VERSION = re.compile(r"^\s*v?(\d{1,4})(?:\.(\d{1,4}))?(?:\.(\d{1,4}))?")


def version_key(version: str) -> int:
    """'1.2.3' -> 1002003, comparable in SQL. 0 for anything unparseable (unknown)."""
    match = _VERSION.match(version or "")
    if not match:
        return 0
    major, minor, patch = (int(part or 0) for part in match.groups())
    return major * 1_000_000 + minor * 1_000 + patch


def refresh_search_text(m: Machine) -> None:
    parts: list[Any] = [
        m.name, m.hostname, m.company, m.site, m.department, m.device_type, m.tag,
        m.os_type, m.os_name, m.os_version, m.os_build, m.serial_number, m.service_tag,
        m.public_ip, m.agent_version, *m.private_ips, *m.macs, *(m.logged_on_users or []),
        *(m.custom_attributes or {}).values(),
    ]  # fmt: skip
    m.search_text = "\n".join(str(p).lower() for p in parts if p)


def apply_guest(m: Machine, users: list[str], idle_seconds: int, now: dt.datetime) -> None:
    m.idle_seconds = idle_seconds
    m.guest_present = bool(users) and 0 <= idle_seconds <= GUEST_IDLE_LIMIT_SECONDS
    if m.guest_present:
        m.guest_last_connected = now
