"""The machine list (filtered, searched, paged), the sidebar counts, detail and edits."""

from __future__ import annotations

from typing import Annotated

import msgspec
from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response, status
from sqlalchemy import func, select

from guruconnect import __version__
from guruconnect.server.audit import chain
from guruconnect.server.auth.deps import require
from guruconnect.server.auth.principal import Principal
from guruconnect.server.auth.roles import Scope
from guruconnect.server.db.deps import DB
from guruconnect.server.db.models import AuditEntry, Machine
from guruconnect.server.db.types import utcnow
from guruconnect.server.machines import groups, search, service
from guruconnect.server.machines.events import publish_machine
from guruconnect.server.machines.facts import refresh_search_text
from guruconnect.server.machines.schemas import (
    AuditEntryOut,
    AuditListOut,
    GroupsOut,
    MachineListOut,
    MachineOut,
    MachinePatch,
)
from guruconnect.server.machines.status import Context
from guruconnect.server.state import AppState, get_state

router = APIRouter(prefix="/api/v1/machines", tags=["machines"])

Reader = Annotated[Principal, Depends(require(Scope.MACHINES_READ))]
Editor = Annotated[Principal, Depends(require(Scope.MACHINES_CONTROL))]
MAX_ATTRIBUTE_KEY, MAX_ATTRIBUTE_VALUE = 64, 1024


def context(state: AppState) -> Context:
    return Context(
        now=utcnow(),
        current_version_key=service.CURRENT_VERSION_KEY,
        host_connected_ids=state.desktops.machine_ids(),
    )


def out(state: AppState, m: Machine, *, detail: bool = False) -> MachineOut:
    return service.to_out(
        m,
        online=state.presence.is_online(m.id),
        detail=detail,
        host_connected=state.desktops.viewer_count(m.id),
    )


@router.get("", response_model=MachineListOut)
async def list_machines(
    request: Request,
    principal: Reader,
    db: DB,
    q: Annotated[str, Query(max_length=search.MAX_QUERY)] = "",
    company: str | None = None,
    site: str | None = None,
    department: str | None = None,
    os: str | None = None,
    device_type: str | None = None,
    tag: str | None = None,
    status_group: Annotated[str | None, Query(alias="status")] = None,
    checkin: str | None = None,
    online: bool | None = None,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> MachineListOut:
    state = get_state(request)
    given = {
        "company": company, "site": site, "department": department, "os": os,
        "device_type": device_type, "tag": tag,
    }  # fmt: skip
    query = search.MachineQuery(
        q=q,
        equals={k: v for k, v in given.items() if v is not None},
        status=status_group,
        checkin=checkin,
        online=online,
    )
    try:
        where = [search.scoped(principal), *search.conditions(query, context(state))]
        rows = await search.fetch_page(db, where, cursor, limit + 1)
    except search.BadQuery as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc
    # The total is the same on every page of a query: count it once, on the first.
    total = (
        await db.scalar(select(func.count()).select_from(Machine).where(*where)) or 0
        if cursor is None
        else None
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return MachineListOut(
        machines=[out(state, m) for m in rows],
        total=total,
        next_cursor=search.encode_cursor(rows[-1]) if more and rows else None,
    )


@router.get("/groups", response_model=GroupsOut)
async def sidebar_groups(request: Request, principal: Reader) -> Response:
    state = get_state(request)
    counts = await groups.sidebar(state.db, search.scoped(principal), context(state))
    # Thousands of company/site entries: encoded directly (GroupsOut documents the
    # shape), since model validation of that many small objects cost more than the SQL.
    body = msgspec.json.encode({**counts, "current_agent_version": __version__})
    return Response(body, media_type="application/json")


async def _visible(db: DB, principal: Principal, machine_id: str) -> Machine:
    machine = await db.get(Machine, machine_id)
    if machine is None or not principal.sees_company(machine.company):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such machine")
    return machine


@router.get("/{machine_id}", response_model=MachineOut)
async def get_machine(machine_id: str, request: Request, principal: Reader, db: DB) -> MachineOut:
    machine = await _visible(db, principal, machine_id)
    return out(get_state(request), machine, detail=True)


def _check_attributes(attributes: dict[str, str]) -> None:
    for key, value in attributes.items():
        if not 1 <= len(key) <= MAX_ATTRIBUTE_KEY or not key.strip():
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT,
                f"attribute names are 1 to {MAX_ATTRIBUTE_KEY} characters",
            )
        if len(value) > MAX_ATTRIBUTE_VALUE:
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT,
                f"attribute {key!r} is longer than {MAX_ATTRIBUTE_VALUE} characters",
            )


@router.patch("/{machine_id}", response_model=MachineOut)
async def edit_machine(
    machine_id: str, body: MachinePatch, request: Request, principal: Editor, db: DB
) -> MachineOut:
    machine = await _visible(db, principal, machine_id)
    target = f"machine:{machine.id}"
    if body.attention is not None or body.attention_note is not None:
        before = {"attention": machine.attention, "note": machine.attention_note}
        if body.attention is not None:
            machine.attention = body.attention
        if body.attention_note is not None:
            machine.attention_note = body.attention_note
        after = {"attention": machine.attention, "note": machine.attention_note}
        await chain.record(
            db, principal, "machine.attention", target, {"before": before, "after": after}
        )
    if body.custom_attributes is not None:
        _check_attributes(body.custom_attributes)
        current = dict(machine.custom_attributes or {})
        changes: dict[str, dict[str, str | None]] = {}
        for key, value in body.custom_attributes.items():
            old = current.get(key)
            if value == "":
                current.pop(key, None)
            else:
                current[key] = value
            if old != (value or None):
                changes[key] = {"before": old, "after": value or None}
        if len(current) > 50:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "at most 50 attributes")
        machine.custom_attributes = current
        refresh_search_text(machine)
        if changes:
            await chain.record(db, principal, "machine.custom_attributes", target, changes)
    await db.commit()
    state = get_state(request)
    await publish_machine(state, machine)
    return out(state, machine, detail=True)


@router.get("/{machine_id}/audit", response_model=AuditListOut)
async def machine_audit(machine_id: str, principal: Reader, db: DB) -> AuditListOut:
    machine = await _visible(db, principal, machine_id)
    rows = await db.scalars(
        select(AuditEntry)
        .where(AuditEntry.target == f"machine:{machine.id}")
        .order_by(AuditEntry.id.desc())
        .limit(200)
    )
    return AuditListOut(
        entries=[
            AuditEntryOut(at=e.at, user=e.username, action=e.action, details=e.details)
            for e in rows
        ]
    )
