"""Where an installed agent lives, and the small files the installer writes.

Everything of the agent is under one prefix (default ``/opt/guruconnect``)::

    <prefix>/lib/            guruconnect.agent + .protocol and their libraries
    <prefix>/bin/guruconnect-agent   wrapper: runs the agent with the right interpreter
    <prefix>/etc/agent.json  the agent config (0600, holds the private key)
    <prefix>/etc/install.json        what the installer wrote, for --uninstall

plus the systemd unit and a ``/usr/local/bin`` link. ``root`` is a directory standing
for ``/`` (tests, image builds, dpkg's ``DPKG_ROOT``): files are written under it, while
the paths written *into* files (unit, wrapper) are the ones the real system will see.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

DEFAULT_PREFIX = PurePosixPath("/opt/guruconnect")
ETC_UNIT_DIR = PurePosixPath("/etc/systemd/system")
UNIT_NAME = "guruconnect-agent.service"
COMMAND = "guruconnect-agent"


@dataclass(frozen=True)
class Layout:
    root: Path
    prefix: PurePosixPath = DEFAULT_PREFIX
    unit_dir: PurePosixPath = ETC_UNIT_DIR

    def on_disk(self, path: PurePosixPath) -> Path:
        """Where ``path`` (as the installed system sees it) is under ``root``."""
        return self.root / path.relative_to("/")

    @property
    def lib(self) -> PurePosixPath:
        return self.prefix / "lib"

    @property
    def command(self) -> PurePosixPath:
        return self.prefix / "bin" / COMMAND

    @property
    def config(self) -> PurePosixPath:
        return self.prefix / "etc" / "agent.json"

    @property
    def record(self) -> PurePosixPath:
        return self.prefix / "etc" / "install.json"

    @property
    def unit(self) -> PurePosixPath:
        return self.unit_dir / UNIT_NAME

    @property
    def link(self) -> PurePosixPath:
        return PurePosixPath("/usr/local/bin") / COMMAND


def wrapper_script(python: str = sys.executable) -> str:
    """``guruconnect-agent``: finds its prefix from its own location, so the same file
    works under a scratch root; the interpreter is the one the installer ran with."""
    return f"""#!/bin/sh
# GuruConnect agent. Usage: guruconnect-agent [run | --reconfigure --site S ... | --uninstall]
here=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
PYTHONPATH="$here/lib"
PYTHONNOUSERSITE=1
GURU_AGENT_CONFIG="${{GURU_AGENT_CONFIG:-$here/etc/agent.json}}"
GURU_AGENT_PREFIX="$here"
export PYTHONPATH PYTHONNOUSERSITE GURU_AGENT_CONFIG GURU_AGENT_PREFIX
exec {python} -m guruconnect.agent.install.command "$@"
"""


def unit_file(layout: Layout) -> str:
    return f"""[Unit]
Description=GuruConnect unattended agent
Wants=network-online.target
After=network-online.target

[Service]
Type=simple
ExecStart={layout.command} run
Restart=always
RestartSec=5
# The agent reads its config at every heartbeat (reconfigure needs no restart).
Environment=PYTHONUNBUFFERED=1

[Install]
WantedBy=multi-user.target
"""
