"""The Python half of a self-extracting Linux script (the one-time support agent and the
agent installer): check the interpreter and the architecture, find the config line and the
payload after the marker, verify the payload's size and SHA-256, unpack it into a new
temporary folder with the config beside it, and print that folder for the shell half.

Each script's own shell lines go around it; what differs between them is said by the
arguments, so the checks themselves exist once.
"""

from __future__ import annotations

import platform
import sys
from dataclasses import dataclass


@dataclass(frozen=True)
class Wording:
    who: str  # the prefix of every message: "GuruConnect installer"
    damaged: str  # what to tell the user to do about a damaged file
    temp_prefix: str  # of the temporary folder
    config_name: str  # the config line is written here, in that folder
    require_tk: bool = False  # the support agent's window needs Tk
    dir_marker: str = ""  # an empty file that marks the folder as ours (cleanup)


def bootstrap(size: int, sha256: str, marker: bytes, wording: Wording) -> str:
    """The bootstrap for one payload, ready to go between the heredoc lines."""
    major, minor = sys.version_info[:2]
    machine = platform.machine()
    tk = (
        "try:\n"
        "    import tkinter\n"
        "except ImportError:\n"
        '    fail("Python\'s Tk support is missing (Debian/Ubuntu: python3-tk).")\n'
        if wording.require_tk
        else ""
    )
    mark = (
        f'    open(os.path.join(run, "{wording.dir_marker}"), "w").close()\n'
        if wording.dir_marker
        else ""
    )
    # The marker is split so this script's own text never contains it whole.
    half = len(marker) // 2
    return (
        "import hashlib, io, os, platform, shutil, sys, tarfile, tempfile\n"
        "def fail(text):\n"
        f'    sys.stderr.write("{wording.who}: " + text + "\\n")\n'
        "    sys.exit(1)\n"
        f"if sys.version_info[:2] != ({major}, {minor}):\n"
        f'    fail("this agent needs Python {major}.{minor}; python3 here is %d.%d."'
        " % sys.version_info[:2])\n"
        f'if platform.machine() != "{machine}":\n'
        f'    fail("this agent is for {machine} computers; this one is %s."'
        " % platform.machine())\n"
        f"{tk}"
        'with open(sys.argv[1], "rb") as f:\n'
        "    data = f.read()\n"
        f'marker = b"\\n{marker[:half].decode()}" + b"{marker[half:].decode()}\\n"\n'
        "start = data.find(marker)\n"
        "if start < 0:\n"
        f'    fail("the file is damaged; {wording.damaged}.")\n'
        "start += len(marker)\n"
        'end = data.index(b"\\n", start)\n'
        "config, payload = data[start:end], data[end + 1:]\n"
        f'if len(payload) != {size} or hashlib.sha256(payload).hexdigest() != "{sha256}":\n'
        f'    fail("the file is incomplete or damaged; {wording.damaged}.")\n'
        f'run = tempfile.mkdtemp(prefix="{wording.temp_prefix}")\n'
        "try:\n"
        f"{mark}"
        f'    with open(os.path.join(run, "{wording.config_name}"), "wb") as f:\n'
        "        f.write(config)\n"
        '    with tarfile.open(fileobj=io.BytesIO(payload), mode="r:xz") as tar:\n'
        '        if hasattr(tarfile, "data_filter"):\n'
        '            tar.extractall(os.path.join(run, "lib"), filter="data")\n'
        "        else:\n"
        '            tar.extractall(os.path.join(run, "lib"))\n'
        "except BaseException:\n"
        "    shutil.rmtree(run, ignore_errors=True)\n"
        "    raise\n"
        "print(run)\n"
    )
