"""The server-built MSI under Wine with Windows Installer doing the work: ``msiexec /i
... /qn SITE=...`` installs the real runtime, its deferred custom action runs the embedded
Python, which enrolls against a real server (the machine appears via the API with the
baked company and tag and the SITE property's site), the service is registered for
automatic start, ``guruconnect-agent.cmd --reconfigure`` rewrites the config, a newer
build of the MSI upgrades the installed one (MajorUpgrade) and ``msiexec /x`` leaves no
service, no files and no config behind.

Not covered yet: the service *running* (pywin32's pythonservice.exe hosts
``guruconnect.agent.service_windows``, which does not exist yet), hence neither the
reconfigured site reaching the server through it.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from guruconnect.server.installers.windows import layout, msi
from tests.support.server import ServerProcess
from tests.support.system import ensure_command
from tests.support.users import sign_in
from tests.support.wine import WinePrefix

MSI_TIMEOUT = 900


def wine(
    prefix: WinePrefix, *args: str, timeout: float = MSI_TIMEOUT
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [prefix.wine, *args], env=prefix.env, stdin=subprocess.DEVNULL, capture_output=True,
        text=True, encoding="utf-8", errors="replace", timeout=timeout, check=False,
    )  # fmt: skip


def service_state(prefix: WinePrefix) -> str:
    done = wine(prefix, "sc", "qc", layout.SERVICE_NAME, timeout=120)
    return done.stdout if done.returncode == 0 else ""


def installed_version(prefix: WinePrefix) -> list[str]:
    uninstall = r"HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall"
    done = wine(prefix, "reg", "query", uninstall, "/s", timeout=120)
    blocks = done.stdout.split("\n\n")
    found = [b for b in blocks if layout.PRODUCT in b]
    return [line.split()[-1] for b in found for line in b.splitlines() if "DisplayVersion" in line]


@pytest.mark.timeout(3600)  # the first MSI download of a run builds its base
def test_msi_installs_enrolls_reconfigures_upgrades_and_uninstalls_under_wine(
    wine_session: WinePrefix,
    windows_runtime: Path,
    server_factory: Callable[..., ServerProcess],
    agent_cache: Path,
    codesign_env: dict[str, str],
    tmp_path: Path,
) -> None:
    ensure_command("wixl", "wixl")
    ensure_command("msibuild", "msitools")
    ensure_command("msiinfo", "msitools")
    prefix = wine_session
    server = server_factory(
        "sqlite",
        GURU_SUPPORT_AGENT_CACHE_DIR=str(agent_cache),
        GURU_WINDOWS_RUNTIME_DIR=str(windows_runtime),
        **codesign_env,
    )
    admin = sign_in(server)
    made = admin.post("/api/v1/installers", json={
        "company": "Glaztech Industries", "site": "Phoenix", "tag": "VIP",
    }).json()  # fmt: skip
    r = server.client(origin=False).get(
        str(httpx.URL(made["windows_msi_url"]).path), timeout=MSI_TIMEOUT
    )
    assert r.status_code == 200, r.text
    package = tmp_path / "guruconnect-agent.msi"
    package.write_bytes(r.content)
    program_files = prefix.path / "drive_c" / "Program Files" / layout.INSTALL_DIR
    config = prefix.path / "drive_c" / "ProgramData" / layout.DATA_DIR / "agent.json"

    started = time.monotonic()
    done = wine(prefix, "msiexec", "/i", prefix.windows_path(package), "/qn", "SITE=New York")
    install_s = time.monotonic() - started
    assert "enrolled as" in done.stdout + done.stderr, (done.stdout, done.stderr)
    machines = admin.client.get("/api/v1/machines").json()["machines"]
    assert [(m["company"], m["site"], m["tag"]) for m in machines] == [
        ("Glaztech Industries", "New York", "VIP")
    ]
    assert (program_files / "python.exe").is_file() and config.is_file()
    qc = service_state(prefix)
    assert "AUTO_START" in qc and "pythonservice.exe" in qc, qc
    assert installed_version(prefix) == [".".join(map(str, layout.numeric_version()))]

    # Reconfigure with the installed command: the config the service reads changes.
    command = "C:\\Program Files\\GuruConnect\\" + layout.COMMAND
    done = wine(prefix, "cmd", "/c", command, "--reconfigure", "--site", "New York Office",
                timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(config.read_text())["site"] == "New York Office"

    # A newer build (same UpgradeCode, next version, same baked config) upgrades in place.
    major, minor, patch = layout.numeric_version()
    newer_base = msi.build_base(windows_runtime, tmp_path / "newer-base.msi",
                                (major, minor, patch + 1))  # fmt: skip
    baked = subprocess.run(["msiinfo", "export", str(package), "Property"],
                           capture_output=True, text=True, check=True).stdout  # fmt: skip
    envelope = next(
        line.split("\t", 1)[1] for line in baked.splitlines()
        if line.startswith(msi.CONFIG_PROPERTY + "\t")
    ).encode()  # fmt: skip
    newer = msi.bake(newer_base, envelope, tmp_path / "newer.msi")
    done = wine(prefix, "msiexec", "/i", prefix.windows_path(newer), "/qn")
    assert installed_version(prefix) == [f"{major}.{minor}.{patch + 1}"], done.stderr
    assert "AUTO_START" in service_state(prefix)
    assert json.loads(config.read_text())["site"] == "New York Office"  # kept its enrollment
    assert len(admin.client.get("/api/v1/machines").json()["machines"]) == 1

    # Uninstall: no service, no files, no config (the private key) left.
    done = wine(prefix, "msiexec", "/x", prefix.windows_path(newer), "/qn")
    assert service_state(prefix) == "", done.stderr
    assert not config.exists() and not (program_files / "python.exe").exists()
    assert installed_version(prefix) == []
    print(f"msiexec /i under Wine: {install_s:.1f} s")
