"""System packages for tests: install them when we may (root with apt), else skip.

Under CI=true a missing package is a failure, never a skip.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

_apt_updated = False


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def unavailable(reason: str) -> None:
    if in_ci():
        pytest.fail(f"{reason} (CI=true: a missing requirement fails the run)")
    pytest.skip(reason)


def ensure_command(command: str, package: str) -> str:
    global _apt_updated
    found = shutil.which(command)
    if found:
        return found
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        unavailable(f"{command} not installed (Debian package {package}); run as root to install")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if not _apt_updated:
        subprocess.run(["apt-get", "update", "-qq"], env=env, check=False, timeout=600)
        _apt_updated = True
    done = subprocess.run(
        ["apt-get", "install", "-y", "-qq", package],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    found = shutil.which(command)
    if not found:
        unavailable(f"could not install {package}: {done.stderr[-500:]}")
    assert found is not None
    return found


SYSTEM_PYTHON = "/usr/bin/python3"


def _probe_python(tk: bool) -> subprocess.CompletedProcess[str]:
    code = ("import tkinter; " if tk else "") + "import sys; print(tuple(sys.version_info[:2]))"
    return subprocess.run([SYSTEM_PYTHON, "-c", code], capture_output=True, text=True, check=False)


def ensure_system_python(*, tk: bool = False) -> str:
    """The machine's python3, which the one-time agent and the Linux installer run on: it
    must be this test run's Python version, and have Tk when ``tk`` (python3-tk is
    installed when we may)."""
    probe = _probe_python(tk)
    if probe.returncode != 0 and tk and os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "-qq", "python3-tk"], check=False,
                       capture_output=True, timeout=900)  # fmt: skip
        probe = _probe_python(tk)
    if probe.returncode != 0:
        unavailable(f"{SYSTEM_PYTHON} is missing or has no Tk (Debian package python3-tk)")
    ours = str(tuple(sys.version_info[:2]))
    if probe.stdout.strip() != ours:
        unavailable(f"{SYSTEM_PYTHON} is Python {probe.stdout.strip()}; the agent needs {ours}")
    return SYSTEM_PYTHON
