"""The status groups of the sidebar, each defined here and only here.

| group              | a machine is in it when                                           |
|--------------------|-------------------------------------------------------------------|
| attention          | a technician flagged it for follow-up                             |
| host_connected     | a technician has a remote session open to it now                  |
| guest_connected    | online, someone is logged on, and their input is at most 5 min old|
| recently_accessed  | a technician session started within the last 24 hours            |
| offline_30d        | offline and last seen more than 30 days ago (or never)           |
| offline_1y         | offline and last seen more than 365 days ago (or never)          |
| outdated           | its agent version is known and behind the server's release       |
| powered_on_10m     | online and booted within the last 10 minutes                     |
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, false, or_

from guruconnect.server.db.models import Machine

RECENT_ACCESS = dt.timedelta(hours=24)
OFFLINE_30D = dt.timedelta(days=30)
OFFLINE_1Y = dt.timedelta(days=365)
POWERED_ON = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class Context:
    now: dt.datetime
    current_version_key: int
    host_connected_ids: Collection[str]


def _offline_for(age: dt.timedelta, c: Context) -> ColumnElement[bool]:
    cutoff = c.now - age
    return and_(
        Machine.online.is_(False),
        or_(
            Machine.last_seen < cutoff,
            and_(Machine.last_seen.is_(None), Machine.first_seen < cutoff),
        ),
    )


STATUS_GROUPS: dict[str, Callable[[Context], ColumnElement[bool]]] = {
    "attention": lambda c: Machine.attention.is_(True),
    "host_connected": lambda c: (
        Machine.id.in_(list(c.host_connected_ids)) if c.host_connected_ids else false()
    ),
    "guest_connected": lambda c: and_(Machine.online.is_(True), Machine.guest_present.is_(True)),
    "recently_accessed": lambda c: Machine.last_host_session_at >= c.now - RECENT_ACCESS,
    "offline_30d": lambda c: _offline_for(OFFLINE_30D, c),
    "offline_1y": lambda c: _offline_for(OFFLINE_1Y, c),
    "outdated": lambda c: and_(
        Machine.agent_version_key > 0, Machine.agent_version_key < c.current_version_key
    ),
    "powered_on_10m": lambda c: and_(
        Machine.online.is_(True), Machine.boot_time >= c.now - POWERED_ON
    ),
}
