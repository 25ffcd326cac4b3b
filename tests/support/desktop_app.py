"""A real X11 application to control remotely: Tk, full screen, logging what it receives.

Run as a subprocess on the test's X display (``python -m tests.support.desktop_app``,
or ``DesktopApp(...).start()``). What it shows, in root-window pixels (``Layout``):

    y 0-100          ANIM: a bar moving and changing colour every frame at 60 Hz
                     (FPS measurement); dark grey when --still
    x < 960          solid red     }  RED_PATCH / BLUE_PATCH / GREEN_PATCH are areas
    960 <= x < 1920  solid blue    }  known to hold only that colour (pixel checks)
    x >= 1920        solid green   }  (a second monitor, when the screen is wider)
    ENTRY            a text entry, focused at start, echoing what is typed
    NOTES            a multi-line Text (tab and newline insert themselves), for typed
                     text that must arrive exactly
    MARKER           a square that takes the next colour of MARKER_COLOURS on every
                     press of button 1 (click-to-photon)
    --office         instead of the animation, a "window" (title bar and text lines)
                     that jumps to a new place every 2 s, as when someone drags one

Every event goes to the log file as one JSON object per line (flushed at once, so a
test can read it while the app runs): ``button`` (press/release, num, x/y root),
``motion``, ``key`` (press/release, keysym, char, keycode, state), ``text`` (the
entry's whole text after each change), ``notes`` (the Text's whole text), ``focus``
(in/out), ``marker`` (new colour),
and ``ready`` once the window is mapped and the entry has the keyboard focus.

Only the standard library and Tk: the benchmark uses this outside pytest too.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

Rect = tuple[int, int, int, int]  # x0, y0, x1, y1 (x1, y1 exclusive)

RED, BLUE, GREEN = (255, 0, 0), (0, 0, 255), (0, 255, 0)
MARKER_COLOURS: tuple[tuple[int, int, int], ...] = (
    (255, 255, 0),  # yellow
    (0, 255, 255),  # cyan
    (255, 0, 255),  # magenta
    (255, 255, 255),  # white
    (0, 0, 0),  # black
    (255, 128, 0),  # orange
)
ANIM_FPS = 60


@dataclass(frozen=True)
class Layout:
    """Where things are, in root-window pixels (the app window sits at 0,0)."""

    width: int = 1920
    height: int = 1080
    anim: Rect = (0, 0, 1920, 100)
    red_patch: Rect = (100, 200, 500, 450)
    blue_patch: Rect = (1300, 200, 1700, 450)
    green_patch: Rect = (2200, 200, 2600, 450)  # only when width > 1920
    entry: Rect = (120, 600, 820, 660)
    notes: Rect = (120, 700, 820, 900)
    marker: Rect = (1560, 760, 1720, 920)
    office_window: tuple[int, int] = (420, 300)  # width, height of the moving "window"

    @property
    def marker_centre(self) -> tuple[int, int]:
        x0, y0, x1, y1 = self.marker
        return (x0 + x1) // 2, (y0 + y1) // 2

    def background(self, x: int) -> tuple[int, int, int]:
        return RED if x < 960 else BLUE if x < 1920 else GREEN


def hex_colour(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


# --- the application (runs in the subprocess) -------------------------------------------


def run_app(log_path: Path, mode: str, width: int, height: int) -> None:
    import tkinter as tk  # only the subprocess needs Tk

    layout = Layout(width=width, height=height)
    out: IO[str] = log_path.open("a", buffering=1, encoding="utf-8")

    def log(kind: str, **fields: Any) -> None:
        out.write(json.dumps({"type": kind, "t": time.time(), **fields}) + "\n")

    root = tk.Tk()
    # No window manager on Xvfb: override-redirect pins the window at 0,0 with no
    # decorations whatever runs on the display.
    root.overrideredirect(True)
    root.geometry(f"{width}x{height}+0+0")
    canvas = tk.Canvas(root, width=width, height=height, highlightthickness=0, bd=0)
    canvas.place(x=0, y=0)
    for x0, x1, rgb in ((0, 960, RED), (960, 1920, BLUE), (1920, width, GREEN)):
        if x1 > x0:
            colour = hex_colour(rgb)
            canvas.create_rectangle(x0, 0, x1, height, fill=colour, outline=colour)
    ax0, ay0, ax1, ay1 = layout.anim
    canvas.create_rectangle(ax0, ay0, ax1, ay1, fill="#202020", outline="#202020")

    mx0, my0, mx1, my1 = layout.marker
    marker = canvas.create_rectangle(
        mx0, my0, mx1, my1, fill=hex_colour(MARKER_COLOURS[0]), outline=""
    )
    clicks = 0

    def on_marker(event: tk.Event[Any]) -> None:
        nonlocal clicks
        clicks += 1
        rgb = MARKER_COLOURS[clicks % len(MARKER_COLOURS)]
        canvas.itemconfigure(marker, fill=hex_colour(rgb))
        log("marker", clicks=clicks, colour=list(rgb))

    canvas.tag_bind(marker, "<ButtonPress-1>", on_marker)

    text = tk.StringVar(root)
    ex0, ey0, ex1, ey1 = layout.entry
    entry = tk.Entry(root, textvariable=text, font=("DejaVu Sans", 24), bg="white", fg="black")
    entry.place(x=ex0, y=ey0, width=ex1 - ex0, height=ey1 - ey0)
    text.trace_add("write", lambda *_: log("text", text=text.get()))

    nx0, ny0, nx1, ny1 = layout.notes
    notes = tk.Text(root, font=("DejaVu Sans", 14), bg="white", fg="black", undo=False)
    notes.place(x=nx0, y=ny0, width=nx1 - nx0, height=ny1 - ny0)

    def on_notes_modified(event: tk.Event[Any]) -> None:
        if notes.edit_modified():
            log("notes", text=notes.get("1.0", "end-1c"))
            notes.edit_modified(False)

    notes.bind("<<Modified>>", on_notes_modified)

    def state(event: tk.Event[Any]) -> int:
        # Tk gives the modifier/button mask as an int for these events ("??" otherwise).
        return event.state if isinstance(event.state, int) else 0

    def on_button(event: tk.Event[Any], press: bool) -> None:
        log("button", press=press, num=event.num, x=event.x_root, y=event.y_root,
            state=state(event))  # fmt: skip

    def on_key(event: tk.Event[Any], press: bool) -> None:
        log("key", press=press, keysym=event.keysym, char=event.char,
            keycode=event.keycode, state=state(event))  # fmt: skip

    # "all" bindings see every widget's events, after the widget's own bindings ran.
    root.bind_all("<ButtonPress>", lambda e: on_button(e, True))
    root.bind_all("<ButtonRelease>", lambda e: on_button(e, False))
    root.bind_all("<Motion>", lambda e: log("motion", x=e.x_root, y=e.y_root, state=state(e)))
    root.bind_all("<KeyPress>", lambda e: on_key(e, True))
    root.bind_all("<KeyRelease>", lambda e: on_key(e, False))
    entry.bind("<FocusIn>", lambda e: log("focus", focus="in"))
    entry.bind("<FocusOut>", lambda e: log("focus", focus="out"))

    if mode == "animated":
        _animate(root, canvas, layout)
    elif mode == "office":
        _office(root, canvas, layout)

    def ready() -> None:
        entry.focus_force()
        root.after(100, lambda: log("ready", focus=str(root.focus_get())))

    root.after(200, ready)
    root.mainloop()


def _animate(root: Any, canvas: Any, layout: Layout) -> None:
    """A 240 px bar crossing the band, a new colour each frame, paced by the clock."""
    ax0, ay0, ax1, ay1 = layout.anim
    bar = canvas.create_rectangle(ax0, ay0 + 10, ax0 + 240, ay1 - 10, fill="#ffffff", outline="")
    start = time.monotonic()
    frame = 0

    def tick() -> None:
        nonlocal frame
        frame += 1
        x = ax0 + (frame * 16) % max(1, ax1 - ax0 - 240)
        hue = (frame * 7) % 360
        canvas.coords(bar, x, ay0 + 10, x + 240, ay1 - 10)
        canvas.itemconfigure(bar, fill=_hue(hue))
        # Schedule against the clock so that a late frame does not slow the rate.
        delay = start + (frame + 1) / ANIM_FPS - time.monotonic()
        root.after(max(1, int(delay * 1000)), tick)

    root.after(1, tick)


def _office(root: Any, canvas: Any, layout: Layout) -> None:
    """A window-like box that jumps between places every 2 s (someone moving windows)."""
    w, h = layout.office_window
    places = [(300, 180), (900, 240), (1250, 480), (600, 700), (200, 420)]
    items = [
        canvas.create_rectangle(0, 0, w, h, fill="#f0f0f0", outline="#404040"),
        canvas.create_rectangle(0, 0, w, 28, fill="#3060a0", outline="#3060a0"),
        canvas.create_text(10, 14, text="Invoice 2041.odt - LibreOffice", anchor="w",
                           fill="white"),
        *[canvas.create_line(16, 50 + 22 * i, w - 40 - 17 * (i % 5), 50 + 22 * i, fill="#303030",
                             width=6) for i in range(9)],
    ]  # fmt: skip
    step = 0
    current = (0, 0)

    def move() -> None:
        nonlocal step, current
        x, y = places[step % len(places)]
        for item in items:
            canvas.move(item, x - current[0], y - current[1])
        current = (x, y)
        step += 1
        root.after(2000, move)

    move()


def _hue(degrees: int) -> str:
    import colorsys

    r, g, b = colorsys.hsv_to_rgb(degrees / 360, 1.0, 1.0)
    return hex_colour((int(r * 255), int(g * 255), int(b * 255)))


# --- the test side --------------------------------------------------------------------


@dataclass
class DesktopApp:
    """The app as a subprocess on ``display``; ``events()`` reads its log."""

    display: str
    log_path: Path
    mode: str = "animated"  # "animated", "office" or "still"
    width: int = 1920
    height: int = 1080
    proc: subprocess.Popen[bytes] | None = None
    layout: Layout = field(init=False)

    def __post_init__(self) -> None:
        self.layout = Layout(width=self.width, height=self.height)

    def start(self, timeout: float = 20.0) -> None:
        self.log_path.write_text("")
        self._stderr = self.log_path.with_suffix(".stderr")
        with self._stderr.open("wb") as err:
            self.proc = subprocess.Popen(
                [sys.executable, str(Path(__file__).resolve()), "--log", str(self.log_path),
                 "--mode", self.mode, "--size", f"{self.width}x{self.height}"],
                env={**os.environ, "DISPLAY": self.display},
                stdout=subprocess.DEVNULL, stderr=err, stdin=subprocess.DEVNULL,
            )  # fmt: skip
        self.wait_for(lambda e: e["type"] == "ready", "the app to be ready", timeout)

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    def events(self, since: int = 0) -> list[dict[str, Any]]:
        """Events logged so far; ``since`` is a count from ``mark()``."""
        lines = self.log_path.read_text(encoding="utf-8").splitlines()
        # The last line may be half written while the app runs.
        parsed = []
        for line in lines[since:]:
            try:
                parsed.append(json.loads(line))
            except json.JSONDecodeError:
                break
        return parsed

    def mark(self) -> int:
        """A position in the log: pass it to ``events`` / ``wait_for`` to see only later ones."""
        return len(self.events())

    def wait_for(
        self,
        predicate: Callable[[dict[str, Any]], bool],
        what: str,
        timeout: float = 15.0,
        since: int = 0,
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            for event in self.events(since):
                if predicate(event):
                    return event
            if self.proc is not None and self.proc.poll() is not None:
                raise AssertionError(f"the app exited while waiting for {what}: {self.stderr()}")
            if time.monotonic() > deadline:
                tail = self.events(since)[-15:]
                raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}; "
                                     f"last events: {tail}")  # fmt: skip
            time.sleep(0.05)

    def notes(self, since: int = 0) -> str | None:
        """The multi-line Text's content after its last change (None: no change)."""
        texts = [e["text"] for e in self.events(since) if e["type"] == "notes"]
        return texts[-1] if texts else None

    def text(self, since: int = 0) -> str | None:
        """The entry's text after its last change (None: no change since ``since``)."""
        texts = [e["text"] for e in self.events(since) if e["type"] == "text"]
        return texts[-1] if texts else None

    def stderr(self) -> str:
        path = self.log_path.with_suffix(".stderr")
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--log", type=Path, required=True, help="JSON lines event log")
    parser.add_argument("--mode", choices=("animated", "office", "still"), default="animated")
    parser.add_argument("--size", default="1920x1080", help="WIDTHxHEIGHT (the X screen's)")
    args = parser.parse_args(argv)
    width, height = (int(v) for v in args.size.split("x"))
    run_app(args.log, args.mode, width, height)


if __name__ == "__main__":
    main()
