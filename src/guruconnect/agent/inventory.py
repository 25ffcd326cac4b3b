"""Collect the machine's Inventory message, and tell real changes from mere fluctuation."""

from __future__ import annotations

import hashlib
import os
import socket
import sys
import time
from collections.abc import Iterable

import msgspec
import psutil

from guruconnect.agent.facts import PlatformFacts, generic_facts
from guruconnect.protocol import Inventory, InventoryDisk, InventoryInterface, encode

# The protocol's limits (messages.py); exceeding them would get the frame rejected.
MAX_SHORT = 256
MAX_TEXT = 4096
MAX_ITEMS = 256
MAX_ADDRESSES = 64

# Mounted images and container layers: not disks anyone manages.
_SKIP_FSTYPES = frozenset({"squashfs", "overlay", "iso9660", "udf", "tmpfs", "devtmpfs"})


def _is_loopback(name: str) -> bool:
    lowered = name.lower()
    # Linux "lo", macOS/BSD "lo0", Windows "Loopback Pseudo-Interface 1".
    return lowered in ("lo", "lo0") or lowered.startswith("loopback pseudo-interface")


def _short(value: str) -> str:
    return value[:MAX_SHORT]


def platform_facts() -> PlatformFacts:
    if sys.platform == "win32":
        from guruconnect.agent.facts_windows import windows_facts

        return windows_facts()
    if sys.platform.startswith("linux"):
        from guruconnect.agent.facts_linux import linux_facts

        return linux_facts()
    return generic_facts()


def collect_inventory(agent_version: str, description: str = "") -> Inventory:
    """Blocking (reads /proc, /sys, the registry): run it in a worker thread."""
    facts = platform_facts()
    memory = psutil.virtual_memory()
    return Inventory(
        hostname=_short(socket.gethostname()),
        os_type=_short(facts.os_type),
        os_name=_short(facts.os_name),
        os_version=_short(facts.os_version),
        os_build=_short(facts.os_build),
        os_install_date=facts.os_install_date,
        cpu_model=_short(facts.cpu_model),
        cpu_count=psutil.cpu_count(logical=True) or 0,
        cpu_cores=psutil.cpu_count(logical=False) or 0,
        ram_total=memory.total,
        ram_available=memory.available,
        disks=disks(),
        interfaces=interfaces(),
        logged_on_users=logged_on_users(),
        idle_seconds=idle_seconds(),
        manufacturer=_short(facts.manufacturer),
        model=_short(facts.model),
        serial_number=_short(facts.serial_number),
        service_tag=_short(facts.service_tag),
        # Whole seconds: some platforms derive it from uptime and wobble by a fraction,
        # which would otherwise look like a change.
        boot_time=float(round(psutil.boot_time())),
        agent_version=_short(agent_version),
        description=description[:MAX_TEXT],
    )


def disks() -> list[InventoryDisk]:
    found: list[InventoryDisk] = []
    seen_devices: set[str] = set()
    # Shortest mount point first, so a device bind-mounted in several places is
    # reported where it is really mounted ("/" rather than "/var/lib/docker/...").
    partitions = sorted(psutil.disk_partitions(all=False), key=lambda p: len(p.mountpoint))
    for part in partitions:
        if (
            part.fstype in _SKIP_FSTYPES
            or part.device.startswith("/dev/loop")
            or part.mountpoint.startswith("/snap/")
            or "cdrom" in part.opts  # Windows: empty optical drives
            or part.device in seen_devices
        ):
            continue
        try:
            usage = psutil.disk_usage(part.mountpoint)
        except OSError:  # removable drive without media, stale network mount
            continue
        seen_devices.add(part.device)
        found.append(
            InventoryDisk(
                mount=_short(part.mountpoint),
                total=usage.total,
                free=usage.free,
                fstype=_short(part.fstype),
            )
        )
    return sorted(found, key=lambda d: d.mount)[:MAX_ITEMS]


def _normalize_mac(address: str) -> str:
    mac = address.replace("-", ":").lower()  # Windows writes AA-BB-CC-...
    return "" if mac.strip("0:") == "" else mac


def interfaces() -> list[InventoryInterface]:
    found: list[InventoryInterface] = []
    for name, addresses in sorted(psutil.net_if_addrs().items()):
        if _is_loopback(name):
            continue
        mac = ""
        ipv4: list[str] = []
        ipv6: list[str] = []
        for addr in addresses:
            if addr.family == psutil.AF_LINK:
                mac = _normalize_mac(addr.address)
            elif addr.family == socket.AF_INET:
                ipv4.append(_short(addr.address))
            elif addr.family == socket.AF_INET6:
                ipv6.append(_short(addr.address))
        found.append(
            InventoryInterface(
                name=_short(name),
                mac=_short(mac),
                ipv4=sorted(ipv4)[:MAX_ADDRESSES],
                ipv6=sorted(ipv6)[:MAX_ADDRESSES],
            )
        )
    return found[:MAX_ITEMS]


def logged_on_users() -> list[str]:
    return sorted({_short(user.name) for user in psutil.users() if user.name})[:MAX_ITEMS]


def idle_seconds(now: float | None = None) -> int:
    """Seconds since the most recent keyboard input on any login terminal; -1 if unknown.

    This is what ``w`` shows: a terminal's atime moves on every keystroke. Graphical
    sessions without a tty (Wayland) and Windows sessions are not covered.
    """
    now = time.time() if now is None else now
    return _min_idle(now, (u.terminal for u in psutil.users()))


def _min_idle(now: float, terminals: Iterable[str | None]) -> int:
    idle: list[float] = []
    for terminal in terminals:
        if not terminal or terminal.startswith(":") or os.sep != "/":
            continue
        try:
            idle.append(max(0.0, now - os.stat(f"/dev/{terminal}").st_atime))
        except OSError:
            continue
    return int(min(idle)) if idle else -1


def significant_fingerprint(inv: Inventory) -> bytes:
    """A digest that only moves when something worth telling the server changed.

    Free memory, free disk space and idle time change constantly and are reported by
    the periodic resend anyway; everything else (a new address, a user logging on, a
    reboot, an OS update) counts as a change.
    """
    stable = msgspec.structs.replace(
        inv,
        ram_available=0,
        idle_seconds=-1,
        disks=[msgspec.structs.replace(disk, free=0) for disk in inv.disks],
    )
    return hashlib.sha256(encode(stable)).digest()
