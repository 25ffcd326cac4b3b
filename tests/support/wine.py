"""Wine for the Windows agent tests: one prefix and one runtime per test session.

    with wine_prefix(display) as prefix:        # wineboot --init, kept warm (wineserver -p)
        done = prefix.run_python(runtime, ["-c", "print(1)"])
        proc = prefix.popen_python(runtime, ["-m", "guruconnect.agent", ...])

Wine 8 quirks this works around (found on Debian's wine 8.0):
- Python crashes at start when stdout/stderr is a regular file: output is always piped,
  wineboot's included, since the services it starts inherit it (a pythonservice.exe
  started by services.exe died at once, and msiexec, starting it, exited 91).
- ``platform.platform()`` crashes in WMI: the test runtime's sitecustomize sets
  ``platform._wmi = None`` (test runtime only; the shipped runtime has no sitecustomize).
- ``shutil.copy2`` crashes (CopyFile2), numpy 2.x and simplejpeg crash (missing ucrtbase
  functions): the tests under Wine stay off them.
- A new prefix's first boot leaves two services.exe running: ``wine_prefix`` reboots it.
- Mono and Gecko install prompts: WINEDLLOVERRIDES="mscoree,mshtml=" disables both.
"""

from __future__ import annotations

import contextlib
import os
import select
import shutil
import subprocess
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

WINE64 = "/usr/lib/wine/wine64"  # Debian's wine64 package; not on PATH
BOOT_TIMEOUT = 300
TEST_SITECUSTOMIZE = '''"""Test runtime only. Wine 8: platform.platform() crashes in WMI."""
import platform

platform._wmi = None
'''


def ensure_wine() -> str:
    from tests.support.system import ensure_command

    ensure_command(WINE64, "wine64")
    ensure_command("wineserver", "wine")
    return ensure_command("wine", "wine")


