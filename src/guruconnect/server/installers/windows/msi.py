"""The MSI (for GPO and ``msiexec /i guruconnect.msi /qn``), built with wixl on Linux.

Once per release (:func:`build_base`): a .wxs generated from the Windows runtime
directory (one component per file, GUIDs derived from the path so they stay the same
from release to release), the agent as an auto-start service (ServiceInstall +
ServiceControl, run by pywin32's ``pythonservice.exe``), Add/Remove Programs
properties, MajorUpgrade under a fixed UpgradeCode, and a deferred custom action that
enrolls (``python.exe -m guruconnect.agent.install.windows install --from-registry``)
after the registry values are written and before the service starts, and one that
deletes the agent's config (its private key) on a real uninstall. wixl ignores
``Secure="yes"``, so ``SecureCustomProperties`` is patched afterwards with msibuild.

Per request (:func:`bake`): a copy of the base with the signed envelope in the private
``GuruConnectConfig`` property and a fresh package code; about a second.

Public properties override the baked metadata at install time, e.g.
``msiexec /i guruconnect.msi /qn SITE="New York" TAG=Laptop``: NAME, SITE, DEPARTMENT,
DEVICE_TYPE, TAG. The server URL, its certificate pin, the company and the enrollment
token are the signed part and cannot be overridden.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from xml.sax.saxutils import quoteattr

from guruconnect.agent.install.windows import BAKED_VALUE, OVERRIDE_VALUES, REGISTRY_KEY
from guruconnect.agent.service_windows import CONFIG_OPTION
from guruconnect.server.installers.windows import layout

CONFIG_PROPERTY = "GuruConnectConfig"  # mixed case: private, not settable on the command line
PLACEHOLDER = "unbaked"
# MSI property (public, upper case) -> registry value the enroll step reads.
PUBLIC_PROPERTIES = {
    "NAME": "Name",
    "SITE": "Site",
    "DEPARTMENT": "Department",
    "DEVICE_TYPE": "DeviceType",
    "TAG": "Tag",
}
assert set(PUBLIC_PROPERTIES.values()) == set(OVERRIDE_VALUES)
SECURE_PROPERTIES = ("WIX_DOWNGRADE_DETECTED", "WIX_UPGRADE_DETECTED", *PUBLIC_PROPERTIES)
ENROLL_ARGS = "-m guruconnect.agent.install.windows install --from-registry"
# On uninstall (not on the removal half of an upgrade): the config holds the private key.
FORGET_ARGS = "-m guruconnect.agent.install.windows forget"
# A failed first install (say the service does not start) rolls back: forget the config
# the enroll step wrote, but never on an upgrade or re-run, whose config was already there.
# 18 (run an installed EXE) + 64 (ignore its exit code) + 256 (rollback) + 1024 (in the
# script) + 2048 (as LocalSystem).
ROLLBACK_TYPE = 18 + 64 + 256 + 1024 + 2048
FRESH = "NOT Installed AND NOT WIX_UPGRADE_DETECTED AND NOT REMOVE"
TOOL_TIMEOUT = 1800
_NAMESPACE = uuid.UUID(layout.UPGRADE_CODE)


class MsiError(Exception):
    """wixl or msibuild failed, or the input is unusable; the message says which."""


def _id(prefix: str, relative: str) -> str:
    return prefix + hashlib.sha1(relative.encode(), usedforsecurity=False).hexdigest()[:24]


def _guid(relative: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, relative.lower())).upper()


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def _tree(root: Path, here: Path, depth: int) -> Iterator[str]:
    pad = "  " * depth
    for path in sorted(here.iterdir()):
        relative = path.relative_to(root).as_posix()
        if path.is_dir():
            yield f'{pad}<Directory Id="{_id("d", relative)}" Name={quoteattr(path.name)}>'
            yield from _tree(root, path, depth + 1)
            yield f"{pad}</Directory>"
        elif path.is_file() and relative != layout.SERVICE_HOST:
            yield (
                f'{pad}<Component Id="{_id("c", relative)}" Guid="{_guid(relative)}" Win64="yes">'
                f'<File Id="{_file_id(relative)}" Name={quoteattr(path.name)} '
                f'Source={quoteattr("runtime/" + relative)} KeyPath="yes"/></Component>'
            )


def _file_id(relative: str) -> str:
    return "python_exe" if relative == layout.PYTHON else _id("f", relative)


def wxs(runtime: Path, version: tuple[int, int, int], command: Path) -> str:
    """The WiX source for ``runtime`` (python.exe and pythonservice.exe at its top) and
    ``command`` (guruconnect-agent.cmd, installed beside them). wixl wants sources
    relative to the .wxs: ``runtime/`` there must lead to ``runtime``, ``command`` must
    sit beside it."""
    for needed in (layout.PYTHON, layout.SERVICE_HOST):
        if not (runtime / needed).is_file():
            raise MsiError(f"the Windows runtime {runtime} has no {needed}")
    components = [_id("c", p.relative_to(runtime).as_posix()) for p in _files(runtime)]
    components = [c for c in components if c != _id("c", layout.SERVICE_HOST)]
    refs = "\n".join(f'      <ComponentRef Id="{c}"/>' for c in components)
    tree = "\n".join(_tree(runtime, runtime, 5))
    service_exe = quoteattr("runtime/" + layout.SERVICE_HOST)
    registry = "\n".join(
        f'              <RegistryValue Name="{value}" Type="string" Value="[{prop}]"/>'
        for prop, value in PUBLIC_PROPERTIES.items()
    )
    services = rf"SYSTEM\CurrentControlSet\Services\{layout.SERVICE_NAME}"
    return f"""<?xml version="1.0" encoding="utf-8"?>
