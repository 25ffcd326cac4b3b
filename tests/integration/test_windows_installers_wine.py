"""The server-built installers under Wine, end to end.

The MSI, with Windows Installer doing the work:

0. a revoked installer's MSI fails with the server's reason and rolls back completely;

1. ``msiexec /i guruconnect-agent.msi /qn SITE=...`` installs the real runtime; its
   deferred custom action runs the embedded Python, which enrolls against a real server;
2. the service (pywin32's pythonservice.exe, registered by the MSI's ServiceInstall and
   started by its ServiceControl) runs and connects: the machine is online in the
   dashboard with the baked company and tag and the SITE property's site;
3. it comes back by itself after a "reboot" (a new wineserver and services.exe, which
   start the automatic services as Windows does at boot);
4. ``guruconnect-agent.cmd --reconfigure --site ...`` reaches the dashboard through the
   running service;
5. a newer build upgrades the installed one (MajorUpgrade) and the service runs again
   with its enrollment kept;
6. ``msiexec /x`` stops and removes the service and leaves no files and no config.

The setup EXE (NSIS): ``/S --site ...`` installs, enrolls and starts the service (the
machine comes online with that site); run again with ``/S --tag ...`` it changes only the
metadata; its uninstaller removes the service, the files and the config.

The one-time support EXE, as the portal serves it: run as downloaded, it unpacks,
reads its join config from its own certificate table, joins the session (the
technician sees the guest connected), and when the technician ends the session the
agent exits and the EXE deletes its unpacked files and itself. (Its consent window is
driven by test_windows_support_agent.py.)

Each test boots its own prefix (a service registered for automatic start would start in
every later Wine test of a shared one).
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from guruconnect.server.installers.windows import layout, msi
from tests.support.guest import create_session, portal_join, session_info, wait_status
from tests.support.server import ServerProcess
from tests.support.system import ensure_command
from tests.support.users import SignedIn, sign_in
from tests.support.wait import wait_for
from tests.support.wine import WinePrefix, wine_prefix
from tests.support.xvfb import xvfb

MSI_TIMEOUT = 900
ONLINE_TIMEOUT = 180


@pytest.fixture
def prefix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WinePrefix]:
    with (
        xvfb((1024, 768)) as display,
        wine_prefix(tmp_path_factory.mktemp("wine-msi"), display) as made,
    ):
        yield made


@pytest.fixture
def server(
    server_factory: Callable[..., ServerProcess],
    agent_cache: Path,
    windows_runtime: Path,
    codesign_env: dict[str, str],
) -> ServerProcess:
    """A server that builds Windows installers (the bases are shared across the run)."""
    for command, package in (("wixl", "wixl"), ("msibuild", "msitools"),
                             ("msiinfo", "msitools"), ("makensis", "nsis")):  # fmt: skip
        ensure_command(command, package)
    return server_factory(
        "sqlite",
        GURU_SUPPORT_AGENT_CACHE_DIR=str(agent_cache),
        GURU_WINDOWS_RUNTIME_DIR=str(windows_runtime),
        **codesign_env,
    )


def download(server: ServerProcess, url: str, target: Path) -> Path:
    """A file from the server's public URLs (no sign-in), as a script would fetch it."""
    r = server.client(origin=False).get(str(httpx.URL(url).path), timeout=MSI_TIMEOUT)
    assert r.status_code == 200, r.text
    target.write_bytes(r.content)
    return target


def installed_paths(prefix: WinePrefix) -> tuple[Path, Path, Path]:
    """The install folder, the agent's config and the service's log, on the Linux side."""
    data = prefix.path / "drive_c" / "ProgramData" / layout.DATA_DIR
    program_files = prefix.path / "drive_c" / "Program Files" / layout.INSTALL_DIR
    return program_files, data / "agent.json", data / "logs" / "agent.log"


