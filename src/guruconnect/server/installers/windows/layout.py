"""Names both Windows installers (MSI and EXE) agree on, so one can upgrade or remove
what the other installed, and the agent finds what they wrote."""

from __future__ import annotations

import re

import guruconnect

PRODUCT = "GuruConnect Agent"
MANUFACTURER = "GuruConnect"
INSTALL_DIR = "GuruConnect"  # under Program Files
DATA_DIR = "GuruConnect"  # under ProgramData: agent.json (the private key), logs
SERVICE_NAME = "GuruConnectAgent"
SERVICE_DISPLAY = "GuruConnect Agent"
SERVICE_DESCRIPTION = "GuruConnect unattended remote support agent"
# pywin32's pythonservice.exe reads the class to run from Services\<name>\PythonClass.
SERVICE_CLASS = "guruconnect.agent.service_windows.AgentService"
SERVICE_HOST = "pythonservice.exe"
PYTHON = "python.exe"
COMMAND = "guruconnect-agent.cmd"
ARP_KEY = rf"Software\Microsoft\Windows\CurrentVersion\Uninstall\{SERVICE_NAME}"
# Never change: every MSI of this product shares it, which is what makes MajorUpgrade work.
UPGRADE_CODE = "8D1F6A9E-4C35-4F0E-9A57-0D3B6B5C9A01"


def numeric_version(version: str = guruconnect.__version__) -> tuple[int, int, int]:
    """MSI and VERSIONINFO want numbers (major, minor <= 255, build <= 65535); a
    pre-release maps to its release's numbers."""
    parts = [int(p) for p in re.findall(r"\d+", version.split("+")[0])[:3]]
    major, minor, patch = [*parts, 0, 0, 0][:3]
    if major > 255 or minor > 255 or patch > 65535:
        raise ValueError(f"version {version!r} does not fit Windows' version numbers")
    return major, minor, patch


def command_script() -> str:
    """``guruconnect-agent.cmd``: ``--reconfigure --site S`` etc. with the bundled Python."""
    return (
        "@echo off\r\n"
        'rem GuruConnect agent. Usage: guruconnect-agent --reconfigure --site "New York"\r\n'
        f'"%~dp0{PYTHON}" -m guruconnect.agent.install.windows %*\r\n'
    )
