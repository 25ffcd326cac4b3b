"""A real X server for the desktop tests: Xvfb with MIT-SHM, on a display of our own."""

from __future__ import annotations

import os
import random
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.system import ensure_command, unavailable


def _start_xvfb(xvfb: str) -> tuple[subprocess.Popen[bytes], str]:
    for _ in range(10):
        number = random.randint(100, 999)
        if Path(f"/tmp/.X11-unix/X{number}").exists() or Path(f"/tmp/.X{number}-lock").exists():
            continue
        process = subprocess.Popen(
            [xvfb, f":{number}", "-screen", "0", "1280x720x24", "+extension", "MIT-SHM",
             "-nolisten", "tcp", "-noreset"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if process.poll() is not None:
                break
            if Path(f"/tmp/.X11-unix/X{number}").exists():
                return process, f":{number}"
            time.sleep(0.05)
        if process.poll() is None:
            process.kill()
        process.wait()
    unavailable("could not start Xvfb on a free display")
    raise AssertionError("unreachable")


@pytest.fixture(scope="session")
def x_display() -> Iterator[str]:
    """The display name of a running Xvfb (1280x720), also set as $DISPLAY."""
    xvfb = ensure_command("Xvfb", "xvfb")
    process, display = _start_xvfb(xvfb)
    previous = os.environ.get("DISPLAY")
    os.environ["DISPLAY"] = display
    try:
        yield display
    finally:
        if previous is None:
            os.environ.pop("DISPLAY", None)
        else:
            os.environ["DISPLAY"] = previous
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
