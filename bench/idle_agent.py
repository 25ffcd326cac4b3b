"""RSS and CPU of one real `guruconnect agent run` process doing nothing but staying on.

The agent is enrolled and run through its CLI, exactly as installed on a machine, and
measured from outside through /proc, so the numbers include the interpreter and every
library the agent imports.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from server_proc import GURU, ServerProcess, cpu_ns, cpu_seconds, hwm_kb, rss_kb


@dataclass
class IdleResult:
    seconds: float
    rss_start_kb: int
    rss_end_kb: int
    hwm_kb: int
    cpu_seconds: float  # utime + stime, 10 ms ticks
    cpu_sched_seconds: float  # live threads' schedstat, ns resolution
    exit_code: int | None
    log_tail: str

    @property
    def cpu_pct(self) -> float:
        # The finer clock when it saw anything; ticks may round a quiet minute to zero.
        used = max(self.cpu_seconds, self.cpu_sched_seconds)
        return 100 * used / self.seconds if self.seconds else 0.0


def enroll_agent(server: ServerProcess, token: str, config: Path, env: dict[str, str]) -> str:
    done = subprocess.run(
        [GURU, "agent", "enroll", "--server", server.base_url, "--token", token,
         "--name", "bench-idle", "--config", str(config)],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(
            f"agent enroll failed ({done.returncode}): {done.stdout}{done.stderr}".strip()
        )
    return done.stdout.strip()


async def measure_idle_agent(
    server: ServerProcess,
    token: str,
    workdir: Path,
    env: dict[str, str],
    *,
    seconds: float,
    warmup: float = 5.0,
) -> IdleResult:
    config = workdir / "agent.json"
    enroll_agent(server, token, config, env)
    log_path = workdir / "agent.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [GURU, "agent", "run", "--config", str(config)],
            env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )  # fmt: skip
    try:
        if await server.wait_agents(1, timeout=30) != 1:
            raise RuntimeError(f"agent did not connect:\n{log_path.read_text()[-2000:]}")
        # Warm-up: the connection, the first inventory and imports are behind us.
        await asyncio.sleep(warmup)
        if proc.poll() is not None:
            raise RuntimeError(f"agent exited:\n{log_path.read_text()[-2000:]}")
        rss_start, wall_start = rss_kb(proc.pid), time.time()
        cpu_start, ns_start = cpu_seconds(proc.pid), cpu_ns(proc.pid)
        await asyncio.sleep(seconds)
        if proc.poll() is not None:
            raise RuntimeError(f"agent exited during the window:\n{log_path.read_text()[-2000:]}")
        wall = time.time() - wall_start
        rss_end, peak = rss_kb(proc.pid), hwm_kb(proc.pid)
        cpu_end, ns_end = cpu_seconds(proc.pid), cpu_ns(proc.pid)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
    tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-10:])
    return IdleResult(
        seconds=wall,
        rss_start_kb=rss_start,
        rss_end_kb=rss_end,
        hwm_kb=peak,
        cpu_seconds=cpu_end - cpu_start,
        cpu_sched_seconds=(ns_end - ns_start) / 1e9,
        exit_code=proc.returncode,
        log_tail=tail,
    )
