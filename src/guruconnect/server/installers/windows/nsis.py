"""The two NSIS EXEs, built on Linux with makensis (LZMA, solid):

- the **setup EXE** installs the runtime under Program Files, enrolls
  (``python.exe -m guruconnect.agent.install.windows install --from-exe <itself>`` plus
  whatever flags it was given, so ``setup.exe /S --site "New York"`` overrides and a
  re-run with flags only reconfigures), registers and starts the service, and adds an
  uninstaller and an Add/Remove Programs entry;
- the **one-time support EXE** extracts the runtime (less what a one-time agent never
  uses: support_tree.py) to a private temp folder, runs the support agent
  (``--config-exe <itself>``), and deletes that folder and itself after.

Each is built and Authenticode-signed once per release (``codesign.py``); the config is
baked per request into the signature's certificate table (``protocol/pe_certtable.py``).
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path
from typing import Literal

from guruconnect.server.installers.windows import layout, support_tree

MAKENSIS_TIMEOUT = 1800
INSTALL_MODULE = "guruconnect.agent.install.windows"


class NsisError(Exception):
    """makensis is missing or failed; the message says which."""


def _q(text: str) -> str:
    """An NSIS double-quoted string (``$`` and quotes escaped)."""
    return '"' + text.replace("$", "$$").replace('"', '$\\"') + '"'


def _version_info(name: str, description: str, version: tuple[int, int, int]) -> str:
    dotted = ".".join(map(str, version))
    return f"""VIProductVersion "{dotted}.0"
VIFileVersion "{dotted}.0"
VIAddVersionKey /LANG=1033 "ProductName" {_q(name)}
VIAddVersionKey /LANG=1033 "CompanyName" {_q(layout.MANUFACTURER)}
VIAddVersionKey /LANG=1033 "FileDescription" {_q(description)}
VIAddVersionKey /LANG=1033 "FileVersion" "{dotted}"
VIAddVersionKey /LANG=1033 "ProductVersion" "{dotted}"
VIAddVersionKey /LANG=1033 "LegalCopyright" "AGPL-3.0-or-later"
"""


# A 64-bit stub like what it carries (the runtime is x64 only): a 32-bit stub would
# need WOW64, which Server Core can lack and Wine without wine32 has not.
TARGET = "Target amd64-unicode"


def setup_script(runtime: Path, command: Path, out: Path, version: tuple[int, int, int]) -> str:
    services = rf"SYSTEM\CurrentControlSet\Services\{layout.SERVICE_NAME}"
    python = rf"$INSTDIR\{layout.PYTHON}"
    sc = r"$SYSDIR\sc.exe"
    return f"""Unicode true
{TARGET}
SetCompressor /SOLID lzma
SetCompressorDictSize 64
Name {_q(layout.PRODUCT)}
OutFile {_q(str(out))}
InstallDir "$PROGRAMFILES64\\{layout.INSTALL_DIR}"
RequestExecutionLevel admin
ShowInstDetails show
ShowUninstDetails show
{_version_info(layout.PRODUCT, "GuruConnect agent setup", version)}
!include FileFunc.nsh
!include LogicLib.nsh
Page instfiles
UninstPage instfiles
Var Params
Var Fresh

Section "Agent"
  SetRegView 64
  SetShellVarContext all
  ${{GetParameters}} $Params
  StrCpy $Fresh "1"
  ${{If}} ${{FileExists}} "{python}"
    StrCpy $Fresh "0"
    DetailPrint "Updating the installed agent"
    nsExec::ExecToLog '"{sc}" stop {layout.SERVICE_NAME}'
    Pop $0
    Sleep 1000
  ${{EndIf}}
  SetOutPath "$INSTDIR"
  File /r {_q(str(runtime) + "/*")}
  File {_q(str(command))}
  ${{If}} $Fresh == "1"
    nsExec::ExecToLog '"{sc}" create {layout.SERVICE_NAME} binPath= "\\"$INSTDIR\\{layout.SERVICE_HOST}\\"" start= auto DisplayName= "{layout.SERVICE_DISPLAY}"'
    Pop $0
    nsExec::ExecToLog '"{sc}" description {layout.SERVICE_NAME} "{layout.SERVICE_DESCRIPTION}"'
    Pop $0
  ${{EndIf}}
  DetailPrint "Enrolling with the server"
  nsExec::ExecToLog '"{python}" -m {INSTALL_MODULE} install --from-exe "$EXEPATH" --service {layout.SERVICE_NAME} $Params'
  Pop $0
  ${{If}} $0 != 0
    ${{If}} $Fresh == "1"
      nsExec::ExecToLog '"{sc}" delete {layout.SERVICE_NAME}'
      Pop $1
      SetOutPath "$TEMP"
      RMDir /r "$INSTDIR"
    ${{EndIf}}
    SetErrorLevel 1
    MessageBox MB_ICONSTOP "GuruConnect could not enroll this computer (see the details)." /SD IDOK
    Abort "Enrollment failed"
  ${{EndIf}}
  WriteRegStr HKLM "{services}\\PythonClass" "" "{layout.SERVICE_CLASS}"
  nsExec::ExecToLog '"{sc}" start {layout.SERVICE_NAME}'
  Pop $0
  WriteUninstaller "$INSTDIR\\uninstall.exe"
  WriteRegStr HKLM "{layout.ARP_KEY}" "DisplayName" "{layout.PRODUCT}"
  WriteRegStr HKLM "{layout.ARP_KEY}" "DisplayVersion" "{".".join(map(str, version))}"
  WriteRegStr HKLM "{layout.ARP_KEY}" "Publisher" "{layout.MANUFACTURER}"
  WriteRegStr HKLM "{layout.ARP_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKLM "{layout.ARP_KEY}" "UninstallString" '"$INSTDIR\\uninstall.exe"'
  WriteRegStr HKLM "{layout.ARP_KEY}" "QuietUninstallString" '"$INSTDIR\\uninstall.exe" /S'
  WriteRegDWORD HKLM "{layout.ARP_KEY}" "NoModify" 1
  WriteRegDWORD HKLM "{layout.ARP_KEY}" "NoRepair" 1
