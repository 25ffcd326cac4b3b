"""A real X server for remote-control tests: Xvfb on a free display number.

    with xvfb() as display:             # 1920x1080, one monitor
    with xvfb_two_monitors() as display:  # 3200x1080: LEFT 1920x1080 + RIGHT 1280x1024

Two monitors: Xvfb has a single RandR output, so the monitors are RandR 1.5
client-defined monitors (what ``xrandr --setmonitor`` makes). Under Xvfb 21.1 the X
server frees a client's monitors when that client disconnects, so ``xrandr
--setmonitor`` on its own leaves nothing behind (it exits at once). We define them
through libXrandr in a connection whose close-down mode is RetainPermanent, which keeps
them for the server's lifetime (``-noreset`` keeps the server from resetting when its
last client goes). LEFT carries the real output, which hides the automatic 3200x1080
"screen" monitor; capture libraries (mss reads ``RRGetMonitors``) then see exactly two.

Only the standard library at import time: the benchmark imports this outside pytest.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SCREEN_1080P = (1920, 1080)
DPI_MM = 25.4 / 96  # millimetres per pixel at 96 dpi, for the monitors' physical size


@dataclass(frozen=True)
class MonitorSpec:
    name: str
    x: int
    y: int
    width: int
    height: int
    primary: bool = False


TWO_MONITORS = (
    MonitorSpec("LEFT", 0, 0, 1920, 1080, primary=True),
    MonitorSpec("RIGHT", 1920, 0, 1280, 1024),
)
TWO_MONITOR_SCREEN = (3200, 1080)


def _require(command: str, package: str) -> str:
    """Inside pytest: install or skip (fail under CI). Elsewhere: a plain error."""
    if "PYTEST_CURRENT_TEST" in os.environ:
        from tests.support.system import ensure_command  # imports pytest

        return ensure_command(command, package)
    found = shutil.which(command)
    if not found:
        raise RuntimeError(f"{command} is not installed (Debian package {package})")
    return found


def _free_display() -> int:
    """A display number with no lock file and no socket: X's own allocation rule."""
    for number in range(90, 400):
        lock = Path(f"/tmp/.X{number}-lock")
        sock = Path(f"/tmp/.X11-unix/X{number}")
        if not lock.exists() and not sock.exists():
            return number
    raise RuntimeError("no free X display number between :90 and :399")


def _accepts_connections(display: str) -> bool:
    """True once the server answers a real request (the socket alone is not enough)."""
    xlib = _libx11()
    dpy = xlib.XOpenDisplay(display.encode())
    if not dpy:
        return False
    xlib.XCloseDisplay(dpy)
    return True


@contextlib.contextmanager
def xvfb(
    size: tuple[int, int] = SCREEN_1080P, monitors: tuple[MonitorSpec, ...] = ()
) -> Iterator[str]:
    """Start Xvfb, yield its DISPLAY (":N"), kill it afterwards."""
    binary = _require("Xvfb", "xvfb")
    width, height = size
    # Two test runs may race for a number: Xvfb then exits at once, and we try the next.
    for _attempt in range(5):
        number = _free_display()
        display = f":{number}"
        log_path = Path(tempfile.gettempdir()) / f"guru-xvfb{number}-{os.getpid()}.log"
        with log_path.open("wb") as log:  # Popen keeps its own copy of the descriptor
            proc = subprocess.Popen(
                [binary, display, "-screen", "0", f"{width}x{height}x24",
                 "+extension", "MIT-SHM", "+extension", "RANDR", "-nolisten", "tcp",
                 "-noreset"],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            )  # fmt: skip
        deadline = time.monotonic() + 20
        while proc.poll() is None and time.monotonic() < deadline:
            if _accepts_connections(display):
                break
            time.sleep(0.05)
        if proc.poll() is None and time.monotonic() < deadline:
            break
        proc.kill()
        proc.wait(5)
    else:
        raise RuntimeError(f"Xvfb did not start: {log_path.read_text(errors='replace')}")
    try:
        if monitors:
            _require("xrandr", "x11-xserver-utils")  # brings libXrandr, and we verify with it
            define_monitors(display, monitors)
        yield display
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        log_path.unlink(missing_ok=True)


@contextlib.contextmanager
def xvfb_two_monitors() -> Iterator[str]:
    with xvfb(TWO_MONITOR_SCREEN, TWO_MONITORS) as display:
        yield display


def list_monitors(display: str) -> str:
    """``xrandr --listmonitors``, for assertions and error messages."""
    done = subprocess.run(
        ["xrandr", "--listmonitors"], env={**os.environ, "DISPLAY": display},
        capture_output=True, text=True, timeout=20, check=False,
    )  # fmt: skip
    return done.stdout + done.stderr


