"""Turning the list's query parameters into SQL: filters, text search, keyset paging.

Every filter combines with every other (AND). A parameter present but empty selects
machines whose value is missing, the sidebar's "(none)" group.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import unicodedata
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy import ColumnElement, Select, false, or_, select, true, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from guruconnect.server.auth.principal import Principal
from guruconnect.server.db.models import Machine
from guruconnect.server.machines.status import STATUS_GROUPS, Context

Checkin = Literal["lt_1h", "lt_24h", "lt_7d", "gt_30d"]
CHECKIN: dict[str, tuple[str, dt.timedelta]] = {
    "lt_1h": ("<", dt.timedelta(hours=1)),
    "lt_24h": ("<", dt.timedelta(hours=24)),
    "lt_7d": ("<", dt.timedelta(days=7)),
    "gt_30d": (">", dt.timedelta(days=30)),
}
MAX_QUERY = 200


class BadQuery(ValueError):
    pass


@dataclass(frozen=True)
class MachineQuery:
    q: str = ""
    equals: dict[str, str] = field(default_factory=dict)  # column -> value ("" = missing)
    status: str | None = None
    checkin: str | None = None
    online: bool | None = None


EQUALITY_FILTERS = {
    "company": Machine.company,
    "site": Machine.site,
    "department": Machine.department,
    "os": Machine.os_name,
    "device_type": Machine.device_type,
    "tag": Machine.tag,
}


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def scoped(principal: Principal) -> ColumnElement[bool]:
    if "*" in principal.company_scope:
        return true()
    if not principal.company_scope:
        return false()
    return Machine.company.in_(principal.company_scope)


def conditions(query: MachineQuery, ctx: Context) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if len(query.q) > MAX_QUERY:
        raise BadQuery(f"search text longer than {MAX_QUERY} characters")
    # Control characters never occur in searchable text, and NUL means "end of string"
    # to SQLite (matching everything) and is an error to PostgreSQL: drop them all.
    text = "".join(c for c in query.q if unicodedata.category(c) != "Cc").lower()
    if not text.strip() and query.q.strip():
        where.append(false())  # only control characters: nothing can match
    for term in text.split():
        where.append(Machine.search_text.like(f"%{escape_like(term)}%", escape="\\"))
    for name, value in query.equals.items():
        where.append(EQUALITY_FILTERS[name] == value)
    if query.status is not None:
        if query.status not in STATUS_GROUPS:
            raise BadQuery(f"unknown status group {query.status!r}")
        where.append(STATUS_GROUPS[query.status](ctx))
    if query.checkin is not None:
        if query.checkin not in CHECKIN:
            raise BadQuery(f"unknown check-in filter {query.checkin!r}")
        op, age = CHECKIN[query.checkin]
        cutoff = ctx.now - age
        if op == "<":
            where.append(Machine.last_seen >= cutoff)
        else:
            where.append(or_(Machine.last_seen < cutoff, Machine.last_seen.is_(None)))
    if query.online is not None:
        where.append(Machine.online.is_(query.online))
    return where


# --- keyset paging: (online desc, name, id) --------------------------------------------


def encode_cursor(m: Machine) -> str:
    raw = json.dumps([int(m.online), m.name, m.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@dataclass(frozen=True)
class Cursor:
    online: bool
    name: str
    id: str


def decode_cursor(cursor: str) -> Cursor:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        online, name, machine_id = json.loads(base64.urlsafe_b64decode(padded))
        if not (isinstance(online, int) and isinstance(name, str) and isinstance(machine_id, str)):
            raise ValueError
    except (ValueError, binascii.Error, TypeError) as exc:
        raise BadQuery("invalid cursor") from exc
    return Cursor(bool(online), name, machine_id)


def _group_page(
    where: list[ColumnElement[bool]], online: bool, after: Cursor | None, limit: int
) -> Select[Machine]:
    # One online group at a time, so "(name, id) > cursor" is a range on the
    # (online, name, id) index instead of an OR that forces a scan and a sort.
    query = select(Machine).where(*where, Machine.online.is_(online))
    if after is not None:
        query = query.where(tuple_(Machine.name, Machine.id) > tuple_(after.name, after.id))
    return query.order_by(Machine.name, Machine.id).limit(limit)


async def fetch_page(
    db: AsyncSession, where: list[ColumnElement[bool]], cursor: str | None, limit: int
) -> list[Machine]:
    """Machines ordered online first, then by name and id, after ``cursor``."""
    after = decode_cursor(cursor) if cursor else None
    rows: list[Machine] = []
    for online in (True, False):
        if after is not None and online and not after.online:
            continue  # the cursor is already past the online group
        group_after = after if after is not None and after.online == online else None
        rows += await db.scalars(_group_page(where, online, group_after, limit - len(rows)))
        if len(rows) >= limit:
            break
    return rows
