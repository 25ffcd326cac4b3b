"""Real agent processes, and raw protocol clients for hostile-agent tests."""

from __future__ import annotations

import base64
import json
import os
import signal
import ssl
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from nacl.signing import SigningKey

from tests.support.server import PYTHON, ServerProcess, cli
from tests.support.users import SignedIn


def create_token(admin: SignedIn, company: str = "Acme", site: str = "HQ", **extra: object) -> str:
    r = admin.post("/api/v1/enrollment-tokens", json={"company": company, "site": site, **extra})
    assert r.status_code == 201, r.text
    return str(r.json()["token"])


@dataclass
class AgentProcess:
    config: Path
    env: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def agent_id(self) -> str:
        return str(json.loads(self.config.read_text())["agent_id"])

    def start(self, preexec_fn: Callable[[], object] | None = None) -> None:
        log = self.config.with_suffix(".log")
        with log.open("ab") as out:
            self.proc = subprocess.Popen(
                [
                    PYTHON,
                    "-m",
                    "guruconnect",
                    "agent",
                    "run",
                    "--config",
                    str(self.config),
                    "--max-backoff",
                    "2",
                    "--log-level",
                    "DEBUG",
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, **self.env},
                preexec_fn=preexec_fn,
            )

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    def log(self) -> str:
        path = self.config.with_suffix(".log")
        return path.read_text(errors="replace") if path.exists() else ""


def enroll_agent(
    server_url: str, token: str, config: Path, *extra: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return cli(
        "agent",
        "enroll",
        "--server",
        server_url,
        "--token",
        token,
        "--config",
        str(config),
        *extra,
        env=env,
    )


@dataclass
class RawAgent:
    """A protocol client we drive by hand: enrolled over HTTP like a real agent."""

    agent_id: str
    seed: bytes

    @classmethod
    def enroll(cls, server: ServerProcess, token: str, hostname: str = "raw-agent") -> RawAgent:
        key = SigningKey.generate()
        r = server.client().post(
            "/api/v1/agents/enroll",
            json={
                "token": token,
                "public_key": base64.b64encode(bytes(key.verify_key)).decode(),
                "hostname": hostname,
            },
        )
        assert r.status_code == 201, r.text
        return cls(r.json()["agent_id"], bytes(key))

    def sign(self, payload: bytes) -> bytes:
        return SigningKey(self.seed).sign(payload).signature


# How long a test's WebSocket client waits for the handshake: generous, as a busy 2-core
# machine can take over 10 s to answer.
OPEN_TIMEOUT = 60.0


def client_ssl() -> ssl.SSLContext:
    """The tests' client TLS context: the server's self-signed certificate, TLS 1.2.

    TLS 1.2 because of the sync websockets client the tests use: its reader thread starts
    before the upgrade request is sent, and under TLS 1.3 the server's post-handshake
    NewSessionTicket wakes that thread into a blocking SSL read while the main thread
    writes the request on the same SSL object. Now and then the request never reached
    the server, and the reader stayed blocked for good (seen in CI as a handshake timeout
    followed by a hang until pytest's timeout). The product's clients are asyncio ones,
    which never read and write an SSL object from two threads."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    return ctx
