"""The Windows agent under Wine: its backends, enrollment and service, in the real runtime.

The inner tests (tests/windows/) run INSIDE the runtime's python.exe under Wine on Xvfb,
with pytest's Windows wheels added to a test copy of the runtime. Their output is piped
back; any failure or skip there fails this test with that output.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.support.agents import create_token
from tests.support.server import ServerProcess
from tests.support.system import in_ci
from tests.support.users import sign_in
from tests.support.wait import wait_for
from tests.support.wine import WinePrefix, make_test_runtime

INNER = Path(__file__).resolve().parents[1] / "windows"


@pytest.fixture(scope="module")
def test_runtime(windows_runtime: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("win-test-runtime")
    runtime = make_test_runtime(windows_runtime, root / "runtime", ["pytest"])
    shutil.copytree(INNER, root / "wintests", ignore=shutil.ignore_patterns("__pycache__"))
    return runtime


def _inner(wine: WinePrefix, runtime: Path, *selection: str) -> str:
    tests = runtime.parent / "wintests"
    args = ["-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider", "--rootdir",
            wine.windows_path(runtime.parent), "-o", "console_output_style=classic",
            *(wine.windows_path(tests / name) for name in selection or ("",))]  # fmt: skip
    done = wine.run_python(runtime, args, cwd=runtime.parent, timeout=600)
    output = f"--- inner pytest exit {done.returncode} ---\n{done.stdout}\n{done.stderr}"
    if done.returncode != 0:
        pytest.fail(output, pytrace=False)
    if in_ci() and " skipped" in done.stdout:
        pytest.fail("CI=true: an inner Windows test skipped\n" + output, pytrace=False)
    return output


def test_sendinput_reaches_a_window(test_runtime: Path, wine_session: WinePrefix) -> None:
    out = _inner(wine_session, test_runtime, "test_sendinput.py")
    assert "3 passed" in out, out


def test_clipboard_round_trip(test_runtime: Path, wine_session: WinePrefix) -> None:
    out = _inner(wine_session, test_runtime, "test_clipboard.py")
    assert "4 passed" in out, out


def test_gdi_capture_sees_a_window(test_runtime: Path, wine_session: WinePrefix) -> None:
    out = _inner(wine_session, test_runtime, "test_capture.py")
    assert "1 passed" in out, out


def test_dxgi_capture_or_its_gdi_fallback(test_runtime: Path, wine_session: WinePrefix) -> None:
    """DXGI Desktop Duplication: Wine 8 stubs DuplicateOutput (E_NOTIMPL), so the
    capturer must refuse with that HRESULT and ``auto`` must fall back to GDI and capture;
    the staging copy (texture -> staging -> Map by RowPitch) runs on known pixels."""
    out = _inner(wine_session, test_runtime, "test_dxgi.py")
    assert "3 passed" in out, out


def test_agent_enrolls_and_checks_in_over_websocket(
    test_runtime: Path, wine_session: WinePrefix, server: ServerProcess, tmp_path: Path
) -> None:
    """The agent, running under Wine, enrolls against the native server on loopback and
    stays connected over its WebSocket, sending Windows inventory."""
    admin = sign_in(server)
    config = tmp_path / "agent.json"
    enroll = wine_session.run_python(
        test_runtime,
        ["-m", "guruconnect.agent", "enroll", "--server", server.url,
         "--token", create_token(admin, site="Wine Site"), "--tag", "Wine",
         "--config", wine_session.windows_path(config)],
        timeout=180,
    )  # fmt: skip
    assert enroll.returncode == 0, enroll.stdout + enroll.stderr
    assert "enrolled as" in enroll.stdout and config.is_file()
    agent_id = str(json.loads(config.read_text())["agent_id"])
    proc = wine_session.popen_python(
        test_runtime,
        ["-m", "guruconnect.agent", "run", "--config", wine_session.windows_path(config),
         "--max-backoff", "2", "--log-level", "DEBUG"],
    )  # fmt: skip
    try:

        def online() -> dict[str, Any] | None:
            if proc.poll() is not None:
                out = proc.stdout.read() if proc.stdout else ""
                pytest.fail(f"the agent under Wine exited {proc.returncode}:\n{out}")
            r = admin.client.get(f"/api/v1/machines/{agent_id}")
            m: dict[str, Any] = r.json()
            return m if m.get("online") and m.get("inventory") else None

        m = wait_for(online, "the Wine agent online", timeout=120)
        assert (m["company"], m["site"], m["tag"]) == ("Acme", "Wine Site", "Wine")
        assert m["inventory"]["os_type"] == "windows"
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        if proc.stdout:
            proc.stdout.close()


def test_inventory_facts_through_wmi(test_runtime: Path, wine_session: WinePrefix) -> None:
    out = _inner(wine_session, test_runtime, "test_facts.py")
    assert "3 passed" in out, out


def test_service_installs_starts_stops_and_removes(
    test_runtime: Path, wine_session: WinePrefix, server: ServerProcess, tmp_path: Path
) -> None:
    """The service module registers the pywin32 service with Wine's service manager
    (pythonservice.exe from the runtime, automatic start, our class, the config path),
    starts it, and the agent it hosts comes online in the dashboard; stop takes it
    offline; remove unregisters it."""
    admin = sign_in(server)
    config = tmp_path / "service-agent.json"
    win_config = wine_session.windows_path(config)
    key = r"HKLM\System\CurrentControlSet\Services\GuruConnectAgent"

    def service(*args: str) -> subprocess.CompletedProcess[str]:
        return wine_session.run_python(
            test_runtime, ["-m", "guruconnect.agent.service_windows", *args], timeout=180
        )

    def reg_query(path: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [wine_session.wine, "reg", "query", path], env=wine_session.env, text=True,
            capture_output=True, stdin=subprocess.DEVNULL, timeout=60, check=False,
        )  # fmt: skip

    def online() -> bool:
        agent_id = json.loads(config.read_text())["agent_id"]
        return bool(admin.client.get(f"/api/v1/machines/{agent_id}").json().get("online"))

    bad = service("install")
    assert bad.returncode == 2 and "needs --config" in bad.stderr
    missing = service("install", "--config", wine_session.windows_path(tmp_path / "none.json"))
    assert missing.returncode == 1 and "enroll first" in missing.stderr
    enroll = wine_session.run_python(
        test_runtime,
        ["-m", "guruconnect.agent", "enroll", "--server", server.url,
         "--token", create_token(admin, site="Service Site"), "--config", win_config],
        timeout=180,
    )  # fmt: skip
    assert enroll.returncode == 0, enroll.stdout + enroll.stderr
    installed = service("install", "--config", win_config)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert "installed" in installed.stdout
    try:
        entry = reg_query(key)
        assert entry.returncode == 0, entry.stdout + entry.stderr
        assert str(test_runtime.name) + "\\pythonservice.exe" in entry.stdout
        assert "Start    REG_DWORD    0x2" in entry.stdout  # automatic: survives reboot
        python_class = reg_query(key + r"\PythonClass").stdout
        assert "guruconnect.agent.service_windows.AgentService" in python_class
        assert win_config in reg_query(key + r"\Parameters").stdout

        started = service("start")
        assert started.returncode == 0, started.stdout + started.stderr
        assert "GuruConnectAgent: running" in started.stdout
        wait_for(online, "the service's agent online", timeout=120)
        stopped = service("stop")
        assert stopped.returncode == 0, stopped.stdout + stopped.stderr
        assert "GuruConnectAgent: stopped" in stopped.stdout
        wait_for(lambda: not online(), "the agent offline after stop", timeout=60)
        removed = service("remove")
        assert removed.returncode == 0 and "removed" in removed.stdout, removed.stderr
        assert reg_query(key).returncode != 0
    finally:  # the prefix is shared: leave no service behind
        for command in (["sc", "stop", "GuruConnectAgent"], ["sc", "delete", "GuruConnectAgent"]):
            subprocess.run(
                [wine_session.wine, *command], env=wine_session.env, capture_output=True,
                stdin=subprocess.DEVNULL, timeout=60, check=False,
            )  # fmt: skip
