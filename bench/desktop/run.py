"""Remote-desktop benchmark: a real screen, agent, server and browser on one machine.

    .venv/bin/python bench/desktop/run.py              # ~2 minutes
    .venv/bin/python bench/desktop/run.py --seconds 30

Xvfb at 1920x1080 runs the test app (tests/support/desktop_app.py); a real agent
(DISPLAY set) starts its desktop worker when headless Chromium opens the viewer on a
real server. Two scenarios, each measured over a window of ``--seconds``:

    animated  a 1920x100 band changing every frame at 60 Hz, and clicks on the marker
    office    typing into the entry at ~5 chars/s through the viewer, a "window" jumping
              every 2 s, no animation; then the same clicks, timed apart from the window

Figures: frames drawn per second by the viewer (``__guruViewer.framesDrawn``), Mbit/s
received by the viewer (``bytesReceived``: the media as relayed, plus small control
messages), click-to-photon latency (see probe.py), and CPU% of the worker, agent,
server, Xvfb, the app and the browser (from /proc; 100% = one core). Targets are
printed next to the figures, never asserted: they depend on the machine.

Prints a table and writes bench/results/desktop.json. Exit code 1 if a scenario errored.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path[:0] = [str(REPO)]  # tests.support: the same real server, agent, app and Xvfb

from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402
from probe import Click, canvas_client, click_to_photon, install, viewer_probe  # noqa: E402
from procstat import children, comm, descendants, family_cpu_seconds  # noqa: E402
from tests.e2e.conftest import CHROMIUM_ARGS  # noqa: E402
from tests.e2e.test_dashboard import browser_sign_in  # noqa: E402
from tests.support.agents import AgentProcess, create_token, enroll_agent  # noqa: E402
from tests.support.desktop_app import DesktopApp  # noqa: E402
from tests.support.server import ServerProcess  # noqa: E402
from tests.support.users import SignedIn, sign_in  # noqa: E402
from tests.support.wait import wait_for  # noqa: E402
from tests.support.xvfb import xvfb  # noqa: E402

import guruconnect  # noqa: E402

RESULTS = REPO / "bench" / "results"
VIEWPORT = {"width": 1600, "height": 1000}  # a laptop-sized window: "fit" scales to ~0.83
WARMUP_SECONDS = 3.0  # after the app starts: first keyframe, adaptation's first samples
CLICKS = 30
CLICK_GAP = 0.3  # seconds between a click's photon and the next click
TYPING_INTERVAL = 0.2  # 5 characters a second
OFFICE_TEXT = "Dear Ms Novak, please find the invoice for October attached. Regards, "
TARGET_FPS, TARGET_CLICK_MS, TARGET_OFFICE_MBIT = 30.0, 80.0, 5.0


@dataclass
class Stack:
    server: ServerProcess
    admin: SignedIn
    agent: AgentProcess
    display: str
    root: Path


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--seconds", type=float, default=15.0, help="window per scenario (15)")
    p.add_argument("--clicks", type=int, default=CLICKS, help="clicks per scenario (30)")
    p.add_argument("--output", type=Path, default=RESULTS / "desktop.json", help="JSON results")
    args = p.parse_args(argv)
    if not 1 <= args.seconds <= 600 or not 1 <= args.clicks <= 1000:
        p.error("--seconds must be 1..600 and --clicks 1..1000")
    return args


# --- the stack -------------------------------------------------------------------------


@contextmanager
def stack(root: Path) -> Iterator[Stack]:
    with xvfb() as display:
        data = root / "server"
        data.mkdir()
        server = ServerProcess(data, f"sqlite+aiosqlite:///{data / 'guruconnect.db'}")
        server.start()
        agent: AgentProcess | None = None
        try:
            admin = sign_in(server)
            config = root / "agent" / "agent.json"
            done = enroll_agent(server.url, create_token(admin), config)
            if done.returncode != 0:
                raise RuntimeError(f"agent enroll failed: {done.stderr}")
            agent = AgentProcess(config, env={"DISPLAY": display})
            agent.start()
            machine = f"/api/v1/machines/{agent.agent_id}"
            wait_for(lambda: admin.client.get(machine).json()["online"], "the agent online")
            yield Stack(server, admin, agent, display, root)
        finally:
            if agent is not None:
                agent.stop()
            server.close_clients()
            server.stop()


def worker_pid(agent: AgentProcess) -> int:
    """The desktop worker: the agent's child running guruconnect.agent.desktop."""
    assert agent.proc is not None
    parent = agent.proc.pid

    def find() -> int | None:
        for pid in children(parent):
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            if b"guruconnect.agent.desktop" in cmdline:
                return pid
        return None

    return wait_for(find, "the desktop worker process", timeout=30)


