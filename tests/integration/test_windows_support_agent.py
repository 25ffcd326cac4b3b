"""The Windows one-time support agent under Wine, against a real server's support session:
its native Win32 consent window appears, a real click on Allow (or Deny) reaches the
server, after Allow the technician's viewer gets the screen (the desktop worker, JPEG
tiles), chat goes both ways through the window, End session ends it, and the agent
exits and removes its files.

What runs is the support EXE's own file tree (``support_tree.support_tree`` of the
runtime: the files the EXE extracts) and the EXE's entry, ``-m guruconnect.agent.support``, with two
differences, both for the test's sake: python.exe instead of pythonw.exe (so that its log
comes back on a pipe), and ``--config FILE`` instead of ``--config-exe`` (the EXE itself,
built by makensis and signed, is what test_windows_installers.py bakes and reads the
config from, and what test_windows_installers_wine.py runs as downloaded: it joins, ends
and deletes itself). ``--remove`` is given an extracted directory as the EXE's bootstrap
would.

The user's side is tests/windows/support_window_driver.py, a separate Windows process:
it finds the window by class and its controls by id, clicks with SendInput and types
with SendInput (Unicode), and reads the controls' text with WM_GETTEXT.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from guruconnect.agent.support.cleanup import DIR_MARKER
from guruconnect.agent.support.config import SupportConfig, encode_support_config
from guruconnect.protocol.desktop import TileFrame
from guruconnect.server.tls import fingerprint_pem
from tests.support.guest import (
    create_session,
    first_frame,
    portal_join,
    session_info,
    viewer_refusal,
    wait_status,
)
from tests.support.server import ServerProcess
from tests.support.users import SignedIn, sign_in
from tests.support.wine import TEST_SITECUSTOMIZE, WinePrefix

DRIVER = Path(__file__).resolve().parents[1] / "windows" / "support_window_driver.py"
# Control ids of agent/support/window_win32.py (not imported: it is Windows-only code).
ID_STATUS, ID_ALLOW, ID_DENY, ID_SHARING, ID_CHAT, ID_ENTRY, ID_END = (
    102, 104, 105, 106, 107, 108, 109,
)  # fmt: skip


@pytest.fixture(scope="module")
def server(module_server: ServerProcess) -> ServerProcess:
    return module_server


@pytest.fixture(scope="module")
def support_tree(windows_runtime: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What the support EXE extracts, plus the Wine sitecustomize (test only) and the
    driver script next to it."""
    from guruconnect.server.installers.windows.support_tree import support_tree as build

    root = tmp_path_factory.mktemp("win-support")
    tree = build(windows_runtime, root / "runtime")
    (tree / "Lib" / "site-packages" / "sitecustomize.py").write_text(TEST_SITECUSTOMIZE)
    shutil.copyfile(DRIVER, root / DRIVER.name)
    return tree


class Agent:
    """The agent process under Wine, its log collected as it runs."""

    def __init__(self, wine: WinePrefix, tree: Path, server: ServerProcess, token: str,
                 home: Path) -> None:  # fmt: skip
        self.wine, self.tree = wine, tree
        cert = (server.data_dir / "tls" / "server.crt").read_bytes()
        cfg = SupportConfig(server_url=server.url, server_fingerprint=fingerprint_pem(cert),
                            join_token=token)  # fmt: skip
        home.mkdir(parents=True, exist_ok=True)
        config = home / "config.json"
        config.write_bytes(encode_support_config(cfg))
        self.extracted = home / "extracted"  # as the EXE's bootstrap leaves it
        self.extracted.mkdir()
        (self.extracted / DIR_MARKER).touch()
        (self.extracted / "python.exe").write_bytes(b"stands in for the extracted runtime")
        self.proc = wine.popen_python(tree, [
            "-m", "guruconnect.agent.support", "--config", wine.windows_path(config),
            "--remove", wine.windows_path(self.extracted), "--log-level", "INFO",
        ])  # fmt: skip
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)

    def log(self) -> str:
        return "".join(self.lines)

    def wait_exit(self, timeout: float = 90) -> int:
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"the agent did not exit:\n{self.log()}") from None
        self._reader.join(10)
        return code

    def run_dir(self) -> Path:
        """The private run directory it made (in the prefix's C:), from its log."""
        found = re.search(r"removed (C:\\\S*guruconnect-support-run-\w+)", self.log())
        assert found, self.log()
        relative = found.group(1)[3:].replace("\\", "/")
        return self.wine.path / "drive_c" / relative

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        if self.proc.stdout:
            self.proc.stdout.close()


def driver(agent: Agent, *args: str) -> str:
    """One command of the user's hands and eyes (support_window_driver.py)."""
    script = agent.wine.windows_path(agent.tree.parent / DRIVER.name)
    done = agent.wine.run_python(agent.tree, [script, *args], timeout=180)
    if done.returncode != 0:
        raise AssertionError(f"driver {args} failed:\n{done.stdout}{done.stderr}\n"
                             f"--- agent ---\n{agent.log()}")  # fmt: skip
    return done.stdout.strip()


