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

FILENAME = "guruconnect-install.sh"


def header(payload: Payload) -> bytes:
    return _HEADER.format(
        major=sys.version_info.major,
        minor=sys.version_info.minor,
        machine=platform.machine(),
        size=payload.size,
        sha256=payload.sha256,
        marker_a=MARKER[:14].decode(),
        marker_b=MARKER[14:].decode(),
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
import hashlib, io, os, platform, shutil, sys, tarfile, tempfile
def fail(text):
    sys.stderr.write("GuruConnect installer: " + text + "\\n")
    sys.exit(1)
if sys.version_info[:2] != ({major}, {minor}):
    fail("this agent needs Python {major}.{minor}; python3 here is %d.%d." % sys.version_info[:2])
if platform.machine() != "{machine}":
    fail("this agent is for {machine} computers; this one is %s." % platform.machine())
with open(sys.argv[1], "rb") as f:
    data = f.read()
marker = b"\\n{marker_a}" + b"{marker_b}\\n"
start = data.find(marker)
if start < 0:
    fail("the installer is damaged; download it again.")
start += len(marker)
end = data.index(b"\\n", start)
config, payload = data[start:end], data[end + 1:]
if len(payload) != {size} or hashlib.sha256(payload).hexdigest() != "{sha256}":
    fail("the installer is incomplete or damaged; download it again.")
run = tempfile.mkdtemp(prefix="guruconnect-install-")
try:
    with open(os.path.join(run, "baked.json"), "wb") as f:
        f.write(config)
    with tarfile.open(fileobj=io.BytesIO(payload), mode="r:xz") as tar:
        if hasattr(tarfile, "data_filter"):
            tar.extractall(os.path.join(run, "lib"), filter="data")
        else:
            tar.extractall(os.path.join(run, "lib"))
except BaseException:
    shutil.rmtree(run, ignore_errors=True)
    raise
print(run)
GURUCONNECT_BOOTSTRAP
) || exit 1
trap 'rm -rf "$dir"' EXIT
status=0
PYTHONPATH="$dir/lib" PYTHONNOUSERSITE=1 python3 -m guruconnect.agent.install \\
    --baked "$dir/baked.json" --lib-from "$dir/lib" "$@" || status=$?
exit $status
"""