@dataclass(frozen=True)
class WinePrefix:
    path: Path
    display: str
    wine: str
    keepers: list[subprocess.Popen[bytes]] = field(default_factory=list, compare=False, repr=False)

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "WINEPREFIX": str(self.path),
            "WINEDEBUG": "-all",
            "WINEDLLOVERRIDES": "mscoree,mshtml=",
            "DISPLAY": self.display,
            "PYTHONUTF8": "1",
            "PYTHONIOENCODING": "utf-8",
            "PYTHONDONTWRITEBYTECODE": "1",
        }

    def command(self, runtime: Path, args: Sequence[str], exe: str = "python.exe") -> list[str]:
        return [self.wine, str(runtime / exe), *args]

    def run_python(
        self,
        runtime: Path,
        args: Sequence[str],
        *,
        timeout: float = 300,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run the runtime's python.exe to completion; output piped (see the quirks).

        Wine's helper processes (services, explorer.exe) started by a run inherit its
        pipes and outlive it, so waiting for end-of-file could hang: we wait for the
        process, then take what the readers collected."""
        proc = subprocess.Popen(
            self.command(runtime, args),
            env={**self.env, **(env or {})},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=cwd,
        )
        assert proc.stdout is not None and proc.stderr is not None
        out, err = _Collector(proc.stdout), _Collector(proc.stderr)
        try:
            code = proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
            raise
        finally:
            stdout, stderr = out.finish(), err.finish()
        return subprocess.CompletedProcess(proc.args, code, stdout, stderr)

    def popen_python(
        self,
        runtime: Path,
        args: Sequence[str],
        *,
        env: dict[str, str] | None = None,
        exe: str = "python.exe",
    ) -> subprocess.Popen[str]:
        return subprocess.Popen(
            self.command(runtime, args, exe),
            env={**self.env, **(env or {})},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
            errors="replace",
        )

    def boot(self, *wineboot_args: str) -> None:
        """Start the wineserver, persistent and on no pipe of ours, then wineboot.

        The services the boot starts (services.exe, and the automatic services it starts
        in turn, such as a pythonservice.exe) inherit wineboot's output, and Python under
        Wine crashes at start on a regular file: so the output goes to a pipe, which a
        daemon thread copies into wineboot.log until the last of them exits."""
        env = {**self.env, "WINEARCH": "win64"}
        keeper = subprocess.Popen(
            ["wineserver", "-p", "-f"], env=env, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        self.keepers.append(keeper)
        log_path = self.path.parent / "wineboot.log"
        boot = subprocess.Popen(
            ["wineboot", *wineboot_args], env=env, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )  # fmt: skip
        assert boot.stdout is not None
        threading.Thread(target=_copy, args=(boot.stdout, log_path), daemon=True).start()
        try:
            code = boot.wait(BOOT_TIMEOUT)
        except subprocess.TimeoutExpired:
            boot.kill()
            code = boot.wait(10)
        if code != 0:
            self.shut_down()
            raise RuntimeError(f"wineboot failed:\n{log_path.read_text(errors='replace')}")

    def shut_down(self) -> None:
        """Like switching the machine off: every process of the prefix is killed."""
        subprocess.run(["wineserver", "-k"], env=self.env, timeout=60, check=False)
        while self.keepers:
            keeper = self.keepers.pop()
            try:
                keeper.wait(30)
            except subprocess.TimeoutExpired:
                keeper.kill()
                keeper.wait(10)

    def reboot(self) -> None:
        """Off, then on: a new wineserver and services.exe, which starts the services
        registered for automatic start, as Windows does at boot."""
        self.shut_down()
        self.boot()

    def windows_path(self, path: Path) -> str:
        """The Z: drive maps / of the Linux side."""
        return "Z:" + str(path.resolve()).replace("/", "\\")


def _copy(pipe: IO[bytes], target: Path) -> None:
    with pipe, target.open("ab", buffering=0) as out:
        for chunk in iter(lambda: os.read(pipe.fileno(), 65536), b""):
            out.write(chunk)


class _Collector:
    """Reads a pipe in a thread until end-of-file, or until the process is gone and the
    pipe has nothing more to give (Wine's helpers may keep its write end open)."""

    def __init__(self, pipe: IO[bytes]) -> None:
        self._pipe = pipe
        self._chunks: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        fd = self._pipe.fileno()
        while True:
            ready, _, _ = select.select([fd], [], [], 0.1)
            if not ready:
                if self._stop.is_set():
                    return  # nothing left and the writer is gone
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                return
            self._chunks.append(chunk)

    def finish(self) -> str:
        self._stop.set()
        self._thread.join()
        self._pipe.close()
        return b"".join(self._chunks).decode("utf-8", errors="replace")


@contextlib.contextmanager
def wine_prefix(base: Path, display: str) -> Iterator[WinePrefix]:
    """A fresh 64-bit prefix under ``base``, booted, with its wineserver kept running
    until the context ends (each wine start then skips the server's start-up)."""
    prefix = WinePrefix(base / "prefix", display, ensure_wine())
    prefix.path.mkdir(parents=True, exist_ok=True)
    prefix.boot("--init")
    # Creating a prefix leaves two service managers running (the creation runs its own
    # wineboot): a service created through one is unknown to the other (OpenService:
    # 1060), so msiexec could not start the service it had just installed. A reboot
    # leaves one.
    prefix.reboot()
    try:
        yield prefix
    finally:
        prefix.shut_down()


def make_test_runtime(runtime: Path, target: Path, requirements: Sequence[str]) -> Path:
    """A copy of ``runtime`` (hard links: nothing in it is modified) plus the test-only
    wheels (pytest) and the Wine sitecustomize. The shipped runtime stays untouched."""
    from guruconnect.server.installers.windows import wheels

    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(runtime, target, copy_function=os.link)
    site_packages = target / "Lib" / "site-packages"
    extra = site_packages.parent / "test-site-packages"
    wheels.install_wheels(extra, list(requirements), wheels.constraint_lines())
    for item in extra.iterdir():  # new files only: never write through a hard link
        destination = site_packages / item.name
        if not destination.exists():
            item.rename(destination)
    shutil.rmtree(extra)
    (site_packages / "sitecustomize.py").write_text(TEST_SITECUSTOMIZE)
    return target
