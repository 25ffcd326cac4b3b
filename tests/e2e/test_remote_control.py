"""Remote control end to end: a real X server (Xvfb) running a real app, a real agent
whose desktop worker captures and injects there, a real server, and Chromium showing
the viewer. What the viewer draws is checked against the app's known colours; what the
viewer sends is checked against what the app received (its event log) and what the X
server holds (``query_keymap``).

One server, one signed-in browser context and one desktop per module: starting them is
most of the cost. Each test asserts only on events logged after its own start.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from Xlib.display import Display

from guruconnect.server.desktop.viewer_socket import WORKER_START_LIMIT
from tests.e2e.test_dashboard import browser_sign_in
from tests.support.agents import AgentProcess, create_token, enroll_agent
from tests.support.desktop_app import (
    BLUE,
    GREEN,
    RED,
    DesktopApp,
    Rect,
)
from tests.support.server import ServerProcess, running_server
from tests.support.users import SignedIn, sign_in
from tests.support.wait import wait_for
from tests.support.xvfb import TWO_MONITORS, xvfb, xvfb_two_monitors

# H.264 at "balanced" is lossy, and BT.601 limited range moves pure colours a little.
COLOUR_TOLERANCE = 20
VIEWPORT = {"width": 1000, "height": 700}  # small: "fit" really scales the screen down


@dataclass
class Desk:
    display: str
    app: DesktopApp
    agent: AgentProcess


# --- module fixtures: server, desktops, browser context --------------------------------


@pytest.fixture(scope="module")
def rc_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with running_server(tmp_path_factory.mktemp("rc-server")) as server:
        yield server


@pytest.fixture(scope="module")
def admin(rc_server: ServerProcess) -> SignedIn:
    return sign_in(rc_server)


@contextlib.contextmanager
def desktop(
    server: ServerProcess, admin: SignedIn, root: Path, *, two_monitors: bool, mode: str = "still"
) -> Iterator[Desk]:
    """Xvfb, the app on it, and an enrolled agent running with that DISPLAY."""
    root.mkdir(parents=True, exist_ok=True)
    screen = xvfb_two_monitors() if two_monitors else xvfb()
    with screen as display:
        width = 3200 if two_monitors else 1920
        # "still": no animation; these tests look at input and colours, not frame rate,
        # and on a small CI machine an idle screen keeps the worker light.
        app = DesktopApp(display, root / "app.jsonl", mode=mode, width=width)
        app.start()
        config = root / "agent" / "agent.json"
        done = enroll_agent(server.url, create_token(admin), config)
        assert done.returncode == 0, done.stderr
        agent = AgentProcess(config, env={"DISPLAY": display})
        agent.start()
        try:
            wait_for(
                lambda: admin.client.get(f"/api/v1/machines/{agent.agent_id}").json()["online"],
                "the agent to come online",
            )
            yield Desk(display, app, agent)
        finally:
            agent.stop()
            app.stop()


@pytest.fixture(scope="module")
def desk(
    rc_server: ServerProcess, admin: SignedIn, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Desk]:
    with desktop(rc_server, admin, tmp_path_factory.mktemp("desk1"), two_monitors=False) as d:
        yield d


@pytest.fixture(scope="module")
def desk2(
    rc_server: ServerProcess, admin: SignedIn, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Desk]:
    with desktop(rc_server, admin, tmp_path_factory.mktemp("desk2"), two_monitors=True) as d:
        yield d


@pytest.fixture(scope="module")
def signed_in_context(browser: Browser, rc_server: ServerProcess) -> Iterator[BrowserContext]:
    """One browser context, signed in once (the cookie serves every viewer tab)."""
    context = browser.new_context(ignore_https_errors=True, viewport=VIEWPORT)  # type: ignore[arg-type]
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    context.on("console", on_console)
    page = context.new_page()
    browser_sign_in(page, rc_server)
    page.close()
    yield context
    context.close()
    csp = [e for e in errors if "Content Security Policy" in e]
    assert not csp, f"CSP violations: {csp}"


def open_viewer(context: BrowserContext, server: ServerProcess, desk: Desk) -> Page:
    page = context.new_page()
    page.goto(f"{server.url}/console#/view/{desk.agent.agent_id}")
    # The first viewer of a machine gets control; the toolbar says so.
    expect(page.locator("#release-control")).to_be_visible(timeout=30000)
    # The server gives a desktop worker WORKER_START_LIMIT to start (a cold PyAV and
    # numpy import on a loaded 2-core CI machine has taken over 30 s); wait a little
    # longer than that, and say what the viewer and the agent saw if it never drew.
    try:
        page.wait_for_function(
            "() => (window.__guruViewer?.framesDrawn ?? 0) > 0",
            timeout=(WORKER_START_LIMIT + 15) * 1000,
        )
    except PlaywrightTimeoutError as error:
        shown = page.locator("body").inner_text()[-1500:]
        raise AssertionError(
            f"no frame drawn; the viewer shows:\n{shown}\n--- agent log ---\n"
            f"{desk.agent.log()[-4000:]}"
        ) from error
    return page


@pytest.fixture(scope="module")
def viewer(signed_in_context: BrowserContext, rc_server: ServerProcess, desk: Desk) -> Page:
    return open_viewer(signed_in_context, rc_server, desk)


@pytest.fixture(scope="module")
def viewer2(signed_in_context: BrowserContext, rc_server: ServerProcess, desk2: Desk) -> Page:
    return open_viewer(signed_in_context, rc_server, desk2)


@pytest.fixture
def fit_mode(viewer: Page) -> Iterator[Page]:
    """The viewer in "fit" mode, and back to it afterwards whatever the test did."""
    ensure_scale(viewer, fit=True)
    yield viewer
    ensure_scale(viewer, fit=True)


# --- the viewer's geometry and pixels ----------------------------------------------------


@dataclass(frozen=True)
class CanvasBox:
    left: float
    top: float
    width: float  # CSS pixels
    height: float
    frame_width: int  # remote pixels
    frame_height: int
    offset_x: int  # where the frame starts in the remote virtual screen
    offset_y: int

    def client(self, rx: int, ry: int) -> tuple[float, float]:
        """The viewport point over remote pixel (rx, ry): its centre, rounded to a
        whole CSS pixel as a real mouse would be."""
        cx = self.left + (rx - self.offset_x + 0.5) * self.width / self.frame_width
        cy = self.top + (ry - self.offset_y + 0.5) * self.height / self.frame_height
        return round(cx), round(cy)

    def remote(self, cx: float, cy: float) -> tuple[int, int]:
        """What the viewer should send for a viewport point (floor, as coords.ts)."""
        rx = int((cx - self.left) * self.frame_width // self.width) + self.offset_x
        ry = int((cy - self.top) * self.frame_height // self.height) + self.offset_y
        return rx, ry


def canvas_box(page: Page, offset: tuple[int, int] = (0, 0)) -> CanvasBox:
    box = page.evaluate(
        """() => { const c = document.querySelector('#remote-screen');
                   const r = c.getBoundingClientRect();
                   return [r.left, r.top, r.width, r.height, c.width, c.height]; }"""
    )
    left, top, width, height, frame_width, frame_height = box
    return CanvasBox(left, top, width, height, frame_width, frame_height, *offset)


def region_mean(page: Page, rect: Rect) -> tuple[float, float, float]:
    """Average RGB of a rectangle of the canvas (frame pixels)."""
    x0, y0, x1, y1 = rect
    mean = page.evaluate(
        """([x, y, w, h]) => {
            const d = document.querySelector('#remote-screen').getContext('2d')
                .getImageData(x, y, w, h).data;
            const s = [0, 0, 0];
            for (let i = 0; i < d.length; i += 4) { s[0] += d[i]; s[1] += d[i+1]; s[2] += d[i+2]; }
            const n = d.length / 4;
            return [s[0] / n, s[1] / n, s[2] / n];
        }""",
        [x0, y0, x1 - x0, y1 - y0],
    )
    return (mean[0], mean[1], mean[2])


def close_to(actual: tuple[float, float, float], expected: tuple[int, int, int]) -> bool:
    return all(abs(a - e) <= COLOUR_TOLERANCE for a, e in zip(actual, expected, strict=True))


def wait_for_colours(page: Page, expected: dict[str, tuple[Rect, tuple[int, int, int]]]) -> None:
    """Poll until each region shows its colour: the first frames after a keyframe
    request may still be in flight. The failure message shows what was drawn."""
    seen: dict[str, tuple[float, float, float]] = {}

    def all_match() -> bool:
        for name, (rect, _) in expected.items():
            seen[name] = region_mean(page, rect)
        return all(close_to(seen[name], rgb) for name, (_, rgb) in expected.items())

    try:
        wait_for(all_match, "the canvas to show the app's colours", timeout=20)
    except AssertionError as exc:
        raise AssertionError(
            f"{exc}: drawn {seen}, expected {expected} (pure red drawn as ~(255, 24, 0) and "
            "blue as ~(0, 14, 253) means BT.601 YUV decoded as BT.709: the stream does not "
            "say which matrix it uses)"
        ) from None


def ensure_scale(page: Page, *, fit: bool) -> None:
    toggle = page.locator("#scale-toggle")
    pressed = toggle.get_attribute("aria-pressed") == "true"  # pressed = 1:1
    if pressed == fit:
        toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "false" if fit else "true")
    # The canvas is re-laid out after the render: wait for its CSS size to follow.
    page.wait_for_function(
        """(fit) => { const c = document.querySelector('#remote-screen');
                      const s = document.querySelector('#viewer-screen');
                      const w = c.getBoundingClientRect().width;
                      return fit ? w <= s.clientWidth : Math.abs(w - c.width) < 0.5; }""",
        arg=fit,
    )


def shift_frame(rect: Rect, dx: int, dy: int = 0) -> Rect:
    """A remote-screen rectangle in the coordinates of a frame starting at (dx, dy)."""
    return (rect[0] - dx, rect[1] - dy, rect[2] - dx, rect[3] - dy)


def presses(app: DesktopApp, since: int, num: int = 1, press: bool = True) -> list[dict[str, Any]]:
    return [
        e
        for e in app.events(since)
        if e["type"] == "button" and e["num"] == num and e["press"] is press
    ]


def wait_press_at(app: DesktopApp, since: int, x: int, y: int, num: int = 1) -> dict[str, Any]:
    """The app's ButtonPress for a click at root (x, y); one pixel of slack for the
    browser's rounding of fractional CSS coordinates."""

    def near(e: dict[str, Any]) -> bool:
        return bool(
            e["type"] == "button"
            and e["press"]
            and e["num"] == num
            and abs(e["x"] - x) <= 1
            and abs(e["y"] - y) <= 1
        )

    try:
        return app.wait_for(near, f"button {num} pressed at ({x}, {y})", since=since)
    except AssertionError:
        got = [(e["x"], e["y"]) for e in presses(app, since, num)]
        raise AssertionError(f"expected a press at ({x}, {y}) +-1, the app got {got}") from None


