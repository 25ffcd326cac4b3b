"""The machine list and detail API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status

from guruconnect.server.auth.deps import require
from guruconnect.server.auth.principal import Principal
from guruconnect.server.auth.roles import Scope
from guruconnect.server.db.deps import DB
from guruconnect.server.db.models import Machine
from guruconnect.server.machines import service
from guruconnect.server.machines.schemas import MachineListOut, MachineOut
from guruconnect.server.state import get_state

router = APIRouter(prefix="/api/v1/machines", tags=["machines"])

Reader = Annotated[Principal, Depends(require(Scope.MACHINES_READ))]


@router.get("", response_model=MachineListOut)
async def list_machines(request: Request, principal: Reader, db: DB) -> MachineListOut:
    presence = get_state(request).presence
    machines = await service.visible_machines(db, principal)
    return MachineListOut(
        machines=[service.to_out(m, online=presence.is_online(m.id)) for m in machines]
    )


@router.get("/{machine_id}", response_model=MachineOut)
async def get_machine(machine_id: str, request: Request, principal: Reader, db: DB) -> MachineOut:
    machine = await db.get(Machine, machine_id)
    if machine is None or not principal.sees_company(machine.company):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such machine")
    online = get_state(request).presence.is_online(machine.id)
    return service.to_out(machine, online=online, detail=True)
