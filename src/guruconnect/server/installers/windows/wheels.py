"""win_amd64 wheels of the agent's dependencies, installed with uv for another platform.

pip evaluates environment markers for the machine it runs on (Linux here); uv's
``--python-platform`` resolves for Windows instead, so ``sys_platform == 'win32'``
requirements (pywin32) come in and Linux-only ones (python-xlib) stay out.
``--only-binary :all:`` means nothing is compiled: only published wheels are used.
"""

from __future__ import annotations

import importlib.metadata as metadata
import re
import subprocess
from collections.abc import Sequence
from pathlib import Path

import uv

import guruconnect
from guruconnect.server.installers.windows.errors import RuntimeBuildError

UV_PLATFORMS = {"amd64": "x86_64-pc-windows-msvc"}
INSTALL_TIMEOUT = 900
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def agent_requirements() -> list[str]:
    """guruconnect's own requirements without extras (those are the server's), markers
    kept so that uv evaluates them for Windows."""
    requirements = []
    for requirement in metadata.distribution("guruconnect").requires or []:
        _, _, marker = requirement.partition(";")
        if "extra" not in marker:
            requirements.append(requirement.strip())
    return sorted(requirements)


def project_constraints() -> Path | None:
    """constraints.txt of a source checkout (an editable install), if there is one."""
    candidate = Path(guruconnect.__file__).resolve().parents[2] / "constraints.txt"
    return candidate if candidate.is_file() else None


def constraint_lines() -> list[str]:
    """Exact pins: the project's constraints.txt when running from a checkout, else the
    versions installed next to the server (the same release's pins)."""
    found = project_constraints()
    if found is not None:
        lines = found.read_text().splitlines()
        return [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    pins = []
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name and _NAME.match(name):
            pins.append(f"{name}=={dist.version}")
    return sorted(set(pins))


def uv_version() -> str:
    return metadata.version("uv")


def install_wheels(
    site_packages: Path,
    requirements: Sequence[str],
    constraints: Sequence[str],
    *,
    arch: str = "amd64",
    python_version: str = "3.13",
) -> None:
    """Install ``requirements`` as Windows wheels into ``site_packages``."""
    try:
        platform_name = UV_PLATFORMS[arch]
    except KeyError:
        raise RuntimeBuildError(f"no uv platform for architecture {arch!r}") from None
    site_packages.mkdir(parents=True, exist_ok=True)
    constraints_file = site_packages.parent / ".constraints.txt"
    constraints_file.write_text("".join(f"{line}\n" for line in constraints))
    args = [
        uv.find_uv_bin(), "pip", "install", "--quiet", "--no-progress",
        "--python-platform", platform_name, "--python-version", python_version,
        "--only-binary", ":all:", "--no-compile", "--target", str(site_packages),
        "-c", str(constraints_file), *requirements,
    ]  # fmt: skip
    try:
        done = subprocess.run(  # noqa: S603 - uv from our environment, fixed arguments
            args, capture_output=True, text=True, timeout=INSTALL_TIMEOUT, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RuntimeBuildError(f"uv pip install failed to run: {exc}") from exc
    finally:
        constraints_file.unlink(missing_ok=True)
    if done.returncode != 0:
        raise RuntimeBuildError(f"uv pip install for Windows failed:\n{done.stderr[-3000:]}")