def open_viewer(browser: Browser, s: Stack) -> Page:
    context = browser.new_context(ignore_https_errors=True, viewport=VIEWPORT)  # type: ignore[arg-type]
    page = context.new_page()
    browser_sign_in(page, s.server)
    page.goto(f"{s.server.url}/console#/view/{s.agent.agent_id}")
    expect(page.locator("#release-control")).to_be_visible(timeout=30000)
    page.wait_for_function("() => (window.__guruViewer?.framesDrawn ?? 0) > 0", timeout=30000)
    install(page)
    return page


# --- one scenario ------------------------------------------------------------------------


def cpu_snapshot(pids: dict[str, list[int]]) -> dict[str, float]:
    return {name: family_cpu_seconds(group) for name, group in pids.items()}


def run_clicks(page: Page, app: DesktopApp, count: int) -> tuple[list[Click], int]:
    mx, my = app.layout.marker_centre
    missed = 0
    clicks: list[Click] = []
    for _ in range(count):
        client = canvas_client(page, mx, my)
        result = click_to_photon(page, client, (mx, my))
        if result is None:
            missed += 1
        else:
            clicks.append(result)
        time.sleep(CLICK_GAP)
    return clicks, missed


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def latency_summary(clicks: list[Click], missed: int) -> dict[str, Any]:
    draw = [c.to_draw_ms for c in clicks]
    paint = [c.to_paint_ms for c in clicks]
    return {
        "clicks": len(clicks) + missed,
        "missed": missed,
        "median_ms": statistics.median(paint) if paint else None,
        "p95_ms": percentile(paint, 0.95),
        "to_draw_median_ms": statistics.median(draw) if draw else None,
        "to_draw_p95_ms": percentile(draw, 0.95),
        "samples_ms": [round(v, 1) for v in paint],
    }


def scenario(
    name: str, page: Page, s: Stack, seconds: float, clicks: int, viewer_pids: list[int]
) -> dict[str, Any]:
    row: dict[str, Any] = {"scenario": name}
    app = DesktopApp(s.display, s.root / f"{name}.jsonl", mode=name)
    app.start()
    try:
        assert s.agent.proc is not None
        worker = worker_pid(s.agent)
        assert s.server.proc is not None
        pids = {
            "worker": [worker],
            "agent": [s.agent.proc.pid],
            "server": [s.server.proc.pid],
            "xvfb": _xvfb_pids(s.display),
            "app": [app.pid],
            "browser": viewer_pids,
        }
        time.sleep(WARMUP_SECONDS)
        page.mouse.click(*canvas_client(page, 300, 300))  # keyboard focus to the viewer
        before, cpu0, t0 = viewer_probe(page), cpu_snapshot(pids), time.monotonic()
        samples: list[Click] = []
        missed = 0
        if name == "animated":
            # Clicks during the window: latency under full motion, ~a click a second.
            while time.monotonic() - t0 < seconds:
                got, miss = run_clicks(page, app, 1)
                samples += got
                missed += miss
                if len(samples) + missed >= clicks:
                    time.sleep(max(0.0, seconds - (time.monotonic() - t0)))
                    break
        else:
            typed = 0
            while time.monotonic() - t0 < seconds:
                page.keyboard.type(OFFICE_TEXT[typed % len(OFFICE_TEXT)])
                typed += 1
                time.sleep(max(0.0, t0 + typed * TYPING_INTERVAL - time.monotonic()))
            row["typed_chars"] = typed
        elapsed = time.monotonic() - t0
        after, cpu1 = viewer_probe(page), cpu_snapshot(pids)
        frames = after["framesDrawn"] - before["framesDrawn"]
        received = after["bytesReceived"] - before["bytesReceived"]
        row.update(
            window_s=elapsed,
            codec=after.get("codec"),
            frame=f"{after['frameWidth']}x{after['frameHeight']}",
            frames=frames,
            fps=frames / elapsed,
            mbit_per_s=received * 8 / elapsed / 1e6,
            kbytes=received / 1024,
            status_bar={"fps": after.get("statFps"), "kbps": after.get("statKbps")},
            cpu_pct={k: 100 * (cpu1[k] - cpu0[k]) / elapsed for k in pids},
        )
        if name == "office":
            samples, missed = run_clicks(page, app, clicks)
        elif len(samples) + missed < clicks:
            more, miss = run_clicks(page, app, clicks - len(samples) - missed)
            samples += more
            missed += miss
        row["click_to_photon"] = latency_summary(samples, missed)
        if name == "office":
            # The typing really arrived: the entry holds what the viewer typed.
            text = app.text() or ""
            row["typed_arrived"] = len(text)
    except Exception as exc:
        row["error"] = f"{type(exc).__name__}: {exc}"
        row["traceback"] = traceback.format_exc()
    finally:
        app.stop()
    return row


