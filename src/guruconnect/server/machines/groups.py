"""The sidebar's counts: metadata groups and status groups, in a handful of queries."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Integer, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from guruconnect.server.db.models import Machine
from guruconnect.server.machines.status import STATUS_GROUPS, Context

METADATA = {
    "departments": Machine.department,
    "os": Machine.os_name,
    "device_types": Machine.device_type,
    "tags": Machine.tag,
}


async def _counts(
    db: AsyncSession, column: Any, scope: ColumnElement[bool]
) -> list[dict[str, Any]]:
    rows = await db.execute(
        select(column, func.count()).where(scope).group_by(column).order_by(column)
    )
    return [{"value": value or "", "count": count} for value, count in rows]


async def sidebar(db: AsyncSession, scope: ColumnElement[bool], ctx: Context) -> dict[str, Any]:
    out: dict[str, Any] = {}
    tree: dict[str, dict[str, Any]] = {}
    rows = await db.execute(
        select(Machine.company, Machine.site, func.count())
        .where(scope)
        .group_by(Machine.company, Machine.site)
        .order_by(Machine.company, Machine.site)
    )
    for company, site, count in rows:
        node = tree.setdefault(company, {"value": company, "count": 0, "sites": []})
        node["count"] += count
        node["sites"].append({"value": site or "", "count": count})
    out["companies"] = list(tree.values())
    for key, column in METADATA.items():
        out[key] = await _counts(db, column, scope)
    # Every status group, the total and the online count in a single pass.
    sums = [
        func.coalesce(func.sum(case((cond(ctx), 1), else_=0)), 0).cast(Integer).label(name)
        for name, cond in STATUS_GROUPS.items()
    ]
    online = func.coalesce(func.sum(case((Machine.online.is_(True), 1), else_=0)), 0)
    row = (await db.execute(select(func.count(), online, *sums).where(scope))).one()
    out["total"], out["online"] = int(row[0]), int(row[1])
    out["status"] = {name: int(value) for name, value in zip(STATUS_GROUPS, row[2:], strict=True)}
    return out
