"""The agent's side of remote desktop: one worker process per session.

Light on purpose (stdlib only): the idle agent imports this, never numpy, PyAV or the
capture libraries, which only the worker process loads.

DesktopOpen starts ``python -m guruconnect.agent.desktop --session=ID [--config PATH]``
and writes the token as hex on its stdin (never on argv, where ``ps`` shows it).
DesktopClose sends SIGTERM, then SIGKILL after ``TERMINATE_GRACE`` seconds. Workers
keep running when the control socket drops (they have their own socket); exited ones
are reaped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

log = logging.getLogger("guruconnect.agent.desktop")

TERMINATE_GRACE = 5.0
REAP_INTERVAL = 5.0


class DesktopSupervisor:
    def __init__(self, config_path: Path | None = None, extra_args: Sequence[str] = ()) -> None:
        self.config_path = config_path
        self.extra_args = list(extra_args)
        self.workers: dict[str, subprocess.Popen[bytes]] = {}
        self._stopping: set[asyncio.Task[None]] = set()

    def command(self, session_id: str) -> list[str]:
        # One argument, "--session=ID": ids are base64url, and one in 64 starts with "-",
        # which argparse would take for an option after a separate "--session" (the
        # worker then exits with a usage error and the viewer waits in vain).
        command = [sys.executable, "-m", "guruconnect.agent.desktop", f"--session={session_id}"]
        if self.config_path is not None:
            command += ["--config", str(self.config_path)]
        return command + self.extra_args

    def open(self, session_id: str, token: bytes) -> None:
        self.reap()
        old = self.workers.pop(session_id, None)
        if old is not None:  # the server reopened the session: the old worker is stale
            self._terminate(session_id, old)
        try:
            process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                self.command(session_id),
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                close_fds=True,
            )
        except OSError:
            log.exception("cannot start the desktop worker for session %s", session_id)
            return
        assert process.stdin is not None
        try:
            process.stdin.write(token.hex().encode("ascii") + b"\n")
            process.stdin.close()
        except OSError:  # it died at once; reap() will say so
            log.warning("desktop worker for session %s did not take its token", session_id)
        self.workers[session_id] = process
        log.info("desktop session %s: worker started (pid %d)", session_id, process.pid)

    def close(self, session_id: str) -> None:
        process = self.workers.pop(session_id, None)
        if process is None:
            log.info("desktop session %s: no such worker", session_id)
            return
        self._terminate(session_id, process)

    def reap(self) -> None:
        for session_id, process in list(self.workers.items()):
            code = process.poll()
            if code is not None:
                del self.workers[session_id]
                log.info("desktop session %s: worker exited with %d", session_id, code)

    async def reap_forever(self, interval: float = REAP_INTERVAL) -> None:
        while True:
            await asyncio.sleep(interval)
            self.reap()

    async def close_all(self) -> None:
        for session_id in list(self.workers):
            self.close(session_id)
        if self._stopping:
            await asyncio.gather(*self._stopping, return_exceptions=True)

    def _terminate(self, session_id: str, process: subprocess.Popen[bytes]) -> None:
        if process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            process.terminate()
        task = asyncio.get_running_loop().create_task(self._kill_later(session_id, process))
        self._stopping.add(task)
        task.add_done_callback(self._stopping.discard)

    async def _kill_later(self, session_id: str, process: subprocess.Popen[bytes]) -> None:
        try:
            await asyncio.to_thread(process.wait, TERMINATE_GRACE)
        except subprocess.TimeoutExpired:
            log.warning("desktop session %s: worker ignored SIGTERM; killing it", session_id)
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await asyncio.to_thread(process.wait)
        log.info("desktop session %s: worker stopped", session_id)
