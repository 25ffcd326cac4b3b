"""Install, reconfigure and uninstall the unattended agent (Linux).

``install`` enrolls first and only then writes files, so a refused token (expired,
revoked, used up) leaves nothing behind. Re-running on an installed machine changes only
the metadata given on the command line (no reinstall, no new enrollment).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import msgspec

from guruconnect.agent.config import (
    AgentConfig,
    ConfigError,
    ensure_config_dir,
    load_config,
    save_config,
)
from guruconnect.agent.enroll import EnrollError, enroll
from guruconnect.agent.install.layout import UNIT_NAME, Layout, unit_file, wrapper_script
from guruconnect.agent.tls import PinMismatch
from guruconnect.protocol.installer import InstallerConfig

METADATA_FIELDS = ("name", "site", "department", "device_type", "tag")


class InstallError(Exception):
    """The installation cannot go on; the message says why and what to do."""


@dataclass
class Outcome:
    lines: list[str] = field(default_factory=list)

    def say(self, text: str) -> None:
        self.lines.append(text)
        print(text, flush=True)


def systemd_running(layout: Layout) -> bool:
    """Only the live system's systemd, never under a scratch root."""
    return layout.root == Path("/") and Path("/run/systemd/system").is_dir()


def _systemctl(*args: str) -> None:
    result = subprocess.run(["systemctl", *args], capture_output=True, text=True, check=False)  # noqa: S603, S607
    if result.returncode != 0:
        raise InstallError(f"systemctl {' '.join(args)} failed: {result.stderr.strip()}")


def metadata(baked: InstallerConfig, overrides: dict[str, str]) -> dict[str, str]:
    """The baked metadata with the command line's values on top."""
    values = {f: getattr(baked, f) for f in METADATA_FIELDS}
    if baked.name_mode == "machine":
        values["name"] = ""  # the server names the machine after its host name
    values.update(overrides)
    return values


def is_installed(layout: Layout) -> bool:
    return layout.on_disk(layout.config).exists()


def reconfigure(layout: Layout, overrides: dict[str, str], out: Outcome) -> None:
    path = layout.on_disk(layout.config)
    try:
        cfg = msgspec.structs.replace(load_config(path), **overrides)
        save_config(path, cfg)
    except ConfigError as exc:
        raise InstallError(str(exc)) from exc
    changed = ", ".join(f"{k}={v!r}" for k, v in overrides.items())
    out.say(f"updated {changed}; the running agent sends it to the server at its next check-in")


def install(
    layout: Layout,
    baked: InstallerConfig,
    overrides: dict[str, str],
    *,
    lib_from: Path | None,
    out: Outcome,
) -> None:
    """``lib_from``: the extracted payload to copy under the prefix (the .sh installer);
    None when the files are already in place (the .deb, whose postinst calls this)."""
    if is_installed(layout):
        if lib_from is None and systemd_running(layout):  # a .deb upgrade: new code
            _systemctl("try-restart", UNIT_NAME)
        if overrides:
            out.say(f"the agent is already installed under {layout.prefix}: changing metadata only")
            reconfigure(layout, overrides, out)
        else:
            out.say(
                f"the agent is already installed under {layout.prefix}; nothing to do "
                "(use --site/--tag/--name/--department/--device-type to change metadata, "
                "or --uninstall)"
            )
        return
    values = metadata(baked, overrides)
    config_path = layout.on_disk(layout.config)
    _check_writable(config_path)  # before enrolling: never spend a token for nothing
    cfg = enroll_baked(baked, values)
    written: list[str] = []
    if lib_from is not None:
        _copy_tree(lib_from, layout.on_disk(layout.lib))
        _write(layout.on_disk(layout.command), wrapper_script(), 0o755)
        _write(layout.on_disk(layout.unit), unit_file(layout), 0o644)
        _link(layout)
        written = [str(layout.prefix), str(layout.unit), str(layout.link)]
    try:
        ensure_config_dir(config_path)
        save_config(config_path, cfg)
    except ConfigError as exc:
        raise InstallError(str(exc)) from exc
    record = {"prefix": str(layout.prefix), "unit": str(layout.unit), "written": written}
    _write(layout.on_disk(layout.record), json.dumps(record) + "\n", 0o600)
    out.say(f"enrolled as {cfg.agent_id} ({cfg.company} / {cfg.site}) with {cfg.server_url}")
    _start(layout, out)


def _start(layout: Layout, out: Outcome) -> None:
    if systemd_running(layout):
        _systemctl("daemon-reload")
        _systemctl("enable", "--now", UNIT_NAME)
        out.say(f"{UNIT_NAME} enabled and started")
    else:
        out.say(
            f"systemd is not running here (or --root was given): {UNIT_NAME} is installed "
            f"but not started; start it with: {layout.command} run"
        )


def uninstall(layout: Layout, out: Outcome) -> None:
    record_path = layout.on_disk(layout.record)
    if not record_path.exists():  # never delete a directory we did not install
        raise InstallError(f"the agent is not installed under {layout.prefix} (no {layout.record})")
    if systemd_running(layout):
        subprocess.run(  # noqa: S603
            ["systemctl", "disable", "--now", UNIT_NAME],  # noqa: S607
            capture_output=True, check=False,
        )  # fmt: skip
    try:
        written = json.loads(record_path.read_text()).get("written", [])
    except (OSError, ValueError):
        written = [str(layout.prefix), str(layout.unit), str(layout.link)]
    for item in [str(layout.prefix), *written]:
        path = layout.on_disk(PurePosixPath(item))
        if path.is_symlink() or path.is_file():
            path.unlink()
        elif path.is_dir():
            shutil.rmtree(path)
    if systemd_running(layout):
        _systemctl("daemon-reload")
    out.say(f"removed the agent from {layout.prefix}, its unit and its config")


def enroll_baked(baked: InstallerConfig, values: dict[str, str]) -> AgentConfig:
    """Enroll with the installer's baked server, pin and token and the final metadata
    (shared by the Linux and the Windows installers)."""
    try:
        cfg = enroll(
            baked.server_url,
            baked.enrollment_token,
            company=baked.company,
            fingerprint=baked.server_fingerprint or None,
            name=values["name"],
            site=values["site"],
            department=values["department"],
            device_type=values["device_type"],
            tag=values["tag"],
        )
    except (EnrollError, PinMismatch) as exc:
        raise InstallError(f"enrollment failed: {exc}") from exc
    except (ConfigError, ValueError) as exc:
        raise InstallError(str(exc)) from exc
    if values["name"]:
        cfg = msgspec.structs.replace(cfg, name=values["name"])
    return cfg


def _check_writable(path: Path) -> None:
    """Without creating anything: a refused enrollment must leave nothing behind."""
    existing = path.parent
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise InstallError(f"cannot write {path}: {existing} is not writable")


def _copy_tree(source: Path, target: Path) -> None:
    if target.exists():
        shutil.rmtree(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(source, target, symlinks=True)


def _write(path: Path, text: str, mode: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def _link(layout: Layout) -> None:
    link = layout.on_disk(layout.link)
    link.parent.mkdir(parents=True, exist_ok=True)
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(str(layout.command))


def require_root(layout: Layout) -> None:
    if layout.root == Path("/") and hasattr(os, "geteuid") and os.geteuid() != 0:
        raise InstallError("installing the agent needs root: run it with sudo")
