"""The Windows runtime the Windows installer tests package.

With ``server/installers/windows/runtime.py`` present (branch winruntime) this is the
real one: embeddable CPython, win_amd64 wheels, the agent and pythonservice.exe, built
once per test run. Without it there is no Windows CPython to package, so the packaging
tests get a stand-in tree with the runtime's top-level names and a few nested files
(including a space and non-ASCII in names). That is the one edge faked here, and only
the packaging (MSI tables, NSIS, signatures, baking) is asserted against it; nothing
executes it.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

RUNTIME_MODULE = "guruconnect.server.installers.windows.runtime"
STAND_IN_FILES = (
    "python.exe",
    "pythonw.exe",
    "pythonservice.exe",
    "python313.dll",
    "python313._pth",
    "Lib/site-packages/guruconnect/__init__.py",
    "Lib/site-packages/guruconnect/agent/install/windows.py",
    "Lib/site-packages/with space/Zürich.txt",
)


def real_runtime_available() -> bool:
    return importlib.util.find_spec(RUNTIME_MODULE) is not None


def prepare(target: Path) -> Path:
    """A runtime directory at ``target`` (built, or the stand-in described above)."""
    if real_runtime_available():
        from guruconnect.server.installers.windows.bases import build_runtime

        return build_runtime(target)
    for name in STAND_IN_FILES:
        path = target / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(f"stand-in {name}\n".encode() * 64)
    return target