# --- RandR 1.5 monitors through libXrandr ------------------------------------------------
# python-xlib's randr.set_monitor cannot encode its request (it fails packing the
# monitor info), so this goes through the C libraries that xrandr itself uses.

RETAIN_PERMANENT = 1


class _MonitorInfo(ctypes.Structure):
    _fields_ = [
        ("name", ctypes.c_ulong),
        ("primary", ctypes.c_int),
        ("automatic", ctypes.c_int),
        ("noutput", ctypes.c_int),
        ("x", ctypes.c_int),
        ("y", ctypes.c_int),
        ("width", ctypes.c_int),
        ("height", ctypes.c_int),
        ("mwidth", ctypes.c_int),
        ("mheight", ctypes.c_int),
        ("outputs", ctypes.POINTER(ctypes.c_ulong)),
    ]


class _ScreenResources(ctypes.Structure):
    _fields_ = [
        ("timestamp", ctypes.c_ulong),
        ("config_timestamp", ctypes.c_ulong),
        ("ncrtc", ctypes.c_int),
        ("crtcs", ctypes.c_void_p),
        ("noutput", ctypes.c_int),
        ("outputs", ctypes.POINTER(ctypes.c_ulong)),
    ]


def _load(name: str, fallback: str) -> ctypes.CDLL:
    return ctypes.CDLL(ctypes.util.find_library(name) or fallback)


def _libx11() -> ctypes.CDLL:
    lib = _load("X11", "libX11.so.6")
    lib.XOpenDisplay.restype = ctypes.c_void_p
    lib.XOpenDisplay.argtypes = [ctypes.c_char_p]
    lib.XCloseDisplay.argtypes = [ctypes.c_void_p]
    lib.XDefaultRootWindow.restype = ctypes.c_ulong
    lib.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
    lib.XInternAtom.restype = ctypes.c_ulong
    lib.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
    lib.XSync.argtypes = [ctypes.c_void_p, ctypes.c_int]
    lib.XSetCloseDownMode.argtypes = [ctypes.c_void_p, ctypes.c_int]
    return lib


def define_monitors(display: str, monitors: tuple[MonitorSpec, ...]) -> None:
    """Define RandR monitors that outlive this connection. The primary one gets the
    screen's output (so the automatic whole-screen monitor disappears)."""
    xlib = _libx11()
    xrandr = _load("Xrandr", "libXrandr.so.2")
    xrandr.XRRAllocateMonitor.restype = ctypes.POINTER(_MonitorInfo)
    xrandr.XRRAllocateMonitor.argtypes = [ctypes.c_void_p, ctypes.c_int]
    xrandr.XRRSetMonitor.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.POINTER(_MonitorInfo)]
    xrandr.XRRGetScreenResourcesCurrent.restype = ctypes.POINTER(_ScreenResources)
    xrandr.XRRGetScreenResourcesCurrent.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
    xrandr.XRRFreeScreenResources.argtypes = [ctypes.POINTER(_ScreenResources)]
    xrandr.XRRFreeMonitors.argtypes = [ctypes.POINTER(_MonitorInfo)]
    dpy = xlib.XOpenDisplay(display.encode())
    if not dpy:
        raise RuntimeError(f"cannot open {display}")
    try:
        root = xlib.XDefaultRootWindow(dpy)
        resources = xrandr.XRRGetScreenResourcesCurrent(dpy, root)
        if not resources or resources.contents.noutput < 1:
            raise RuntimeError("the X server reports no RandR output")
        output = resources.contents.outputs[0]
        for spec in monitors:
            info = xrandr.XRRAllocateMonitor(dpy, 1 if spec.primary else 0)
            m = info.contents
            m.name = xlib.XInternAtom(dpy, spec.name.encode(), 0)
            m.primary = int(spec.primary)
            m.x, m.y, m.width, m.height = spec.x, spec.y, spec.width, spec.height
            m.mwidth, m.mheight = round(spec.width * DPI_MM), round(spec.height * DPI_MM)
            if spec.primary:
                m.outputs[0] = output
            xrandr.XRRSetMonitor(dpy, root, info)
            xrandr.XRRFreeMonitors(info)
        xrandr.XRRFreeScreenResources(resources)
        xlib.XSetCloseDownMode(dpy, RETAIN_PERMANENT)
        xlib.XSync(dpy, 0)
    finally:
        xlib.XCloseDisplay(dpy)
    listed = list_monitors(display)
    missing = [spec.name for spec in monitors if spec.name not in listed]
    if missing:
        raise RuntimeError(f"RandR monitors {missing} were not kept:\n{listed}")