def keys_down(display: str) -> list[int]:
    """Keycodes the X server holds down right now (any client's, XTest's included)."""
    conn = Display(display)
    try:
        keymap = conn.query_keymap()
    finally:
        conn.close()
    return [
        byte * 8 + bit for byte, bits in enumerate(keymap) for bit in range(8) if bits >> bit & 1
    ]


# --- tests ---------------------------------------------------------------------------------


def test_canvas_shows_the_remote_screen(viewer: Page, desk: Desk) -> None:
    layout = desk.app.layout
    wait_for_colours(viewer, {"red": (layout.red_patch, RED), "blue": (layout.blue_patch, BLUE)})
    probe = viewer.evaluate("() => window.__guruViewer")
    assert probe["codec"] in ("h264", "jpeg")
    size = viewer.evaluate("(c => [c.width, c.height])(document.querySelector('#remote-screen'))")
    assert size == [1920, 1080]
    expect(viewer.locator("#stat-codec")).to_have_text(probe["codec"], ignore_case=True)


@pytest.mark.parametrize("scale", ["fit", "1:1"])
def test_click_lands_on_the_remote_pixel(fit_mode: Page, desk: Desk, scale: str) -> None:
    page, app = fit_mode, desk.app
    ensure_scale(page, fit=scale == "fit")
    # Spread over the screen, off the entry and the marker (their clicks have effects).
    targets = [(40, 130), (700, 300), (1250, 980), (1900, 1070)]
    for rx, ry in targets:
        if scale == "1:1":
            # Only part of a 1920x1080 canvas fits in 1000x700: scroll the target into view.
            page.evaluate(
                """([x, y]) => {
                    const s = document.querySelector('#viewer-screen');
                    s.scrollLeft = x - s.clientWidth / 2;
                    s.scrollTop = y - s.clientHeight / 2;
                }""",
                [rx, ry],
            )
        box = canvas_box(page)
        if scale == "fit":
            assert box.width < box.frame_width == 1920, box
        else:
            assert (box.width, box.height) == (1920, 1080), box
        cx, cy = box.client(rx, ry)
        expected = box.remote(cx, cy)
        assert abs(expected[0] - rx) <= 2 and abs(expected[1] - ry) <= 2, (expected, rx, ry)
        since = app.mark()
        page.mouse.click(cx, cy)
        wait_press_at(app, since, *expected)
        release = app.wait_for(
            lambda e: e["type"] == "button" and e["num"] == 1 and not e["press"],
            "button 1 released", since=since,
        )  # fmt: skip
        assert abs(release["x"] - expected[0]) <= 1 and abs(release["y"] - expected[1]) <= 1