def wine(
    prefix: WinePrefix, *args: str, timeout: float = MSI_TIMEOUT, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [prefix.wine, *args], env=prefix.env, stdin=subprocess.DEVNULL, capture_output=True,
        text=True, encoding="utf-8", errors="replace", timeout=timeout, check=False, cwd=cwd,
    )  # fmt: skip


def msiexec(
    prefix: WinePrefix, action: str, package: Path, *properties: str, succeed: bool = True
) -> subprocess.CompletedProcess[str]:
    """``msiexec ACTION PACKAGE /qn`` with a verbose log, which a surprise shows."""
    log = prefix.path / "drive_c" / "msiexec.log"
    log.unlink(missing_ok=True)
    done = wine(prefix, "msiexec", action, prefix.windows_path(package), "/qn",
                "/l*v", r"C:\msiexec.log", *properties)  # fmt: skip
    if (done.returncode == 0) != succeed:
        text = log.read_bytes().decode("utf-8", errors="replace").replace("\0", "")
        pytest.fail(f"msiexec {action} exited {done.returncode}\nstdout: {done.stdout}\n"
                    f"stderr: {done.stderr}\nlog (end):\n{text[-6000:]}")  # fmt: skip
    return done


def service_state(prefix: WinePrefix) -> str:
    """``RUNNING``, ``STOPPED``..., or "" when there is no such service."""
    done = wine(prefix, "sc", "query", layout.SERVICE_NAME, timeout=120)
    for line in done.stdout.splitlines():
        if line.strip().startswith("STATE"):
            return line.split()[-1]
    return ""


def installed_versions(prefix: WinePrefix) -> list[str]:
    uninstall = r"HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall"
    done = wine(prefix, "reg", "query", uninstall, "/s", timeout=120)
    blocks = done.stdout.split("\n\n")
    found = [b for b in blocks if layout.PRODUCT in b]
    return [line.split()[-1] for b in found for line in b.splitlines() if "DisplayVersion" in line]


def the_machine(admin: SignedIn) -> dict[str, Any]:
    machines: list[dict[str, Any]] = admin.client.get("/api/v1/machines").json()["machines"]
    assert len(machines) == 1, machines
    return machines[0]


def wait_machine(admin: SignedIn, what: str, check: Callable[[dict[str, Any]], bool],
                 log: Path) -> dict[str, Any]:  # fmt: skip
    def probe() -> dict[str, Any] | None:
        m = the_machine(admin)
        return m if check(m) else None

    try:
        return wait_for(probe, what, timeout=ONLINE_TIMEOUT)
    except AssertionError as exc:
        text = log.read_text(errors="replace")[-4000:] if log.exists() else "(no log)"
        raise AssertionError(f"{exc}; machine {the_machine(admin)}; service log:\n{text}") from None


def online_machine(admin: SignedIn, agent_id: str) -> dict[str, Any] | None:
    m: dict[str, Any] = admin.client.get(f"/api/v1/machines/{agent_id}").json()
    return m if m.get("online") else None


def baked_envelope(package: Path) -> bytes:
    exported = subprocess.run(["msiinfo", "export", str(package), "Property"],
                              capture_output=True, text=True, check=True).stdout  # fmt: skip
    return next(
        line.split("\t", 1)[1] for line in exported.splitlines()
        if line.startswith(msi.CONFIG_PROPERTY + "\t")
    ).encode()  # fmt: skip


