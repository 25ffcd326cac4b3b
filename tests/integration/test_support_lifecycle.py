"""One attended support session through its whole life, every part real: the server,
the one-time agent downloaded from it and run as its own process (system python3 with
Tk) on an Xvfb display, its real Tk window driven with xdotool, and the technician's
REST API and viewer socket.

The test finds the window's buttons the way a person does, by looking: it reads the
screen and clicks the Allow button's green (the colours are the window's own
constants), and reads the chat box by selecting its text with the mouse and asking the
X server for the selection (xclip). No hook inside the agent is used.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from guruconnect.agent.support.window import ALLOW_BG, CHAT_BG, DENY_BG, END_BG, ENTRY_BG
from guruconnect.protocol.desktop import TileFrame, VideoFrame
from tests.conftest import backends
from tests.support.guest import (
    create_session,
    first_frame,
    portal_join,
    session_info,
    viewer_refusal,
    wait_status,
)
from tests.support.server import ServerProcess, running_server
from tests.support.system import ensure_command, ensure_system_python
from tests.support.users import sign_in
from tests.support.xvfb import xvfb

WINDOW_NAME = "GuruConnect Support"  # the default portal_name


# --- fixtures ------------------------------------------------------------------------


@pytest.fixture(scope="module", params=backends())
def support_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, agent_cache: Path
) -> Iterator[ServerProcess]:
    """One server per database for the tests that leave it running: each test makes its
    own technician and session, and its agent ends that session."""
    data = tmp_path_factory.mktemp(f"support-{request.param}")
    with running_server(data, str(request.param),
                        GURU_SUPPORT_AGENT_CACHE_DIR=str(agent_cache)) as server:  # fmt: skip
        yield server


@pytest.fixture(scope="module")
def sqlite_support_server(
    tmp_path_factory: pytest.TempPathFactory, agent_cache: Path
) -> Iterator[ServerProcess]:
    """For what the agent does on its own (signals, its window): the database plays no
    part, and each run costs a desktop, an agent and a minute."""
    data = tmp_path_factory.mktemp("support-sqlite-only")
    with running_server(data, GURU_SUPPORT_AGENT_CACHE_DIR=str(agent_cache)) as server:
        yield server


@pytest.fixture
def restartable_support_server(
    server_factory: Callable[..., ServerProcess], agent_cache: Path
) -> ServerProcess:
    """A server of the test's own, which it may kill (SQLite: the agent reconnecting is
    what is tested)."""
    return server_factory("sqlite", GURU_SUPPORT_AGENT_CACHE_DIR=str(agent_cache))


@pytest.fixture
def desktop_tools() -> None:
    ensure_command("xdotool", "xdotool")
    ensure_command("xclip", "xclip")
    ensure_command("Xvfb", "xvfb")
    ensure_system_python(tk=True)


# --- the guest's computer ------------------------------------------------------------


class GuestDesktop:
    """The end user's screen (Xvfb) and hands (xdotool)."""

    def __init__(self, display: str) -> None:
        self.display = display
        self.env = {**os.environ, "DISPLAY": display}

    def xdotool(self, *args: str) -> str:
        done = subprocess.run(["xdotool", *args], env=self.env, capture_output=True,
                              text=True, timeout=30, check=False)  # fmt: skip
        return done.stdout.strip()

    def find_window(self, name: str, timeout: float = 240) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.xdotool("search", "--onlyvisible", "--name", f"^{name}$")
            if found:
                return found.split()[0]
            time.sleep(0.5)
        raise AssertionError(f"no window named {name!r} appeared")

    def region(self, colour: str, timeout: float = 60) -> tuple[int, int, int, int]:
        """Bounding box (x0, y0, x1, y1) of the pixels of ``colour`` on the screen."""
        import mss
        import numpy as np

        rgb = tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))
        deadline = time.monotonic() + timeout
        while True:
            with mss.MSS(display=self.display) as grab:
                shot = grab.grab(grab.monitors[0])
                pixels = np.frombuffer(shot.bgra, np.uint8).reshape(shot.height, shot.width, 4)
            match = (
                (pixels[:, :, 2] == rgb[0])
                & (pixels[:, :, 1] == rgb[1])
                & (pixels[:, :, 0] == rgb[2])
            )
            ys, xs = np.nonzero(match)
            if len(xs) > 50:
                return int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max())
            if time.monotonic() > deadline:
                raise AssertionError(f"nothing of colour {colour} on the screen")
            time.sleep(0.3)

    def click(self, colour: str) -> None:
        x0, y0, x1, y1 = self.region(colour)
        self.xdotool("mousemove", str((x0 + x1) // 2), str((y0 + y1) // 2))
        time.sleep(0.2)
        self.xdotool("click", "1")

    def type_line(self, text: str) -> None:
        self.click(ENTRY_BG)
        time.sleep(0.3)
        self.xdotool("type", "--delay", "30", text)
        self.xdotool("key", "Return")

    def chat_text(self) -> str:
        """Select the whole chat box with the mouse and read the X selection."""
        x0, y0, x1, y1 = self.region(CHAT_BG)
        self.xdotool("mousemove", str(x0 + 3), str(y0 + 3), "mousedown", "1")
        self.xdotool("mousemove", str(x1 - 3), str(y1 - 3))
        time.sleep(0.2)
        self.xdotool("mouseup", "1")
        time.sleep(0.3)
        done = subprocess.run(["xclip", "-o", "-selection", "primary"], env=self.env,
                              capture_output=True, text=True, timeout=10, check=False)  # fmt: skip
        return done.stdout

    def wait_chat(self, needle: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        text = ""
        while time.monotonic() < deadline:
            text = self.chat_text()
            if needle in text:
                return text
            time.sleep(0.5)
        raise AssertionError(f"{needle!r} not in the chat box: {text!r}")


class OneTimeAgent:
    """The downloaded file, run the way the portal tells the user to: ``sh FILE``."""

    def __init__(self, script: Path, display: str, home: Path) -> None:
        self.script = script
        self.tmp = home / "tmp"
        self.tmp.mkdir()
        self.log_path = home / "agent.log"
        env = {
            "PATH": "/usr/bin:/bin", "HOME": str(home), "TMPDIR": str(self.tmp),
            "DISPLAY": display, "LANG": "C.UTF-8",
        }  # fmt: skip
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(["sh", str(script)], env=env, cwd=home,
                                         stdout=log, stderr=subprocess.STDOUT)  # fmt: skip

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_exit(self, timeout: float = 60) -> int:
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"the agent did not exit:\n{self.log()}") from None

    def leftovers(self) -> list[str]:
        found = [p.name for p in self.tmp.iterdir()]
        if self.script.exists():
            found.append(str(self.script))
        return found

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


# --- helpers on the technician's side -----------------------------------------------


def download_agent(server: ServerProcess, token: str, into: Path) -> Path:
    r = httpx.get(f"{server.url}/portal/agent/{token}/linux", verify=False, timeout=900)
    assert r.status_code == 200, r.text[:300]
    assert r.content.startswith(b"#!/bin/sh\n# GuruConnect one-time support agent")
    into.mkdir(parents=True, exist_ok=True)
    path = into / "guruconnect-support.sh"
    path.write_bytes(r.content)
    return path


@pytest.fixture
def guest(tmp_path: Path, desktop_tools: None) -> Iterator[tuple[GuestDesktop, Path]]:
    with xvfb() as display:
        yield GuestDesktop(display), tmp_path / "guest"


# --- the tests -----------------------------------------------------------------------


def test_support_session_whole_life(
    support_server: ServerProcess, guest: tuple[GuestDesktop, Path]
) -> None:
    desktop, home = guest
    server = support_server
    tech = sign_in(server, role="technician")
    created = create_session(tech, name="printer trouble")
    session_id, code = str(created["id"]), str(created["code"])

    token = portal_join(server, code)
    script = download_agent(server, token, home / "Downloads")
    agent = OneTimeAgent(script, desktop.display, home)
    try:
        desktop.find_window(WINDOW_NAME)
        wait_status(tech, session_id, lambda s: bool(s["agent_connected"]), "joined")
        # Nothing of the screen before Allow: the viewer is turned away.
        assert viewer_refusal(server, tech, f"support-{session_id}") == 4403

        desktop.click(ALLOW_BG)
        info = wait_status(tech, session_id, lambda s: s["status"] == "active", "active")
        assert info["consent"] == "allowed"
        frame = first_frame(server, tech, str(info["desktop_target"]))
        assert isinstance(frame, VideoFrame | TileFrame)

        # Chat, both ways, each side seeing the other's line.
        r = tech.post(
            f"/api/v1/support-sessions/{session_id}/chat", json={"text": "Hello, I am here to help"}
        )
        assert r.status_code in (200, 201), r.text
        desktop.wait_chat("Hello, I am here to help")
        desktop.type_line("My printer is jammed")
        deadline = time.monotonic() + 30
        lines: list[dict[str, object]] = []
        while time.monotonic() < deadline:
            r = tech.client.get(f"/api/v1/support-sessions/{session_id}/chat")
            assert r.status_code == 200, r.text
            body = r.json()
            lines = body["lines"]
            if any(
                line["text"] == "My printer is jammed" and line["sender"] == "guest"
                for line in lines
            ):
                break
            time.sleep(0.3)
        else:
            raise AssertionError(f"the guest's line never reached the technician: {lines}")
        assert "You: My printer is jammed" in desktop.wait_chat("My printer is jammed")

        # The technician ends it: the agent exits and removes itself.
        r = tech.post(f"/api/v1/support-sessions/{session_id}/end")
        assert r.status_code in (200, 204), r.text
        assert agent.wait_exit() == 0, agent.log()
        assert agent.leftovers() == [], agent.log()
    finally:
        agent.kill()

    info = session_info(tech, session_id)
    assert info["status"] == "ended"
    # The code went back to the pool: the portal no longer knows it.
    r = server.client().post("/api/v1/portal/join", json={"code": code})
    assert r.status_code == 404, r.text


def test_deny_gives_the_technician_no_screen(
    support_server: ServerProcess, guest: tuple[GuestDesktop, Path]
) -> None:
    desktop, home = guest
    server = support_server
    tech = sign_in(server, role="technician")
    created = create_session(tech)
    session_id, code = str(created["id"]), str(created["code"])
    script = download_agent(server, portal_join(server, code), home / "Downloads")
    agent = OneTimeAgent(script, desktop.display, home)
    try:
        desktop.find_window(WINDOW_NAME)
        desktop.click(DENY_BG)
        info = wait_status(tech, session_id, lambda s: s["consent"] == "denied", "denied")
        assert info["status"] != "active"
        assert viewer_refusal(server, tech, f"support-{session_id}") == 4403

        # The user ends it with the End session button.
        desktop.click(END_BG)
        assert agent.wait_exit() == 0, agent.log()
        assert agent.leftovers() == [], agent.log()
    finally:
        agent.kill()
    assert session_info(tech, session_id)["status"] == "ended"
    r = server.client().post("/api/v1/portal/join", json={"code": code})
    assert r.status_code == 404, r.text


def close_window(display: str, window_id: str) -> None:
    """What a window manager does when the user clicks the close box: send the
    WM_DELETE_WINDOW client message (there is no window manager on Xvfb)."""
    from Xlib import X
    from Xlib import display as xdisplay
    from Xlib.protocol import event

    conn = xdisplay.Display(display)
    try:
        window = conn.create_resource_object("window", int(window_id))
        protocols = conn.intern_atom("WM_PROTOCOLS")
        delete = conn.intern_atom("WM_DELETE_WINDOW")
        message = event.ClientMessage(window=window, client_type=protocols,
                                      data=(32, [delete, X.CurrentTime, 0, 0, 0]))  # fmt: skip
        window.send_event(message, event_mask=X.NoEventMask)
        conn.flush()
    finally:
        conn.close()


@pytest.mark.parametrize("way_out", ["sigterm", "window_closed"])
def test_every_way_out_ends_the_session_and_removes_the_agent(
    sqlite_support_server: ServerProcess, guest: tuple[GuestDesktop, Path], way_out: str
) -> None:
    desktop, home = guest
    server = sqlite_support_server
    tech = sign_in(server, role="technician")
    created = create_session(tech)
    session_id, code = str(created["id"]), str(created["code"])
    script = download_agent(server, portal_join(server, code), home / "Downloads")
    agent = OneTimeAgent(script, desktop.display, home)
    try:
        window = desktop.find_window(WINDOW_NAME)
        wait_status(tech, session_id, lambda s: bool(s["agent_connected"]), "joined")
        if way_out == "sigterm":
            agent.proc.send_signal(signal.SIGTERM)
        else:
            close_window(desktop.display, window)
        assert agent.wait_exit() == 0, agent.log()
        assert agent.leftovers() == [], agent.log()
    finally:
        agent.kill()
    # The agent said goodbye (EndSession): the session ends at once, no reconnect grace.
    info = session_info(tech, session_id)
    assert info["status"] == "ended", info
    r = server.client().post("/api/v1/portal/join", json={"code": code})
    assert r.status_code == 404, r.text


def test_the_agent_comes_back_after_losing_the_server(
    restartable_support_server: ServerProcess, guest: tuple[GuestDesktop, Path]
) -> None:
    """The server dies mid-session (kill -9: to the agent, a lost network) and comes back:
    the agent reconnects with the same join token, the chat is shown again exactly once,
    consent is remembered and the screen can be viewed again."""
    desktop, home = guest
    server = restartable_support_server
    tech = sign_in(server, role="technician")
    created = create_session(tech)
    session_id = str(created["id"])
    script = download_agent(server, portal_join(server, str(created["code"])), home / "Downloads")
    agent = OneTimeAgent(script, desktop.display, home)
    try:
        desktop.find_window(WINDOW_NAME)
        desktop.click(ALLOW_BG)
        wait_status(tech, session_id, lambda s: s["status"] == "active", "active")
        chat = f"/api/v1/support-sessions/{session_id}/chat"
        r = tech.post(chat, json={"text": "before the cut"})
        assert r.status_code == 201, r.text
        desktop.wait_chat("before the cut")

        server.kill9()
        server.start()
        info = wait_status(tech, session_id, lambda s: bool(s["agent_connected"]), "rejoined")
        assert info["consent"] == "allowed"
        r = tech.post(chat, json={"text": "after the cut"})
        assert r.status_code == 201, r.text
        text = desktop.wait_chat("after the cut")
        assert text.count("before the cut") == 1, text
        assert agent.proc.poll() is None
        try:
            frame = first_frame(server, tech, str(info["desktop_target"]))
        except ConnectionClosed as closed:
            raise AssertionError(f"no screen after the restart: {closed}\n{agent.log()}") from None
        assert isinstance(frame, VideoFrame | TileFrame)

        r = tech.post(f"/api/v1/support-sessions/{session_id}/end")
        assert r.status_code == 200, r.text
        assert agent.wait_exit() == 0, agent.log()
        assert agent.leftovers() == [], agent.log()
    finally:
        agent.kill()
