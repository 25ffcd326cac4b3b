"""Every message on the agent socket, defined once for agent and server.

Frames are MessagePack maps tagged by ``type``. Field limits live in the types
so that decoding *is* validation: a frame that decodes is within bounds.

Conversation (see docs/protocol.md):
    server -> ServerHello(challenge)
    agent  -> AgentHello(agent_id, versions, signature)
    server -> Welcome(version, intervals, public_ip)
    agent  -> Inventory | Heartbeat | MetadataUpdate ...
    server -> HeartbeatAck ...
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

from guruconnect.protocol.desktop import DesktopClose, DesktopOpen
from guruconnect.protocol.files import FilesOpen
from guruconnect.protocol.types import AgentId, Count, Seconds, Short, Text, Versions

AUTH_CONTEXT = b"guruconnect/agent-auth/v1\x00"
CHALLENGE_BYTES = 32


def auth_payload(challenge: bytes, agent_id: str) -> bytes:
    """What the agent signs to prove it holds its key: bound to this server's challenge."""
    return AUTH_CONTEXT + challenge + agent_id.encode()


class _Msg(msgspec.Struct, tag_field="type", forbid_unknown_fields=False, omit_defaults=True):
    """Base of all frames. Unknown fields are ignored so newer peers can add optional ones."""


# --- server -> agent ---------------------------------------------------------------


class ServerHello(_Msg, tag="server_hello"):
    versions: Versions
    challenge: Annotated[bytes, Meta(min_length=CHALLENGE_BYTES, max_length=CHALLENGE_BYTES)]
    server_version: Short = ""


class Welcome(_Msg, tag="welcome"):
    version: int
    heartbeat_interval: Seconds
    inventory_interval: Seconds
    public_ip: Short = ""


class HeartbeatAck(_Msg, tag="heartbeat_ack"):
    seq: Count
    server_time: float


ServerMessage = ServerHello | Welcome | HeartbeatAck | DesktopOpen | DesktopClose | FilesOpen


# --- agent -> server ---------------------------------------------------------------


class AgentHello(_Msg, tag="agent_hello"):
    agent_id: AgentId
    versions: Versions
    signature: Annotated[bytes, Meta(min_length=64, max_length=64)]  # Ed25519
    agent_version: Short = ""


class Heartbeat(_Msg, tag="heartbeat"):
    seq: Count
    idle_seconds: Annotated[int, Meta(ge=-1)] = -1  # -1: unknown


class InventoryDisk(msgspec.Struct, omit_defaults=True):
    mount: Short
    total: Count
    free: Count
    fstype: Short = ""


class InventoryInterface(msgspec.Struct, omit_defaults=True):
    name: Short
    mac: Short = ""
    ipv4: Annotated[list[Short], Meta(max_length=64)] = []
    ipv6: Annotated[list[Short], Meta(max_length=64)] = []


class Inventory(_Msg, tag="inventory"):
    """What the machine is. Sent after Welcome, on change, and every inventory_interval."""

    hostname: Short
    os_type: Short = ""  # linux | windows | macos
    os_name: Short = ""  # e.g. "Debian GNU/Linux 12 (bookworm)", "Windows 11 Pro"
    os_version: Short = ""
    os_build: Short = ""
    os_install_date: float | None = None  # unix seconds
    cpu_model: Short = ""
    cpu_count: Count = 0  # logical processors
    cpu_cores: Count = 0  # physical cores
    ram_total: Count = 0  # bytes
    ram_available: Count = 0
    disks: Annotated[list[InventoryDisk], Meta(max_length=256)] = []
    interfaces: Annotated[list[InventoryInterface], Meta(max_length=256)] = []
    logged_on_users: Annotated[list[Short], Meta(max_length=256)] = []
    idle_seconds: Annotated[int, Meta(ge=-1)] = -1
    manufacturer: Short = ""
    model: Short = ""
    serial_number: Short = ""
    service_tag: Short = ""
    boot_time: float | None = None
    agent_version: Short = ""
    description: Text = ""


class MetadataUpdate(_Msg, tag="metadata_update"):
    """The user re-ran the agent with --reconfigure. Empty string: leave unchanged."""

    name: Short = ""
    site: Short = ""
    department: Short = ""
    device_type: Short = ""
    tag: Short = ""


AgentMessage = AgentHello | Heartbeat | Inventory | MetadataUpdate