@pytest.mark.timeout(3600)  # the first MSI download of a run builds its base
def test_msi_installs_runs_reboots_reconfigures_upgrades_and_uninstalls_under_wine(
    prefix: WinePrefix, server: ServerProcess, windows_runtime: Path, tmp_path: Path
) -> None:
    admin = sign_in(server)
    made = admin.post("/api/v1/installers", json={
        "company": "Glaztech Industries", "site": "Phoenix", "tag": "VIP",
    }).json()  # fmt: skip
    package = download(server, made["windows_msi_url"], tmp_path / "guruconnect-agent.msi")
    program_files, config, log = installed_paths(prefix)

    # 0. A revoked installer's MSI: the enroll step fails with the server's reason and
    # the install rolls back, leaving nothing behind.
    revoked = admin.post("/api/v1/installers", json={"company": "Glaztech Industries"}).json()
    refused = download(server, revoked["windows_msi_url"], tmp_path / "revoked.msi")
    assert admin.delete(f"/api/v1/installers/{revoked['id']}").status_code == 204
    # (Windows Installer exits 1603 there; Wine's msiexec 91.)
    done = msiexec(prefix, "/i", refused, succeed=False)
    assert "enrollment failed" in done.stderr and "revoked" in done.stderr.lower(), done
    assert service_state(prefix) == "" and installed_versions(prefix) == []
    assert not (program_files / "python.exe").exists() and not config.exists()

    # 1-2. Install silently, with a public property overriding the baked site.
    started = time.monotonic()
    done = msiexec(prefix, "/i", package, "SITE=New York")
    install_s = time.monotonic() - started
    assert "enrolled as" in done.stdout + done.stderr, (done.stdout, done.stderr)
    assert (program_files / "python.exe").is_file() and config.is_file()
    assert installed_versions(prefix) == [".".join(map(str, layout.numeric_version()))]
    m = wait_machine(admin, "the service online", lambda m: m["online"], log)
    assert (m["company"], m["site"], m["tag"]) == ("Glaztech Industries", "New York", "VIP")
    assert service_state(prefix) == "RUNNING"
    assert "service starting with C:\\ProgramData\\GuruConnect\\agent.json" in log.read_text()

    # 3. Off and on again: the service starts by itself.
    prefix.shut_down()
    wait_machine(admin, "the machine offline after shutdown", lambda m: not m["online"], log)
    prefix.boot()
    wait_machine(admin, "the service online after the reboot", lambda m: m["online"], log)

    # 4. Reconfigure with the installed command; the running service reports it. (From
    # its folder: cmd /c drops the first and last quote of a quoted command and quoted
    # arguments.)
    done = wine(prefix, "cmd", "/c", layout.COMMAND, "--reconfigure", "--site", "New York Office",
                timeout=300, cwd=program_files)  # fmt: skip
    assert done.returncode == 0, (done.stdout, done.stderr)
    assert json.loads(config.read_text())["site"] == "New York Office"
    wait_machine(admin, "the new site", lambda m: m["site"] == "New York Office", log)

    # 5. A newer build (same UpgradeCode, next version, same baked config) upgrades:
    # the old version is removed, the newer one registered, and its service runs.
    # Whether the enrollment is kept is NOT checked here: Wine 8 removes the old version
    # with a plain `msiexec /qn /i {product} REMOVE=ALL` (its dlls/msi/action.c), without
    # UPGRADINGPRODUCTCODE, so the old version's Forget action (REMOVE="ALL" AND NOT
    # UPGRADINGPRODUCTCODE) deletes the config and the new version enrolls again, as a
    # second machine; Windows Installer sets UPGRADINGPRODUCTCODE there, and the
    # config is kept (NOT RUN on real Windows here).
    major, minor, patch = layout.numeric_version()
    newer_base = msi.build_base(windows_runtime, tmp_path / "newer-base.msi",
                                (major, minor, patch + 1))  # fmt: skip
    newer = msi.bake(newer_base, baked_envelope(package), tmp_path / "newer.msi")
    msiexec(prefix, "/i", newer)
    assert installed_versions(prefix) == [f"{major}.{minor}.{patch + 1}"]
    assert (program_files / "python.exe").is_file() and config.is_file()
    agent_id = json.loads(config.read_text())["agent_id"]
    online = wait_for(
        lambda: online_machine(admin, agent_id), "the service online after the upgrade",
        timeout=ONLINE_TIMEOUT,
    )  # fmt: skip
    assert online["company"] == "Glaztech Industries"
    assert service_state(prefix) == "RUNNING"

    # 6. Uninstall: no service, no files, no config (the private key) left.
    msiexec(prefix, "/x", newer)
    assert service_state(prefix) == ""
    assert not config.exists() and not (program_files / "python.exe").exists()
    assert installed_versions(prefix) == []
    wait_for(lambda: online_machine(admin, agent_id) is None, "the machine offline after uninstall",
             timeout=ONLINE_TIMEOUT)  # fmt: skip
    print(f"msiexec /i under Wine: {install_s:.1f} s")


