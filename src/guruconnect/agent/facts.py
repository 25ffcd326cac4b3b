"""What the operating system says about the machine, in one platform-neutral shape.

Each platform module fills a PlatformFacts; inventory.py adds what psutil knows
everywhere (CPU counts, memory, disks, network, users).
"""

from __future__ import annotations

import platform
from dataclasses import dataclass

# Firmware placeholders that vendors leave in DMI/SMBIOS: reporting them as a serial
# number would make unrelated machines look identical.
_PLACEHOLDERS = frozenset(
    {
        "",
        "0",
        "none",
        "n/a",
        "na",
        "default string",
        "not specified",
        "not applicable",
        "not available",
        "system serial number",
        "system product name",
        "system manufacturer",
        "to be filled by o.e.m.",
        "o.e.m.",
        "chassis serial number",
        "0123456789",
        "123456789",
    }
)


def clean_firmware_string(value: str) -> str:
    value = value.strip().strip("\x00").strip()
    return "" if value.lower() in _PLACEHOLDERS else value


@dataclass(frozen=True)
class PlatformFacts:
    os_type: str = ""
    os_name: str = ""
    os_version: str = ""
    os_build: str = ""
    os_install_date: float | None = None
    cpu_model: str = ""
    manufacturer: str = ""
    model: str = ""
    serial_number: str = ""
    service_tag: str = ""


def generic_facts() -> PlatformFacts:
    """Fallback for platforms without a dedicated module (macOS, BSD): stdlib only."""
    system = platform.system()
    return PlatformFacts(
        os_type="macos" if system == "Darwin" else system.lower(),
        os_name=system,
        os_version=platform.release(),
        os_build=platform.version(),
        cpu_model=platform.processor() or platform.machine(),
    )