def test_typed_text_arrives(fit_mode: Page, desk: Desk) -> None:
    page, app = fit_mode, desk.app
    box = canvas_box(page)
    page.mouse.click(*box.client(300, 300))  # the keyboard follows a click on the screen
    since = app.mark()
    before = app.text() or ""
    typed = "Hello, World! äé€ß"
    page.keyboard.type(typed, delay=30)
    try:
        wait_for(lambda: app.text() == before + typed, f"the entry to read {before + typed!r}")
    except AssertionError:
        raise AssertionError(f"the entry reads {app.text()!r}") from None
    keys = [e for e in app.events(since) if e["type"] == "key" and e["press"]]
    chars = "".join(e["char"] for e in keys)
    assert typed in chars, chars
    keysyms = {e["keysym"] for e in keys}
    # Shifted characters arrive as themselves; non-ASCII through keysyms of their own.
    assert {"H", "W", "exclam", "comma", "adiaeresis", "eacute", "ssharp"} <= keysyms, keysyms
    assert keysyms & {"EuroSign", "U20AC"}, keysyms  # either keysym names the euro sign
    wait_for(lambda: not keys_down(desk.display), "every key to be released")


def test_drag_and_wheel(fit_mode: Page, desk: Desk) -> None:
    page, app = fit_mode, desk.app
    box = canvas_box(page)
    start, end = box.client(300, 300), box.client(700, 420)
    since = app.mark()
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(*end, steps=12)
    page.mouse.up()
    a, b = box.remote(*start), box.remote(*end)
    wait_press_at(app, since, *a)
    release = app.wait_for(
        lambda e: e["type"] == "button" and e["num"] == 1 and not e["press"],
        "the drag's button release", since=since,
    )  # fmt: skip
    assert abs(release["x"] - b[0]) <= 1 and abs(release["y"] - b[1]) <= 1, release
    # Motion with button 1 held (Button1Mask) in between, heading to the end point.
    dragged = [e for e in app.events(since) if e["type"] == "motion" and e["state"] & 0x100]
    assert len(dragged) >= 3, dragged
    xs = [e["x"] for e in dragged]
    assert xs == sorted(xs) and abs(xs[-1] - b[0]) <= 1, xs

    since = app.mark()
    page.mouse.wheel(0, 300)  # 3 notches of 100 px: three clicks of X button 5
    app.wait_for(lambda e: len(presses(app, since, num=5)) >= 3, "three wheel-down clicks",
                 since=since)  # fmt: skip
    downs = presses(app, since, num=5)
    assert len(downs) == 3 and not presses(app, since, num=4), downs
    assert all(abs(e["x"] - b[0]) <= 1 and abs(e["y"] - b[1]) <= 1 for e in downs), downs


