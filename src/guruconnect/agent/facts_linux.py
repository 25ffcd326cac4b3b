"""Linux machine facts from /etc/os-release, /proc and /sys/class/dmi (no subprocesses)."""

from __future__ import annotations

import os
import platform
import time
from pathlib import Path

from guruconnect.agent.facts import PlatformFacts, clean_firmware_string

DMI = Path("/sys/class/dmi/id")

# Paths created when the system was installed and rarely touched afterwards:
#   /var/log/installer      Debian/Ubuntu installer logs
#   /root/anaconda-ks.cfg   RHEL/Fedora installer kickstart
#   /lost+found             made by mkfs on ext2/3/4 root filesystems
#   /etc/machine-id         written by systemd on first boot
# Python 3.11 cannot read a file's birth time on Linux (no statx), so we take the
# oldest ctime among those that exist: ctime cannot be set from userspace (unlike
# mtime), and any later rewrite only moves a timestamp forward, never back.
INSTALL_MARKERS = (
    "/var/log/installer",
    "/root/anaconda-ks.cfg",
    "/lost+found",
    "/etc/machine-id",
)


def linux_facts() -> PlatformFacts:
    os_release = _os_release()
    sys_vendor = _dmi("sys_vendor")
    product_serial = _dmi("product_serial")  # root-only on most distributions
    # Dell's "service tag" is the system serial; elsewhere the chassis serial is what
    # is printed on the case label.
    is_dell = sys_vendor.lower().startswith("dell")
    service_tag = product_serial if is_dell else _dmi("chassis_serial")
    return PlatformFacts(
        os_type="linux",
        os_name=os_release.get("PRETTY_NAME") or os_release.get("NAME") or "Linux",
        os_version=os_release.get("VERSION_ID", ""),
        os_build=platform.release(),  # the kernel: what matters for patching on Linux
        os_install_date=install_date(),
        cpu_model=cpu_model(),
        manufacturer=sys_vendor,
        model=_dmi("product_name"),
        serial_number=product_serial or _dmi("board_serial"),
        service_tag=service_tag,
    )


def _os_release() -> dict[str, str]:
    try:
        return platform.freedesktop_os_release()
    except OSError:
        return {}


def _dmi(name: str) -> str:
    try:
        return clean_firmware_string((DMI / name).read_text(errors="replace"))
    except OSError:  # absent (VMs, ARM boards) or unreadable without root
        return ""


# Images built reproducibly carry timestamps of 0 (1970); those say nothing.
_PLAUSIBLE_SINCE = 946684800.0  # 2000-01-01


def install_date(markers: tuple[str, ...] = INSTALL_MARKERS) -> float | None:
    now = time.time()
    times = []
    for marker in markers:
        try:
            ctime = os.stat(marker).st_ctime
        except OSError:
            continue
        if _PLAUSIBLE_SINCE <= ctime <= now:
            times.append(ctime)
    return min(times) if times else None


def cpu_model(cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    try:
        text = cpuinfo.read_text(errors="replace")
    except OSError:
        text = ""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            fields.setdefault(key.strip().lower(), value.strip())
    # x86 says "model name"; ARM and others use one of the later keys, if any.
    for key in ("model name", "cpu model", "processor name", "hardware", "model", "cpu"):
        value = fields.get(key, "")
        if value and not value.isdigit():
            return value
    return platform.machine()
