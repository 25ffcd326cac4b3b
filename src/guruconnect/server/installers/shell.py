"""The Linux ``.sh`` installer: the one-time support agent's self-extracting layout
(``server/support/bundle.py``: header, marker, one config line, the cached payload) with
an installer header and the signed baked config as its config line.

Per request only the header and the ~1 KB envelope are made; the payload (agent code and
libraries, tens of MB) is the support agent's cached one, built once per release.
"""

from __future__ import annotations

import platform
import sys

from guruconnect.server.support.bundle import MARKER, BakedAgent, Payload
from guruconnect.server.support.unpack import Wording, bootstrap

FILENAME = "guruconnect-install.sh"


WORDING = Wording(
    who="GuruConnect installer",
    damaged="download the installer again",
    temp_prefix="guruconnect-install-",
    config_name="baked.json",
)


def header(payload: Payload) -> bytes:
    script = _HEADER.format(major=sys.version_info.major, minor=sys.version_info.minor,
                            machine=platform.machine())  # fmt: skip
    return script.replace(
        "{bootstrap}", bootstrap(payload.size, payload.sha256, MARKER, WORDING)
    ).encode()


def bake(payload: Payload, envelope: bytes) -> BakedAgent:
    if b"\n" in envelope:
        raise ValueError("the baked config must be one line")
    return BakedAgent(header(payload) + MARKER + b"\n" + envelope + b"\n", payload, FILENAME)


_HEADER = """#!/bin/sh
# GuruConnect agent installer, built by your GuruConnect server for one configuration.
# Installs the unattended agent as the systemd service guruconnect-agent.service.
# Needs: Linux on {machine}, python3 {major}.{minor}, root.
#   sudo sh guruconnect-install.sh [--site S] [--tag T] [--name N] [--department D]
#                                  [--device-type T] [--prefix DIR] [--root DIR]
#   sudo sh guruconnect-install.sh --reconfigure --site "New York Office"
#   sudo sh guruconnect-install.sh --uninstall
set -eu
script=$(cd "$(dirname -- "$0")" && pwd)/$(basename -- "$0")
if ! grep -q "^__GURUCONNECT_PAY""LOAD__$" "$script" 2>/dev/null; then
    echo "GuruConnect installer: run it from a file, not through a pipe:" >&2
    echo "  curl -fsSLo guruconnect-install.sh URL && sudo sh guruconnect-install.sh" >&2
    exit 2
fi
if ! command -v python3 >/dev/null 2>&1; then
    echo "GuruConnect installer: python3 is not installed on this computer." >&2
    exit 1
fi
dir=$(python3 - "$script" <<'GURUCONNECT_BOOTSTRAP'
{{bootstrap}}GURUCONNECT_BOOTSTRAP
) || exit 1
trap 'rm -rf "$dir"' EXIT
status=0
PYTHONPATH="$dir/lib" PYTHONNOUSERSITE=1 python3 -m guruconnect.agent.install \\
    --baked "$dir/baked.json" --lib-from "$dir/lib" "$@" || status=$?
exit $status
"""