SectionEnd

Section "Uninstall"
  SetRegView 64
  SetShellVarContext all
  nsExec::ExecToLog '"{sc}" stop {layout.SERVICE_NAME}'
  Pop $0
  Sleep 1000
  nsExec::ExecToLog '"{sc}" delete {layout.SERVICE_NAME}'
  Pop $0
  nsExec::ExecToLog '"{python}" -m {INSTALL_MODULE} forget'
  Pop $0
  DeleteRegKey HKLM "{layout.ARP_KEY}"
  SetOutPath "$TEMP"
  RMDir /r "$INSTDIR"
SectionEnd
"""  # noqa: E501 - NSIS has no line continuation inside a quoted command


def support_script(runtime: Path, out: Path, version: tuple[int, int, int]) -> str:
    return f"""Unicode true
{TARGET}
SetCompressor /SOLID lzma
SetCompressorDictSize 64
Name "GuruConnect Support"
OutFile {_q(str(out))}
RequestExecutionLevel user
SilentInstall silent
{_version_info("GuruConnect Support", "GuruConnect one-time support agent", version)}
Section
  InitPluginsDir
  SetOutPath "$PLUGINSDIR\\agent"
  File /r {_q(str(runtime) + "/*")}
  ExecWait '"$PLUGINSDIR\\agent\\pythonw.exe" -m guruconnect.agent.support --config-exe "$EXEPATH"' $0
  SetOutPath "$TEMP"
  ; NSIS deletes $PLUGINSDIR when it exits; the running EXE can only be deleted after.
  ExecShell "" "$SYSDIR\\cmd.exe" '/d /c ping -n 3 127.0.0.1 >nul & del /f /q "$EXEPATH"' SW_HIDE
  SetErrorLevel $0
SectionEnd
"""  # noqa: E501


Compression = Literal["lzma", "zlib"]


def makensis(script: str, workdir: Path, compression: Compression = "lzma") -> None:
    source = workdir / "installer.nsi"
    source.write_text(script, encoding="utf-8")
    # The scripts ask for solid LZMA; /FINAL on the command line overrides that.
    override = [] if compression == "lzma" else [f"-XSetCompressor /FINAL {compression}"]
    try:
        done = subprocess.run(  # noqa: S603
            ["makensis", "-V2", "-INPUTCHARSET", "UTF8", *override, str(source)],  # noqa: S607
            capture_output=True, text=True, timeout=MAKENSIS_TIMEOUT, check=False,
        )  # fmt: skip
    except FileNotFoundError as exc:
        raise NsisError("makensis is not installed (Debian package nsis)") from exc
    if done.returncode != 0:
        raise NsisError(f"makensis failed: {(done.stdout + done.stderr).strip()[-2000:]}")


def build_setup(
    runtime: Path, target: Path, version: tuple[int, int, int], compression: Compression = "lzma"
) -> Path:
    """The unsigned setup EXE. Blocking; a minute or more for a full runtime."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".nsis-") as work:
        command = Path(work) / layout.COMMAND
        command.write_bytes(layout.command_script().encode("ascii"))
        makensis(setup_script(runtime, command, target, version), Path(work), compression)
    return target


def build_support(
    runtime: Path, target: Path, version: tuple[int, int, int], compression: Compression = "lzma"
) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".nsis-") as work:
        tree = support_tree.support_tree(runtime, Path(work) / "runtime")
        makensis(support_script(tree, target, version), Path(work), compression)
    return target
