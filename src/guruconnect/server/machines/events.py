"""Telling dashboards that a machine changed. Events carry the company for scoping."""

from __future__ import annotations

from guruconnect.server.db.models import Machine
from guruconnect.server.live.bus import MACHINES
from guruconnect.server.machines.schemas import MachineOut
from guruconnect.server.machines.service import to_out
from guruconnect.server.state import AppState


async def publish_machine(state: AppState, machine: Machine) -> MachineOut:
    out = to_out(
        machine,
        online=state.presence.is_online(machine.id),
        host_connected=state.desktops.viewer_count(machine.id),
    )
    await publish_summary(state, out)
    return out


async def publish_summary(state: AppState, out: MachineOut) -> None:
    await state.bus.publish(
        MACHINES,
        {"type": "machine", "company": out.company, "machine": out.model_dump(mode="json")},
    )