<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi">
  <Product Id="*" Name="{layout.PRODUCT}" Language="1033" Version="{".".join(map(str, version))}"
           Manufacturer="{layout.MANUFACTURER}" UpgradeCode="{layout.UPGRADE_CODE}">
    <Package InstallerVersion="500" Compressed="yes" InstallScope="perMachine"
             Description="{layout.SERVICE_DESCRIPTION}"/>
    <MajorUpgrade DowngradeErrorMessage="A newer version of {layout.PRODUCT} is already installed."/>
    <Media Id="1" Cabinet="agent.cab" EmbedCab="yes"/>
    <Property Id="{CONFIG_PROPERTY}" Value="{PLACEHOLDER}"/>
    <Property Id="ARPNOMODIFY" Value="1"/>
    <Property Id="ARPNOREPAIR" Value="1"/>
    <Property Id="ARPCOMMENTS" Value="{layout.SERVICE_DESCRIPTION}"/>
    <Directory Id="TARGETDIR" Name="SourceDir">
      <Directory Id="ProgramFiles64Folder">
        <Directory Id="INSTALLDIR" Name="{layout.INSTALL_DIR}">
          <Component Id="service" Guid="{_guid("service")}" Win64="yes">
            <File Id="pythonservice_exe" Name="{layout.SERVICE_HOST}" Source={service_exe} KeyPath="yes"/>
            <ServiceInstall Id="service_install" Name="{layout.SERVICE_NAME}"
                            DisplayName="{layout.SERVICE_DISPLAY}" Description="{layout.SERVICE_DESCRIPTION}"
                            Type="ownProcess" Start="auto" ErrorControl="normal"/>
            <ServiceControl Id="service_control" Name="{layout.SERVICE_NAME}"
                            Stop="both" Remove="uninstall" Wait="yes"/>
            <ServiceControl Id="service_start" Name="{layout.SERVICE_NAME}"
                            Start="install" Wait="no"/>
            <RegistryValue Root="HKLM" Key="{services}\\PythonClass" Type="string"
                           Value="{layout.SERVICE_CLASS}"/>
            <RegistryValue Root="HKLM" Key="{services}\\Parameters" Name="{CONFIG_OPTION}" Type="string"
                           Value="[CommonAppDataFolder]{layout.DATA_DIR}\\agent.json"/>
          </Component>
          <Component Id="command" Guid="{_guid("command")}" Win64="yes">
            <File Id="command_cmd" Name="{layout.COMMAND}" Source={quoteattr(command.name)} KeyPath="yes"/>
          </Component>
          <Component Id="baked" Guid="{_guid("baked")}" Win64="yes">
            <RegistryKey Root="HKLM" Key="{REGISTRY_KEY}">
              <RegistryValue Name="{BAKED_VALUE}" Type="string" Value="[{CONFIG_PROPERTY}]" KeyPath="yes"/>
{registry}
            </RegistryKey>
          </Component>
{tree}
        </Directory>
      </Directory>
    </Directory>
    <CustomAction Id="Enroll" FileKey="python_exe" ExeCommand="{ENROLL_ARGS}"
                  Execute="deferred" Impersonate="no" Return="check"/>
    <CustomAction Id="Forget" FileKey="python_exe" ExeCommand="{FORGET_ARGS}"
                  Execute="deferred" Impersonate="no" Return="ignore"/>
    <CustomAction Id="EnrollRollback" FileKey="python_exe" ExeCommand="{FORGET_ARGS}"
                  Execute="rollback" Impersonate="no" Return="ignore"/>
    <InstallExecuteSequence>
      <Custom Action="EnrollRollback" Sequence="5001">{FRESH}</Custom>
      <Custom Action="Enroll" Sequence="5002">NOT REMOVE</Custom>
      <Custom Action="Forget" Sequence="2001">REMOVE="ALL" AND NOT UPGRADINGPRODUCTCODE</Custom>
    </InstallExecuteSequence>
    <Feature Id="Agent" Level="1">
      <ComponentRef Id="service"/>
      <ComponentRef Id="baked"/>
      <ComponentRef Id="command"/>
{refs}
    </Feature>
  </Product>