def test_no_key_sticks_when_the_viewer_loses_focus(
    fit_mode: Page, desk: Desk, signed_in_context: BrowserContext
) -> None:
    page, app = fit_mode, desk.app
    page.mouse.click(*canvas_box(page).client(300, 300))
    since = app.mark()
    page.keyboard.down("Shift")
    other: Page | None = None
    try:
        app.wait_for(lambda e: e["type"] == "key" and e["press"] and e["keysym"] == "Shift_L",
                     "Shift pressed on the remote side", since=since)  # fmt: skip
        assert keys_down(desk.display), "Shift should be down on the X server now"
        # The technician switches to another tab while holding Shift.
        other = signed_in_context.new_page()
        other.bring_to_front()
        blurred = page.evaluate("() => document.hasFocus()") is False
        if not blurred:
            # Headless Chromium does not always move window focus between tabs; the
            # viewer listens to window "blur" either way, which is what a switch fires.
            page.evaluate("() => window.dispatchEvent(new Event('blur'))")
        app.wait_for(lambda e: e["type"] == "key" and not e["press"] and e["keysym"] == "Shift_L",
                     "Shift released on the remote side", since=since)  # fmt: skip
        wait_for(lambda: not keys_down(desk.display), "no key held on the X server")
    finally:
        if other is not None:
            other.close()
        page.bring_to_front()
        page.keyboard.up("Shift")  # the browser's own state; the viewer sends nothing more
    held = keys_down(desk.display)
    assert not held, f"keycodes still down: {held}"


