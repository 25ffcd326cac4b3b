"""A real `guruconnect server` subprocess on a loopback port, and /proc readings of it.

The benchmarks measure the server as operators run it: the installed console script,
configured only through GURU_* variables, in its own temporary data directory.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

VENV_BIN = Path(sys.executable).parent
GURU = str(VENV_BIN / "guruconnect")
LOOPBACK = "127.0.0.1"  # the benchmarks never talk to any other address
CLK_TCK = os.sysconf("SC_CLK_TCK")
# Log lines worth showing in the report: anything above INFO, and tracebacks.
PROBLEM = re.compile(r"\b(WARNING|ERROR|CRITICAL)\b|Traceback|Exception")
EXPECTED = ("serving plain HTTP behind a TLS proxy",)  # our own choice, not a problem


def free_port() -> int:
    """Ask the kernel for a free loopback port (tiny race before the server binds it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])


def rss_kb(pid: int) -> int:
    """Resident set size in kB, as the kernel accounts it (VmRSS)."""
    return _status_field(pid, "VmRSS")


def hwm_kb(pid: int) -> int:
    """Peak resident set size in kB (VmHWM)."""
    return _status_field(pid, "VmHWM")


def _status_field(pid: int, name: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(name + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {name} in /proc/{pid}/status")


def cpu_seconds(pid: int) -> float:
    """utime + stime of the whole process (all threads), in seconds."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    # The command name may contain spaces and parentheses: split after the last ')'.
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def cpu_ns(pid: int) -> int:
    """CPU time of all live threads in ns (schedstat): finer than stat's 10 ms ticks."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        # A thread may end between listing and reading.
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            total += int((task / "schedstat").read_text().split()[0])
    return total


def base_env(database_url: str, heartbeat_interval: int) -> dict[str, str]:
    """Environment for the server and admin CLI: ours, minus any stray GURU_* settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GURU_")}
    env["GURU_HEARTBEAT_INTERVAL_SECONDS"] = str(heartbeat_interval)
    env["GURU_BOOTSTRAP_TOKEN_ENABLED"] = "false"  # we create the admin with the CLI
    if database_url:
        env["GURU_DATABASE_URL"] = database_url
    return env


def create_admin(data_dir: Path, env: dict[str, str], username: str = "bench") -> str:
    """`guruconnect admin create-user ... --generate-password`; returns the password."""
    done = subprocess.run(
        [GURU, "admin", "create-user", username, "--role", "admin", "--generate-password",
         "--data-dir", str(data_dir)],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"admin create-user failed: {done.stdout}{done.stderr}")
    for line in done.stdout.splitlines():
        if line.startswith("password: "):
            return line.removeprefix("password: ").strip()
    raise RuntimeError(f"no password in admin create-user output: {done.stdout!r}")


@dataclass
class ServerProcess:
    data_dir: Path
    env: dict[str, str]
    tls: bool = False
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None
    _log_offset: int = 0

    @property
    def base_url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{LOOPBACK}:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"{'wss' if self.tls else 'ws'}://{LOOPBACK}:{self.port}/ws/agent"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    async def start(self, timeout: float = 60.0) -> None:
        env = dict(self.env)
        if not self.tls:
            # Plain HTTP is only allowed behind a trusted TLS proxy; here that is loopback.
            env["GURU_BEHIND_PROXY"] = "true"
            env["GURU_TRUSTED_PROXIES"] = LOOPBACK
            # Behind-proxy mode needs the public (proxy) address for Origin checks; no
            # proxy exists here, and our clients send no Origin, so any https URL does.
            env.setdefault("GURU_PUBLIC_URL", f"https://{LOOPBACK}:{self.port}")
        self.log_path = self.data_dir / f"server-{self.port}.log"
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                [GURU, "server", "--data-dir", str(self.data_dir),
                 "--bind", f"{LOOPBACK}:{self.port}"],
                env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            )  # fmt: skip
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(verify=False, timeout=2.0) as client:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"server exited early:\n{self.log_tail()}")
                try:
                    if (await client.get(self.base_url + "/healthz")).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.2)
        raise RuntimeError(f"server not healthy after {timeout:.0f} s:\n{self.log_tail()}")

    async def agents_connected(self) -> int:
        async with httpx.AsyncClient(verify=False, timeout=10.0) as client:
            response = await client.get(self.base_url + "/healthz")
            return int(response.json()["agents_connected"])

    async def wait_agents(self, expected: int, timeout: float) -> int:
        """Poll /healthz until the server counts `expected` agents; return the last count."""
        deadline = time.monotonic() + timeout
        count = -1
        while time.monotonic() < deadline:
            count = await self.agents_connected()
            if count == expected:
                return count
            await asyncio.sleep(0.25)
        return count

    async def wait_quiet(self, timeout: float, busy_pct: float = 5.0) -> float:
        """Wait until the server uses under busy_pct CPU over 0.5 s; return seconds waited.

        Presence drops an agent before its last_seen write is done: without this, a
        stop right after a mass disconnect would cut those writes short.
        """
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            before = cpu_seconds(self.pid)
            await asyncio.sleep(0.5)
            if 100 * (cpu_seconds(self.pid) - before) / 0.5 < busy_pct:
                break
        return time.monotonic() - started

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout: float = 20.0) -> int | None:
        """SIGTERM (graceful), then SIGKILL if it overstays; returns the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        return self.proc.returncode

    def log_text(self) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return self.log_path.read_text(errors="replace")

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def new_problems(self) -> list[str]:
        """Problem log lines written since the previous call."""
        text = self.log_text()
        fresh, self._log_offset = text[self._log_offset :], len(text)
        return [
            line
            for line in fresh.splitlines()
            if PROBLEM.search(line) and not any(e in line for e in EXPECTED)
        ]
