"""Windows machine facts from the registry.

NOT RUN in CI: the code is only exercised on Windows. mypy checks it when run with
``--platform win32``; on other platforms the ``sys.platform`` guard makes it unreachable.
"""

from __future__ import annotations

import platform
import sys

from guruconnect.agent.facts import PlatformFacts, clean_firmware_string

CURRENT_VERSION = r"SOFTWARE\Microsoft\Windows NT\CurrentVersion"
BIOS = r"HARDWARE\DESCRIPTION\System\BIOS"
CPU0 = r"HARDWARE\DESCRIPTION\System\CentralProcessor\0"
WINDOWS_11_FIRST_BUILD = 22000


def windows_facts() -> PlatformFacts:
    if sys.platform != "win32":
        raise RuntimeError("windows_facts() only works on Windows")
    import winreg

    def read(key_path: str, value: str) -> str:
        try:
            with winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, key_path) as key:
                data, _ = winreg.QueryValueEx(key, value)
        except OSError:
            return ""
        return str(data).strip()

    build = read(CURRENT_VERSION, "CurrentBuild")
    ubr = read(CURRENT_VERSION, "UBR")
    product = read(CURRENT_VERSION, "ProductName") or f"Windows {platform.release()}"
    # Windows 11 still says "Windows 10" in ProductName; the build number tells them apart.
    if build.isdigit() and int(build) >= WINDOWS_11_FIRST_BUILD:
        product = product.replace("Windows 10", "Windows 11")
    install = read(CURRENT_VERSION, "InstallDate")  # REG_DWORD, unix seconds
    return PlatformFacts(
        os_type="windows",
        os_name=product,
        # DisplayVersion ("23H2") exists since 20H2; ReleaseId ("2004") before that.
        os_version=read(CURRENT_VERSION, "DisplayVersion") or read(CURRENT_VERSION, "ReleaseId"),
        os_build=f"{build}.{ubr}" if build and ubr else build or platform.version(),
        os_install_date=float(install) if install.isdigit() and int(install) > 0 else None,
        cpu_model=read(CPU0, "ProcessorNameString") or platform.processor(),
        manufacturer=clean_firmware_string(read(BIOS, "SystemManufacturer")),
        model=clean_firmware_string(read(BIOS, "SystemProductName")),
        # The serial number is only exposed through WMI (Win32_BIOS), which would mean
        # pulling in COM bindings or spawning PowerShell; left empty for now.
        serial_number="",
        service_tag="",
    )