def _xvfb_pids(display: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if comm(int(entry.name)) != "Xvfb":
                    continue
                args = Path(f"/proc/{entry.name}/cmdline").read_bytes().split(b"\0")
            except (FileNotFoundError, ProcessLookupError):
                continue
            if display.encode() in args:
                found.append(int(entry.name))
    return found


# --- report ------------------------------------------------------------------------------


def _f(value: Any, spec: str = ".1f") -> str:
    return "-" if value is None else format(value, spec)


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else "met" if ok else "MISSED"


def goals(rows: list[dict[str, Any]]) -> list[dict[str, str]]:
    by = {r["scenario"]: r for r in rows if "error" not in r}
    animated, office = by.get("animated"), by.get("office")
    out = []
    fps = animated["fps"] if animated else None
    out.append({"goal": f">= {TARGET_FPS:.0f} FPS delivered (animated)",
                "measured": f"{_f(fps)} FPS",
                "verdict": verdict(None if fps is None else fps >= TARGET_FPS)})  # fmt: skip
    for row in (animated, office):
        if row is None:
            continue
        median = row["click_to_photon"]["median_ms"]
        out.append({
            "goal": f"median click-to-photon <= {TARGET_CLICK_MS:.0f} ms ({row['scenario']})",
            "measured": f"{_f(median)} ms (p95 {_f(row['click_to_photon']['p95_ms'])})",
            "verdict": verdict(None if median is None else median <= TARGET_CLICK_MS),
        })  # fmt: skip
    mbit = office["mbit_per_s"] if office else None
    ok = None if mbit is None else mbit < TARGET_OFFICE_MBIT
    out.append({"goal": f"< {TARGET_OFFICE_MBIT:.0f} Mbit/s for office content",
                "measured": f"{_f(mbit, '.2f')} Mbit/s", "verdict": verdict(ok)})  # fmt: skip
    return out


def render(results: dict[str, Any]) -> str:
    out = [
        f"GuruConnect {results['version']} remote-desktop benchmark - {results['started_at']} - "
        f"{results['machine']['cpus']} CPUs, Python {results['machine']['python']}",
        f"Xvfb 1920x1080, headless Chromium {results['browser_version']} viewer "
        f"{VIEWPORT['width']}x{VIEWPORT['height']} (fit), server and agent on 127.0.0.1; "
        f"window {results['settings']['seconds']:.0f} s per scenario",
        "",
        f"  {'scenario':<9} {'codec':<5} {'frame':<9} {'FPS':>5} {'Mbit/s':>7} | "
        f"{'click ms':>8} {'p95':>6} {'draw':>6} {'miss':>4} | CPU% {'worker':>6} {'agent':>5} "
        f"{'server':>6} {'Xvfb':>5} {'app':>5} {'browser':>7}",
    ]
    for r in results["scenarios"]:
        if "error" in r and "fps" not in r:
            out.append(f"  {r['scenario']:<9} ERROR {r['error']}")
            continue
        c, cpu = r.get("click_to_photon", {}), r["cpu_pct"]
        out.append(
            f"  {r['scenario']:<9} {r['codec'] or '-':<5} {r['frame']:<9} {r['fps']:>5.1f} "
            f"{r['mbit_per_s']:>7.2f} | {_f(c.get('median_ms')):>8} {_f(c.get('p95_ms')):>6} "
            f"{_f(c.get('to_draw_median_ms')):>6} {c.get('missed', '-'):>4} | "
            f"     {cpu['worker']:>6.0f} {cpu['agent']:>5.0f} {cpu['server']:>6.0f} "
            f"{cpu['xvfb']:>5.0f} {cpu['app']:>5.0f} {cpu['browser']:>7.0f}"
        )
        if "error" in r:
            out.append(f"      ERROR {r['error']}")
    out += [
        "",
        "  click ms: pointerdown -> the paint showing the marker's new colour (median, p95);",
        "  draw: pointerdown -> that frame drawn on the canvas (median). CPU: % of one core.",
        "",
        "Targets (reported, not asserted)",
    ]
    out += [f"  [{g['verdict']:^7}] {g['goal']}: {g['measured']}" for g in results["goals"]]
    return "\n".join(out)


def main(args: argparse.Namespace) -> dict[str, Any]:
    started = time.perf_counter()
    results: dict[str, Any] = {
        "version": guruconnect.__version__,
        "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
        "settings": {"seconds": args.seconds, "clicks": args.clicks, "viewport": VIEWPORT,
                     "warmup_s": WARMUP_SECONDS, "click_gap_s": CLICK_GAP,
                     "typing_chars_per_s": 1 / TYPING_INTERVAL},
        "scenarios": [],
    }  # fmt: skip
    chromium = shutil.which("chromium")
    if chromium is None:
        raise SystemExit("chromium is not installed (Debian package chromium)")
    with tempfile.TemporaryDirectory(prefix="guru-bench-desktop-") as tmp:
        root = Path(tmp)
        with stack(root) as s, sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=chromium, headless=True, args=CHROMIUM_ARGS
            )
            results["browser_version"] = browser.version
            try:
                page = open_viewer(browser, s)
                # Every Chromium process is ours: the driver started them for this run.
                viewer_pids = [
                    pid for pid in descendants(os.getpid()) if comm(pid).startswith("chrom")
                ]
                for name in ("animated", "office"):
                    print(f"  {name}: {args.seconds:.0f} s ...", flush=True)
                    row = scenario(name, page, s, args.seconds, args.clicks, viewer_pids)
                    results["scenarios"].append(row)
                    if "error" in row:
                        print(f"    ERROR {row['error']}", flush=True)
            finally:
                browser.close()
            results["agent_log_tail"] = s.agent.log().splitlines()[-20:]
            results["server_problems"] = [
                line for line in s.server.log().splitlines()
                if " WARNING " in line or " ERROR " in line or "Traceback" in line
            ][:50]  # fmt: skip
    results["goals"] = goals(results["scenarios"])
    results["total_seconds"] = time.perf_counter() - started
    return results


def cli(argv: list[str]) -> int:
    args = parse_args(argv)
    results = main(args)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print()
    print(render(results))
    if results["server_problems"]:
        print("\nServer problems seen:")
        for line in results["server_problems"][:10]:
            print(f"  {line}")
    print(f"\n({results['total_seconds']:.0f} s; JSON in {args.output})")
    return 1 if any("error" in r for r in results["scenarios"]) else 0


if __name__ == "__main__":
    sys.exit(cli(sys.argv[1:]))