@pytest.mark.timeout(3600)  # the first EXE download of a run builds its base
def test_setup_exe_installs_runs_reconfigures_and_uninstalls_under_wine(
    prefix: WinePrefix, server: ServerProcess, tmp_path: Path
) -> None:
    admin = sign_in(server)
    made = admin.post("/api/v1/installers", json={
        "company": "Glaztech Industries", "site": "Phoenix", "tag": "VIP",
    }).json()  # fmt: skip
    setup = download(server, made["windows_exe_url"], tmp_path / "guruconnect-agent-setup.exe")
    program_files, config, log = installed_paths(prefix)

    done = wine(prefix, setup.name, "/S", "--site", "Wine Office", cwd=tmp_path)
    assert done.returncode == 0, (done.stdout, done.stderr)
    assert (program_files / "python.exe").is_file() and config.is_file()
    agent_id = json.loads(config.read_text())["agent_id"]
    m = wait_machine(admin, "the EXE's service online", lambda m: m["online"], log)
    assert (m["id"], m["company"], m["site"], m["tag"]) == (
        agent_id,
        "Glaztech Industries",
        "Wine Office",
        "VIP",
    )
    assert service_state(prefix) == "RUNNING"

    # Run again with a flag: only that changes, and the service reports it.
    done = wine(prefix, setup.name, "/S", "--tag", "Laptop", cwd=tmp_path)
    assert done.returncode == 0, (done.stdout, done.stderr)
    m = wait_machine(admin, "the new tag", lambda m: m["tag"] == "Laptop", log)
    assert (m["id"], m["site"]) == (agent_id, "Wine Office")

    # The uninstaller copies itself to TEMP and returns at once: wait for its work.
    done = wine(prefix, "uninstall.exe", "/S", cwd=program_files)
    assert done.returncode == 0, (done.stdout, done.stderr)
    wait_for(lambda: service_state(prefix) == "" and not config.exists(),
             "the service and the config removed", timeout=ONLINE_TIMEOUT)  # fmt: skip
    wait_for(lambda: not (program_files / "python.exe").exists(), "the files removed",
             timeout=ONLINE_TIMEOUT)  # fmt: skip
    wait_for(lambda: online_machine(admin, agent_id) is None, "the machine offline",
             timeout=ONLINE_TIMEOUT)  # fmt: skip


@pytest.mark.timeout(3600)  # the first support EXE download of a run builds its base
def test_support_exe_joins_and_removes_itself_under_wine(
    prefix: WinePrefix, server: ServerProcess, tmp_path: Path
) -> None:
    tech = sign_in(server, "technician")
    made = create_session(tech, name="printer trouble")
    session_id = str(made["id"])
    token = portal_join(server, str(made["code"]))
    exe = download(server, f"/portal/agent/{token}/windows", tmp_path / "guruconnect-support.exe")
    temp = prefix.path / "drive_c" / "users"

    def unpacked() -> list[Path]:
        return [p for p in temp.rglob("pythonw.exe") if "GuruConnect" not in p.parts]

    proc = subprocess.Popen(
        [prefix.wine, exe.name], cwd=tmp_path, env=prefix.env, stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_status(tech, session_id, lambda s: bool(s["agent_connected"]), "joined", 180)
        assert unpacked(), "the EXE unpacked no runtime under C:\\users"
        r = tech.post(f"/api/v1/support-sessions/{session_id}/end")
        assert r.status_code == 200, r.text
        assert proc.wait(120) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    wait_for(lambda: not exe.exists(), "the EXE deleted itself", timeout=60)
    assert unpacked() == []
    assert session_info(tech, session_id)["status"] == "ended"
