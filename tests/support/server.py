"""A real `guruconnect server` process on an ephemeral loopback port."""

from __future__ import annotations

import asyncio
import os
import signal
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.support.databases import database_url
from tests.support.ports import free_port

PYTHON = sys.executable


def cli(
    *args: str, env: dict[str, str] | None = None, stdin: str | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PYTHON, "-m", "guruconnect", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        check=False,
    )


@dataclass
class ServerProcess:
    data_dir: Path
    database_url: str
    port: int = field(default_factory=free_port)
    extra_env: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen[bytes] | None = None
    log_path: Path = field(init=False)
    clients: list[httpx.Client] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.log_path = self.data_dir / "server.log"

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"wss://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        return {
            "GURU_DATABASE_URL": self.database_url,
            "GURU_DATA_DIR": str(self.data_dir),
            "GURU_HEARTBEAT_INTERVAL_SECONDS": "2",
            "GURU_LOG_LEVEL": "INFO",
            # Seconds instead of minutes per Windows EXE base; the same NSIS scripts, and
            # the LZMA builds are measured by bench/installers/run.py.
            "GURU_WINDOWS_EXE_COMPRESSION": "zlib",
            **self.extra_env,
        }

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [PYTHON, "-m", "guruconnect", "server", "--bind", f"127.0.0.1:{self.port}"],
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, **self.env},
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited {self.proc.returncode}:\n{self.log()}")
            try:
                if httpx.get(f"{self.url}/healthz", verify=False, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server did not become healthy:\n{self.log()}")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    def kill9(self) -> None:
        self.stop(signal.SIGKILL)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def admin(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return cli("admin", *args, env=self.env, stdin=stdin)

    def create_user(
        self, name: str, password: str, role: str = "admin", companies: str = "*"
    ) -> None:
        done = self.admin(
            "create-user",
            name,
            "--role",
            role,
            "--companies",
            companies,
            "--password-stdin",
            stdin=password + "\n",
        )
        assert done.returncode == 0, done.stderr

    def add_user(self, name: str, password: str, role: str = "admin", companies: str = "*") -> None:
        """What ``create_user`` does, without starting a CLI process (2-3 s of imports
        each): the same ``add_user`` the CLI runs, in a thread of this process with its
        own event loop (Playwright's sync API keeps one running in the main thread).
        ``create_user`` stays the real CLI for the tests of the CLI itself."""
        from guruconnect.server.auth.roles import Role

        assert role in {r.value for r in Role}, role
        with ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, _add_user(self.database_url, name, password, role,
                                               companies)).result()  # fmt: skip

    def client(self, origin: bool = True) -> httpx.Client:
        headers = {"origin": self.url} if origin else {}
        client = httpx.Client(base_url=self.url, verify=False, headers=headers, timeout=30)
        self.clients.append(client)  # closed in close_clients(), so no socket leaks
        return client

    def close_clients(self) -> None:
        for client in self.clients:
            client.close()
        self.clients.clear()

    def ssl_context(self) -> ssl.SSLContext:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return ctx


async def _add_user(url: str, name: str, password: str, role: str, companies: str) -> None:
    from guruconnect.server.cli import add_user
    from guruconnect.server.db.engine import make_engine, make_session_factory

    engine = make_engine(url)
    try:
        async with make_session_factory(engine)() as db:
            await add_user(db, name, password, role, companies)
    finally:
        await engine.dispose()


@contextmanager
def running_server(data: Path, kind: str = "sqlite", **extra_env: str) -> Iterator[ServerProcess]:
    """A started server for a whole module (the function-scoped ``server_factory``
    fixture restarts one per test); stopped, and its database dropped, on exit."""
    with database_url(kind, data) as url:
        server = ServerProcess(data, url, extra_env=extra_env)
        server.start()
        try:
            yield server
        finally:
            server.close_clients()
            server.stop()
