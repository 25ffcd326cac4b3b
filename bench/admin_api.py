"""Administrator-side setup over HTTP: sign in with TOTP, mint a token, enroll agents."""

from __future__ import annotations

import asyncio
import base64
import time
from dataclasses import dataclass

import httpx
import pyotp
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

COOKIE = "guru_session"


@dataclass(slots=True)
class SimIdentity:
    """What an enrolled agent keeps: its id and its private key."""

    agent_id: str
    key: Ed25519PrivateKey


async def enrollment_token(base_url: str, username: str, password: str) -> str:
    """Sign in as a fresh admin (password, then TOTP enrollment) and mint a token."""
    async with httpx.AsyncClient(base_url=base_url, verify=False, timeout=30.0) as client:
        login = await client.post(
            "/api/v1/auth/login", json={"username": username, "password": password}
        )
        login.raise_for_status()
        session = login.json()
        if session["state"] != "mfa_enroll":
            raise RuntimeError(f"unexpected sign-in state {session['state']!r}")
        # The session cookie is Secure; httpx would not send it back over plain HTTP
        # (behind-proxy mode), so we carry it ourselves.
        headers = {
            "Cookie": f"{COOKIE}={login.cookies[COOKIE]}",
            "X-CSRF-Token": session["csrf_token"],
        }
        enroll = await client.post("/api/v1/auth/totp/enroll", headers=headers)
        enroll.raise_for_status()
        code = pyotp.TOTP(enroll.json()["secret"]).now()
        confirm = await client.post(
            "/api/v1/auth/totp/confirm", headers=headers, json={"code": code}
        )
        confirm.raise_for_status()
        created = await client.post(
            "/api/v1/enrollment-tokens",
            headers=headers,
            json={"company": "Bench", "site": "Lab", "max_uses": None},
        )
        created.raise_for_status()
        return str(created.json()["token"])


@dataclass(slots=True)
class EnrollResult:
    identities: list[SimIdentity]
    seconds: float
    failures: int
    first_error: str

    @property
    def per_second(self) -> float:
        return len(self.identities) / self.seconds if self.seconds else 0.0


async def enroll_agents(
    base_url: str, token: str, count: int, *, concurrency: int = 32, timeout: float = 300.0
) -> EnrollResult:
    """Enroll `count` simulated agents, `concurrency` requests in flight at most."""
    keys = [Ed25519PrivateKey.generate() for _ in range(count)]
    identities: list[SimIdentity | None] = [None] * count
    failures = 0
    first_error = ""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(count):
        queue.put_nowait(i)

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal failures, first_error
        while True:
            try:
                i = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            raw = keys[i].public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
            body = {
                "token": token,
                "public_key": base64.b64encode(raw).decode(),
                "hostname": f"bench-{i:05d}",
                "name": f"bench-{i:05d}",
                "agent_version": "bench",
            }
            try:
                response = await client.post("/api/v1/agents/enroll", json=body)
                response.raise_for_status()
                identities[i] = SimIdentity(response.json()["agent_id"], keys[i])
            except httpx.HTTPError as exc:
                failures += 1
                first_error = first_error or f"{type(exc).__name__}: {exc}"

    started = time.perf_counter()
    async with (
        httpx.AsyncClient(base_url=base_url, verify=False, timeout=30.0, limits=limits) as client,
        asyncio.timeout(timeout),
    ):
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
    seconds = time.perf_counter() - started
    done = [x for x in identities if x is not None]
    return EnrollResult(done, seconds, failures, first_error)