def control_text(agent: Agent, control_id: int) -> str:
    return str(json.loads(driver(agent, "text", str(control_id))))


def wait_text(agent: Agent, control_id: int, needle: str, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        text = control_text(agent, control_id)
        if needle in text:
            return text
        time.sleep(0.5)
    raise AssertionError(f"{needle!r} never shown in control {control_id}: {text!r}\n{agent.log()}")


@pytest.fixture
def joined(
    server: ServerProcess, support_tree: Path, wine_session: WinePrefix, tmp_path: Path
) -> Iterator[tuple[SignedIn, str, Agent]]:
    """A technician's session with the agent joined and its consent window shown."""
    tech = sign_in(server, role="technician")
    created = create_session(tech, name="printer trouble")
    session_id = str(created["id"])
    token = portal_join(server, str(created["code"]))
    agent = Agent(wine_session, support_tree, server, token, tmp_path / "guest")
    try:
        assert json.loads(driver(agent, "wait")) == "GuruConnect Support"
        wait_status(tech, session_id, lambda s: bool(s["agent_connected"]), "joined", 120)
        yield tech, session_id, agent
    finally:
        agent.kill()


@pytest.mark.timeout(900)
def test_allow_view_chat_and_end_in_the_win32_window(
    server: ServerProcess, joined: tuple[SignedIn, str, Agent]
) -> None:
    tech, session_id, agent = joined
    assert driver(agent, "visible", str(ID_ALLOW)) == "1"
    assert session_info(tech, session_id)["consent"] == "pending"

    driver(agent, "click", str(ID_ALLOW))
    info = wait_status(tech, session_id, lambda s: s["consent"] == "allowed", "allowed")
    assert info["status"] == "active"
    assert driver(agent, "visible", str(ID_ALLOW)) == "0"  # asked once, never again
    assert "Screen access: allowed" in control_text(agent, ID_SHARING)
    # The technician looks: the desktop worker starts from the same tree (no numpy, no
    # PyAV in it) and sends the screen as JPEG tiles, though the viewer prefers H.264.
    frame = first_frame(server, tech, str(info["desktop_target"]), timeout=180)
    assert isinstance(frame, TileFrame) and frame.keyframe, frame

    r = tech.post(f"/api/v1/support-sessions/{session_id}/chat",
                  json={"text": "Hello, I am here to help, Grüße 東京"})  # fmt: skip
    assert r.status_code in (200, 201), r.text
    wait_text(agent, ID_CHAT, "Hello, I am here to help, Grüße 東京")

    driver(agent, "type", str(ID_ENTRY), "My printer is jammed")  # Enter sends
    deadline = time.monotonic() + 60
    lines: list[dict[str, object]] = []
    while time.monotonic() < deadline:
        lines = tech.client.get(f"/api/v1/support-sessions/{session_id}/chat").json()["lines"]
        if any(ln["text"] == "My printer is jammed" and ln["sender"] == "guest" for ln in lines):
            break
        time.sleep(0.3)
    else:
        raise AssertionError(f"the typed line never reached the server: {lines}\n{agent.log()}")
    assert "You: My printer is jammed" in wait_text(agent, ID_CHAT, "You: My printer")
    assert control_text(agent, ID_ENTRY) == ""  # sent and cleared

    driver(agent, "click", str(ID_END))
    assert agent.wait_exit() == 0, agent.log()
    driver(agent, "gone")
    assert session_info(tech, session_id)["status"] == "ended"
    assert not agent.extracted.exists(), agent.log()
    assert not agent.run_dir().exists(), agent.log()


@pytest.mark.timeout(900)
def test_deny_in_the_win32_window_never_opens_the_screen(
    server: ServerProcess, joined: tuple[SignedIn, str, Agent]
) -> None:
    tech, session_id, agent = joined
    driver(agent, "click", str(ID_DENY))
    wait_status(tech, session_id, lambda s: s["consent"] == "denied", "denied")
    assert "Screen access: denied" in control_text(agent, ID_SHARING)
    assert driver(agent, "visible", str(ID_DENY)) == "0"
    assert viewer_refusal(server, tech, f"support-{session_id}") == 4403

    # The technician ends it: the window shows why, then goes, and the agent cleans up.
    r = tech.post(f"/api/v1/support-sessions/{session_id}/end")
    assert r.status_code in (200, 204), r.text
    wait_text(agent, ID_STATUS, "The technician ended the session.")
    assert agent.wait_exit() == 0, agent.log()
    assert "worker started" not in agent.log()  # no desktop worker, ever
    assert not agent.extracted.exists(), agent.log()
    assert not agent.run_dir().exists(), agent.log()


@pytest.mark.timeout(900)
def test_closing_the_win32_window_ends_the_session(joined: tuple[SignedIn, str, Agent]) -> None:
    tech, session_id, agent = joined
    driver(agent, "close")  # Alt+F4: WM_CLOSE, as the title bar's X sends
    assert agent.wait_exit() == 0, agent.log()
    assert "window closed: ending the session" in agent.log()
    assert session_info(tech, session_id)["status"] == "ended"
    assert not agent.extracted.exists(), agent.log()
