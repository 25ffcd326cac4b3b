"""Machine reads (scoped to what the caller may see) and updates from agent reports."""

from __future__ import annotations

import datetime as dt

import msgspec
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from guruconnect import __version__
from guruconnect.protocol import Inventory, MetadataUpdate
from guruconnect.server.db.models import Machine
from guruconnect.server.db.types import utcnow
from guruconnect.server.machines.facts import apply_guest, refresh_search_text, version_key
from guruconnect.server.machines.schemas import MachineOut

CURRENT_VERSION_KEY = version_key(__version__)


def to_out(
    m: Machine, *, online: bool, detail: bool = False, host_connected: int = 0
) -> MachineOut:
    return MachineOut(
        id=m.id,
        name=m.name,
        hostname=m.hostname,
        company=m.company,
        site=m.site,
        department=m.department,
        device_type=m.device_type,
        tag=m.tag,
        description=m.description,
        online=online,
        last_seen=m.last_seen,
        first_seen=m.first_seen,
        agent_version=m.agent_version,
        os_type=m.os_type,
        os_name=m.os_name,
        os_version=m.os_version,
        public_ip=m.public_ip,
        logged_on_users=list(m.logged_on_users or []),
        inventory=m.inventory if detail else None,
        inventory_at=m.inventory_at,
        attention=m.attention,
        attention_note=m.attention_note,
        custom_attributes=dict(m.custom_attributes or {}),
        host_connected=host_connected,
        guest_connected=online and m.guest_present,
        guest_last_connected=m.guest_last_connected,
        last_host_session_at=m.last_host_session_at,
        boot_time=m.boot_time,
        idle_seconds=m.idle_seconds,
        private_ips=list(m.private_ips or []),
        macs=list(m.macs or []),
        serial_number=m.serial_number,
        service_tag=m.service_tag,
        os_build=m.os_build,
        outdated=0 < m.agent_version_key < CURRENT_VERSION_KEY,
    )


async def apply_inventory(
    db: AsyncSession, machine_id: str, inv: Inventory, public_ip: str
) -> Machine | None:
    machine = await db.get(Machine, machine_id)
    if machine is None:
        return None
    now = utcnow()
    machine.inventory = msgspec.to_builtins(inv)
    machine.inventory_at = now
    machine.hostname = inv.hostname
    machine.os_type = inv.os_type
    machine.os_name = inv.os_name
    machine.os_version = inv.os_version
    machine.agent_version = inv.agent_version or machine.agent_version
    machine.logged_on_users = list(inv.logged_on_users)
    if inv.description:
        machine.description = inv.description
    machine.public_ip = public_ip
    machine.last_seen = now
    machine.os_build = inv.os_build
    machine.serial_number = inv.serial_number
    machine.service_tag = inv.service_tag
    machine.private_ips = sorted({ip for nic in inv.interfaces for ip in (*nic.ipv4, *nic.ipv6)})
    machine.macs = sorted({nic.mac for nic in inv.interfaces if nic.mac})
    machine.boot_time = dt.datetime.fromtimestamp(inv.boot_time, dt.UTC) if inv.boot_time else None
    machine.agent_version_key = version_key(machine.agent_version)
    apply_guest(machine, list(inv.logged_on_users), inv.idle_seconds, now)
    refresh_search_text(machine)
    await db.commit()
    return machine


async def apply_metadata(db: AsyncSession, machine_id: str, meta: MetadataUpdate) -> Machine | None:
    machine = await db.get(Machine, machine_id)
    if machine is None:
        return None
    # Company is fixed by the enrollment token; an agent cannot move itself to another.
    for field in ("name", "site", "department", "device_type", "tag"):
        value = getattr(meta, field)
        if value:
            setattr(machine, field, value)
    refresh_search_text(machine)
    await db.commit()
    return machine


async def record_offline(db: AsyncSession, ids: list[str]) -> None:
    for start in range(0, len(ids), 500):
        await db.execute(
            update(Machine).where(Machine.id.in_(ids[start : start + 500])).values(online=False)
        )
    await db.commit()


async def record_seen(db: AsyncSession, seen: dict[str, dt.datetime]) -> None:
    """Write a batch of heartbeats: one statement per distinct second, not per agent."""
    by_time: dict[dt.datetime, list[str]] = {}
    for agent_id, when in seen.items():
        by_time.setdefault(when.replace(microsecond=0), []).append(agent_id)
    for when, ids in by_time.items():
        for start in range(0, len(ids), 500):
            await db.execute(
                update(Machine)
                .where(Machine.id.in_(ids[start : start + 500]))
                .values(last_seen=when)
            )
    await db.commit()