</Wix>
"""  # noqa: E501 - one XML element per line reads better than wrapped attributes


def _run(*command: str) -> None:
    try:
        done = subprocess.run(  # noqa: S603
            list(command), capture_output=True, text=True, timeout=TOOL_TIMEOUT, check=False
        )
    except FileNotFoundError as exc:
        raise MsiError(f"{command[0]} is not installed (Debian packages wixl, msitools)") from exc
    # wixl warns about attributes it ignores on stderr and still succeeds.
    if done.returncode != 0:
        raise MsiError(f"{command[0]} failed: {(done.stderr or done.stdout).strip()[-2000:]}")


def _query(msi: Path, *queries: str) -> None:
    args: list[str] = []
    for q in queries:
        args += ["-q", q]
    _run("msibuild", str(msi), *args)


def build_base(runtime: Path, target: Path, version: tuple[int, int, int]) -> Path:
    """The unbaked MSI for ``runtime`` at ``target``; minutes for a full runtime."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".msi-") as work:
        source = Path(work) / "agent.wxs"
        (Path(work) / "runtime").symlink_to(runtime.resolve(), target_is_directory=True)
        command = Path(work) / layout.COMMAND
        command.write_bytes(layout.command_script().encode("ascii"))
        source.write_text(wxs(runtime, version, command), encoding="utf-8")
        built = Path(work) / "agent.msi"
        _run("wixl", "-a", "x64", "-o", str(built), str(source))
        secure = ";".join(SECURE_PROPERTIES)
        # Constant names only; nothing from outside reaches these queries.
        _query(built, f"UPDATE `Property` SET `Value` = '{secure}' "  # noqa: S608
                      "WHERE `Property` = 'SecureCustomProperties'")  # fmt: skip
        # wixl also drops Execute="rollback": set the type's in-script + rollback bits.
        _query(built, f"UPDATE `CustomAction` SET `Type` = {ROLLBACK_TYPE} "  # noqa: S608
                      "WHERE `Action` = 'EnrollRollback'")  # fmt: skip
        built.replace(target)
    return target


def bake(base: Path, envelope: bytes, target: Path) -> Path:
    """A copy of ``base`` carrying ``envelope``. Blocking; about a second."""
    text = envelope.decode("ascii")
    if "'" in text or "\n" in text or not text.startswith("{"):
        raise ValueError("the baked config must be one line of JSON without quotes")
    tmp = target.with_name(f".{target.name}.tmp")
    shutil.copyfile(base, tmp)
    try:
        package_code = "{" + str(uuid.uuid4()).upper() + "}"
        # The envelope is the server's own base64-in-JSON, checked above for quotes.
        _query(tmp, f"UPDATE `Property` SET `Value` = '{text}' "  # noqa: S608
                    f"WHERE `Property` = '{CONFIG_PROPERTY}'")  # fmt: skip
        # A new package code per file: Windows Installer caches packages by it, and two
        # different configs must not look like the same package.
        summary = (layout.SERVICE_DESCRIPTION, layout.MANUFACTURER, "x64;1033", package_code)
        _run("msibuild", str(tmp), "-s", *summary)
        tmp.replace(target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target