def test_second_monitor(viewer2: Page, desk2: Desk) -> None:
    page, app = viewer2, desk2.app
    ensure_scale(page, fit=True)
    left, right = TWO_MONITORS
    options = page.locator("#monitor-select option")
    expect(options).to_have_count(3)  # all, LEFT, RIGHT
    # The viewer labels a monitor "WIDTH\u00d7HEIGHT" (a multiplication sign).
    expect(options.nth(2)).to_contain_text(f"{right.width}\u00d7{right.height}")
    # All monitors first: the 3200x1080 virtual screen.
    page.wait_for_function("() => document.querySelector('#remote-screen').width === 3200")
    layout = app.layout
    wait_for_colours(page, {"red": (layout.red_patch, RED), "green": (layout.green_patch, GREEN)})

    page.select_option("#monitor-select", "1")
    page.wait_for_function(
        f"""() => {{ const c = document.querySelector('#remote-screen');
                    return c.width === {right.width} && c.height === {right.height}; }}"""
    )
    wait_for_colours(page, {"green": (shift_frame(layout.green_patch, right.x), GREEN)})
    box = canvas_box(page, offset=(right.x, right.y))
    for rx, ry in [(right.x + 10, 20), (2500, 600), (right.x + right.width - 5, 1000)]:
        since = app.mark()
        cx, cy = box.client(rx, ry)
        expected = box.remote(cx, cy)
        assert expected[0] >= right.x, expected
        page.mouse.click(cx, cy)
        press = wait_press_at(app, since, *expected)
        assert press["x"] >= left.width, press
    page.select_option("#monitor-select", "-1")
