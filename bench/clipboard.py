"""Clipboard and paste-as-keystrokes benchmark, on a real Xvfb.

    .venv/bin/python bench/clipboard.py            # ~15 s
    .venv/bin/python bench/clipboard.py --mb 64

Figures (printed, and written to bench/results/clipboard.json; nothing is asserted):

    serve    the worker's X11 backend owns the clipboard with an N MB PNG-typed item and
             ``xclip -o`` reads it (INCR, 64 KiB pieces): MB/s
    watch    ``xclip -i`` copies N MB on the display; the backend's XFixes watcher sees
             it and reads it (INCR): MB/s from the copy to the report
    typing   the typist types 1,000 characters (ASCII, shifted, Latin-1, emoji) with no
             delay through XTest: characters per second, the ceiling of "very fast"
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path[:0] = [str(REPO)]  # tests.support: the same Xvfb as the tests

from tests.support.xvfb import xvfb  # noqa: E402

from guruconnect.agent.desktop.clipboard import Item  # noqa: E402
from guruconnect.agent.desktop.clipboard.x11 import X11Clipboard  # noqa: E402
from guruconnect.agent.desktop.input.xtest import XTestInjector  # noqa: E402
from guruconnect.agent.desktop.typing import Typist  # noqa: E402
from guruconnect.protocol.clipboard import TypeProgress, TypeText  # noqa: E402

RESULTS = REPO / "bench" / "results"
TYPING_TEXT = ("Pa$$w0rd! é ü 😀 \t" * 60)[:1000]


def bench_serve(board: X11Clipboard, display: str, size: int) -> float:
    data = os.urandom(size)
    board.set({"png": data})
    t0 = time.perf_counter()
    out = subprocess.run(
        ["xclip", "-o", "-selection", "clipboard", "-t", "image/png", "-display", display],
        capture_output=True, check=True, timeout=120,
    ).stdout  # fmt: skip
    seconds = time.perf_counter() - t0
    assert out == data, "xclip read something else"
    return size / seconds / 1e6


def bench_watch(board: X11Clipboard, display: str, size: int) -> float:
    data = os.urandom(size)
    seen = threading.Event()
    got: list[Item] = []

    def on_copy(item: Item) -> None:
        got.append(item)
        seen.set()

    board.watch(on_copy, lambda message: print("watch error:", message))
    t0 = time.perf_counter()
    subprocess.run(
        ["xclip", "-i", "-selection", "clipboard", "-t", "image/png", "-display", display],
        input=data, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True,
    )  # fmt: skip
    if not seen.wait(120):
        raise RuntimeError("the watcher did not report the copy")
    seconds = time.perf_counter() - t0
    assert got[-1].get("png") == data, "the watcher read something else"
    return size / seconds / 1e6


def bench_typing(display: str) -> dict[str, float]:
    injector = XTestInjector(display)
    progress: list[TypeProgress] = []

    async def send(message: Any) -> None:
        progress.append(message)

    async def main() -> float:
        typist = Typist(injector, send)
        t0 = time.perf_counter()
        typist.start(TypeText(job=1, text=TYPING_TEXT, interval_ms=0))
        await typist.finished()
        return time.perf_counter() - t0

    try:
        seconds = asyncio.run(main())
    finally:
        injector.close()
    final = progress[-1]
    return {"chars": final.typed, "skipped": final.skipped, "chars_per_s": final.typed / seconds}


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--mb", type=int, default=16, help="clipboard item size in MB (16)")
    args = p.parse_args(argv)
    size = args.mb * 1_000_000
    missing = [c for c in ("xclip", "Xvfb") if shutil.which(c) is None]
    if missing:
        print(f"clipboard benchmark skipped: {', '.join(missing)} not installed "
              "(apt-get install xclip xvfb)")  # fmt: skip
        return 0
    results: dict[str, Any] = {"at": dt.datetime.now(dt.UTC).isoformat(), "item_mb": args.mb}
    with xvfb() as display:
        board = X11Clipboard(display)
        try:
            results["serve_mb_s"] = bench_serve(board, display, size)
            results["watch_mb_s"] = bench_watch(board, display, size)
        finally:
            board.close()
        results["typing"] = bench_typing(display)
    print(f"clipboard, {args.mb} MB item on Xvfb:")
    print(f"  serve (backend -> xclip, INCR)   {results['serve_mb_s']:8.1f} MB/s")
    print(f"  watch (xclip -> backend, INCR)   {results['watch_mb_s']:8.1f} MB/s")
    t = results["typing"]
    print(f"  typing, no delay                 {t['chars_per_s']:8.0f} characters/s "
          f"({t['chars']} typed, {t['skipped']} skipped)")  # fmt: skip
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "clipboard.json").write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
