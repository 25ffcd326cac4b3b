"""Enrolling and reconfiguring the Windows agent from what its MSI or EXE carries.

Both installers put the files and the service in place themselves (the MSI through its
ServiceInstall table, the EXE through ``sc.exe``) and run this module with the
embedded Python before the service starts::

    python.exe -m guruconnect.agent.install.windows install --from-registry
    python.exe -m guruconnect.agent.install.windows install --from-exe SETUP.EXE [--site S ...]
    python.exe -m guruconnect.agent.install.windows reconfigure --site "New York Office"
    python.exe -m guruconnect.agent.install.windows forget      (the uninstallers)

``--from-registry``: the MSI wrote the baked envelope (its ``GURUCONNECT_CONFIG``
property) and any public-property overrides (``SITE=...``) to ``HKLM\\SOFTWARE\\GuruConnect\\
Agent``. ``--from-exe``: the envelope is in the EXE's Authenticode certificate table
(``protocol/pe_certtable.py``). Either way the envelope's signature is checked before
anything in it is used. Run on an installed machine, ``install`` only changes the
metadata given (the EXE re-run with flags). Exit codes: 0 done, 1 failed, 2 bad usage.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path

import msgspec

from guruconnect.agent.config import (
    ConfigError,
    default_config_path,
    ensure_config_dir,
    load_config,
    save_config,
)
from guruconnect.agent.install import args as cli_args
from guruconnect.agent.install.installer import InstallError, Outcome, enroll_baked, metadata
from guruconnect.protocol.installer import BakedConfigError, InstallerConfig, open_envelope
from guruconnect.protocol.pe_certtable import CertTableError, read_baked

REGISTRY_KEY = r"SOFTWARE\GuruConnect\Agent"
BAKED_VALUE = "Config"
# Registry value name -> metadata field; the MSI property of the same meaning is upper case.
OVERRIDE_VALUES = {
    "Name": "name",
    "Site": "site",
    "Department": "department",
    "DeviceType": "device_type",
    "Tag": "tag",
}
# What NSIS leaves on the command line it passes through.
NSIS_SWITCHES = ("/S", "/NCRC")


def baked_from_exe(path: Path) -> InstallerConfig:
    try:
        with path.open("rb") as f:
            blob = read_baked(f)
    except OSError as exc:
        raise InstallError(f"cannot read the installer {path}: {exc.strerror}") from exc
    except CertTableError as exc:
        raise InstallError(f"the installer carries no usable config: {exc}") from exc
    return _open(blob)


def _open(blob: bytes) -> InstallerConfig:
    try:
        return open_envelope(blob)
    except BakedConfigError as exc:
        raise InstallError(str(exc)) from exc


def from_registry(values: dict[str, str]) -> tuple[InstallerConfig, dict[str, str]]:
    """The baked config and the overrides among the MSI's registry values; an empty
    value means "keep the baked one" (an unset MSI property formats to "")."""
    blob = values.get(BAKED_VALUE, "").strip()
    if not blob.startswith("{"):
        raise InstallError(
            "this MSI carries no config: download it from your GuruConnect server's "
            "installer builder instead of using the unbaked base package"
        )
    overrides: dict[str, str] = {}
    for value_name, field in OVERRIDE_VALUES.items():
        text = values.get(value_name, "")
        if text.strip():
            try:
                overrides[field] = cli_args.short(text)
            except argparse.ArgumentTypeError as exc:
                raise InstallError(f"the MSI property {value_name.upper()}: {exc}") from exc
    return _open(blob.encode("utf-8")), overrides


def read_registry() -> dict[str, str]:  # pragma: no cover - Windows only (run under Wine)
    if sys.platform != "win32":
        raise InstallError("--from-registry only works on Windows")
    import winreg

    values: dict[str, str] = {}
    try:
        key = winreg.OpenKey(
            winreg.HKEY_LOCAL_MACHINE, REGISTRY_KEY, 0,
            winreg.KEY_READ | winreg.KEY_WOW64_64KEY,
        )  # fmt: skip
    except OSError as exc:
        raise InstallError(f"the MSI wrote no HKLM\\{REGISTRY_KEY}: {exc}") from exc
    with key:
        for name in (BAKED_VALUE, *OVERRIDE_VALUES):
            try:
                value, _ = winreg.QueryValueEx(key, name)
            except OSError:
                continue
            values[name] = str(value)
    return values


def set_service_config(service: str, path: Path) -> None:  # pragma: no cover - Windows
    """The config path as the service's option (``Parameters\\config``, which
    service_windows reads), as the MSI writes it through its Registry table."""
    if sys.platform != "win32":
        raise InstallError("--service only works on Windows")
    import winreg

    from guruconnect.agent.service_windows import CONFIG_OPTION

    key_path = rf"SYSTEM\CurrentControlSet\Services\{service}\Parameters"
    try:
        with winreg.CreateKeyEx(
            winreg.HKEY_LOCAL_MACHINE, key_path, 0, winreg.KEY_SET_VALUE | winreg.KEY_WOW64_64KEY
        ) as key:
            winreg.SetValueEx(key, CONFIG_OPTION, 0, winreg.REG_SZ, str(path))
    except OSError as exc:
        raise InstallError(f"cannot set the service's config option: {exc}") from exc


def restrict_to_system(folder: Path) -> None:
    """ProgramData's inherited ACL lets every local user read new folders, and the config
    holds the agent's private key: SYSTEM and Administrators only. (POSIX modes, which
    ensure_config_dir sets, mean nothing on Windows.)"""
    if sys.platform != "win32":
        return
    import subprocess

    done = subprocess.run(  # noqa: S603
        ["icacls", str(folder), "/inheritance:r", "/grant:r",  # noqa: S607
         "*S-1-5-18:(OI)(CI)F", "*S-1-5-32-544:(OI)(CI)F"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise InstallError(f"cannot restrict access to {folder}: {done.stderr or done.stdout}")


def install(path: Path, baked: InstallerConfig, overrides: dict[str, str], out: Outcome) -> None:
    if path.exists():
        if overrides:
            reconfigure(path, overrides, out)
        else:
            out.say(f"already enrolled ({path}); nothing to change")
        return
    values = metadata(baked, overrides)
    cfg = enroll_baked(baked, values)
    try:
        ensure_config_dir(path)
        restrict_to_system(path.parent)
        save_config(path, cfg)
    except ConfigError as exc:
        raise InstallError(str(exc)) from exc
    out.say(f"enrolled as {cfg.agent_id} ({cfg.company} / {cfg.site}) with {cfg.server_url}")


def reconfigure(path: Path, overrides: dict[str, str], out: Outcome) -> None:
    try:
        cfg = msgspec.structs.replace(load_config(path), **overrides)
        save_config(path, cfg)
    except ConfigError as exc:
        raise InstallError(str(exc)) from exc
    changed = ", ".join(f"{k}={v!r}" for k, v in overrides.items())
    out.say(f"updated {changed}; the service sends it to the server at its next check-in")


def forget(path: Path, out: Outcome) -> None:
    """On uninstall: delete the config (it holds the agent's private key) and its folder
    when nothing else is left in it."""
    path.unlink(missing_ok=True)
    for leftover in path.parent.glob(f".{path.name}.*.tmp"):  # an interrupted save
        leftover.unlink(missing_ok=True)
    with contextlib.suppress(OSError):  # not empty (logs) or already gone
        path.parent.rmdir()
    out.say(f"removed {path}")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="guruconnect-agent",
        description="Enroll or reconfigure the GuruConnect Windows agent.",
    )
    sub = p.add_subparsers(dest="command", required=True)
    inst = sub.add_parser("install", help="enroll with the config this installer carries")
    source = inst.add_mutually_exclusive_group(required=True)
    source.add_argument("--from-exe", type=Path, metavar="EXE", help="the signed setup EXE")
    source.add_argument("--from-registry", action="store_true", help="what the MSI wrote")
    inst.add_argument("--service", help=argparse.SUPPRESS)  # the EXE: its config option
    cli_args.add_metadata(inst)
    reconf = sub.add_parser("reconfigure", help="change this machine's metadata")
    cli_args.add_metadata(reconf)
    gone = sub.add_parser("forget", help="delete the agent's config (run by the uninstaller)")
    for each in (inst, reconf, gone):
        each.add_argument("--config", type=Path, help=argparse.SUPPRESS)
    return p


def without_nsis_switches(argv: list[str]) -> list[str]:
    """NSIS hands us its whole command line, its own /S and /D=DIR included."""
    return [a for a in argv if a.upper() not in NSIS_SWITCHES and not a.upper().startswith("/D=")]


def main(argv: list[str] | None = None) -> int:
    argv = without_nsis_switches(sys.argv[1:] if argv is None else argv)
    # "--reconfigure ..." is the documented spelling (guruconnect-agent.cmd passes it on).
    if argv and argv[0] == "--reconfigure":
        argv = ["reconfigure", *argv[1:]]
    try:
        args = parser().parse_args(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 2
    out = Outcome()
    path = args.config or default_config_path()
    try:
        if args.command == "forget":
            forget(path, out)
            return 0
        overrides = cli_args.overrides(args)
        if args.command == "reconfigure":
            if not overrides:
                print("guruconnect-agent: error: --reconfigure needs at least one of --name, "
                      "--site, --department, --device-type, --tag", file=sys.stderr)  # fmt: skip
                return 2
            reconfigure(path, overrides, out)
            return 0
        if args.from_exe is not None:
            baked = baked_from_exe(args.from_exe)
        else:
            baked, from_msi = from_registry(read_registry())
            overrides = {**from_msi, **overrides}
        install(path, baked, overrides, out)
        if args.service:
            set_service_config(args.service, path)
    except InstallError as exc:
        print(f"guruconnect-agent: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
