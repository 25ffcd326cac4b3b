"""The sidebar's counts: metadata groups and status groups.

About twenty small queries, each an index scan. They are independent, so they run a few
at a time on separate pooled connections: the database uses both cores instead of one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from guruconnect.server.db.engine import SessionFactory
from guruconnect.server.db.models import Machine
from guruconnect.server.machines.status import STATUS_GROUPS, Context

METADATA = {
    "departments": Machine.department,
    "os": Machine.os_name,
    "device_types": Machine.device_type,
    "tags": Machine.tag,
}
PARALLEL = 4  # connections one sidebar request may use at once

T = TypeVar("T")


async def sidebar(
    factory: SessionFactory, scope: ColumnElement[bool], ctx: Context
) -> dict[str, Any]:
    gate = asyncio.Semaphore(PARALLEL)

    async def on_connection(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        async with gate, factory() as db:
            return await work(db)

    async def tree(db: AsyncSession) -> list[dict[str, Any]]:
        companies: dict[str, dict[str, Any]] = {}
        rows = await db.execute(
            select(Machine.company, Machine.site, func.count())
            .where(scope)
            .group_by(Machine.company, Machine.site)
            .order_by(Machine.company, Machine.site)
        )
        for company, site, n in rows:
            node = companies.setdefault(company, {"value": company, "count": 0, "sites": []})
            node["count"] += n
            node["sites"].append({"value": site or "", "count": n})
        return list(companies.values())

    def grouped(column: Any) -> Callable[[AsyncSession], Awaitable[list[dict[str, Any]]]]:
        async def run(db: AsyncSession) -> list[dict[str, Any]]:
            rows = await db.execute(
                select(column, func.count()).where(scope).group_by(column).order_by(column)
            )
            return [{"value": value or "", "count": n} for value, n in rows]

        return run

    def counted(*where: ColumnElement[bool]) -> Callable[[AsyncSession], Awaitable[int]]:
        async def run(db: AsyncSession) -> int:
            found = await db.scalar(select(func.count()).select_from(Machine).where(scope, *where))
            return int(found or 0)

        return run

    # One count per status group rather than one SUM(CASE ...) pass: each condition is
    # on indexed columns, so each count is an index range instead of a full scan.
    companies, lists, totals, statuses = await asyncio.gather(
        on_connection(tree),
        asyncio.gather(*(on_connection(grouped(c)) for c in METADATA.values())),
        asyncio.gather(on_connection(counted()), on_connection(counted(Machine.online.is_(True)))),
        asyncio.gather(*(on_connection(counted(cond(ctx))) for cond in STATUS_GROUPS.values())),
    )
    return {
        "companies": companies,
        **dict(zip(METADATA, lists, strict=True)),
        "total": totals[0],
        "online": totals[1],
        "status": dict(zip(STATUS_GROUPS, statuses, strict=True)),
    }
