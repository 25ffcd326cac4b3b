"""Windows machine facts: WMI for the hardware identity, the registry for the rest.

WMI (through pywin32's win32com): Win32_BIOS.SerialNumber, Win32_ComputerSystem
Manufacturer and Model. The service tag is the serial number on Dell machines (Dell
prints the BIOS serial as its service tag). When WMI is unavailable (service stopped,
repository broken) the manufacturer and model fall back to the registry's BIOS key, and
the serial stays empty: the registry does not carry it.

Runs under Wine in CI (tests/windows/test_facts.py, through the Windows runtime); real
Windows hardware values are NOT RUN here. mypy checks it with ``--platform win32``; on
other platforms the ``sys.platform`` guard makes it unreachable.
"""

from __future__ import annotations

import logging
import platform
import sys
from dataclasses import dataclass

from guruconnect.agent.facts import PlatformFacts, clean_firmware_string

log = logging.getLogger("guruconnect.agent.facts")

CURRENT_VERSION = r"SOFTWARE\Microsoft\Windows NT\CurrentVersion"
BIOS = r"HARDWARE\DESCRIPTION\System\BIOS"
CPU0 = r"HARDWARE\DESCRIPTION\System\CentralProcessor\0"
WINDOWS_11_FIRST_BUILD = 22000
WMI_SYSTEM = "SELECT Manufacturer, Model FROM Win32_ComputerSystem"
WMI_BIOS = "SELECT SerialNumber FROM Win32_BIOS"


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
    wmi = wmi_identity()
    manufacturer = wmi.manufacturer or clean_firmware_string(read(BIOS, "SystemManufacturer"))
    model = wmi.model or clean_firmware_string(read(BIOS, "SystemProductName"))
    return PlatformFacts(
        os_type="windows",
        os_name=product,
        # DisplayVersion ("23H2") exists since 20H2; ReleaseId ("2004") before that.
        os_version=read(CURRENT_VERSION, "DisplayVersion") or read(CURRENT_VERSION, "ReleaseId"),
        os_build=f"{build}.{ubr}" if build and ubr else build or platform.version(),
        os_install_date=float(install) if install.isdigit() and int(install) > 0 else None,
        cpu_model=read(CPU0, "ProcessorNameString") or platform.processor(),
        manufacturer=manufacturer,
        model=model,
        serial_number=wmi.serial_number,
        service_tag=service_tag(manufacturer, wmi.serial_number),
    )


@dataclass(frozen=True)
class WmiIdentity:
    manufacturer: str = ""
    model: str = ""
    serial_number: str = ""


def service_tag(manufacturer: str, serial_number: str) -> str:
    """Dell's service tag is the BIOS serial number; other vendors have none."""
    return serial_number if manufacturer.lower().startswith("dell") else ""


def wmi_identity() -> WmiIdentity:
    """Manufacturer, model and serial from WMI; empty fields when WMI cannot answer."""
    if sys.platform != "win32":
        raise RuntimeError("wmi_identity() only works on Windows")
    try:
        import pythoncom
        import win32com.client
    except ImportError:
        return WmiIdentity()

    def first(service: object, query: str, prop: str) -> str:
        rows = service.ExecQuery(query)  # type: ignore[attr-defined,unused-ignore]
        for row in rows:
            # Properties_ rather than late-bound attributes: Wine implements only this.
            value = row.Properties_(prop).Value
            return clean_firmware_string(str(value)) if value is not None else ""
        return ""

    pythoncom.CoInitialize()  # this thread may not have COM yet (inventory runs in one)
    try:
        service = win32com.client.GetObject(r"winmgmts:\\.\root\cimv2")
        return WmiIdentity(
            manufacturer=first(service, WMI_SYSTEM, "Manufacturer"),
            model=first(service, WMI_SYSTEM, "Model"),
            serial_number=first(service, WMI_BIOS, "SerialNumber"),
        )
    except Exception as exc:  # pywintypes.com_error and friends: WMI is optional
        log.info("WMI unavailable, using the registry: %s", exc)
        return WmiIdentity()
    finally:
        pythoncom.CoUninitialize()
