"""Signing in through the real API, TOTP included."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

import httpx
import pyotp

from tests.support.server import ServerProcess


@dataclass
class SignedIn:
    client: httpx.Client
    username: str
    password: str
    totp_secret: str
    csrf: str

    def post(self, path: str, **kw: object) -> httpx.Response:
        return self.client.post(path, headers={"x-csrf-token": self.csrf}, **kw)  # type: ignore[arg-type]

    def delete(self, path: str) -> httpx.Response:
        return self.client.delete(path, headers={"x-csrf-token": self.csrf})


def next_code(secret: str, after_step: int = 0) -> tuple[str, int]:
    """A code for a step not yet used (waits for the next step if it must)."""
    totp = pyotp.TOTP(secret)
    while True:
        step = int(time.time() // 30)
        if step > after_step:
            return totp.at(step * 30), step
        time.sleep(0.2)


def new_user(server: ServerProcess, role: str = "admin", companies: str = "*") -> tuple[str, str]:
    name = f"{role}_{secrets.token_hex(4)}"
    password = secrets.token_urlsafe(16)
    server.add_user(name, password, role=role, companies=companies)
    return name, password


def sign_in(server: ServerProcess, role: str = "admin", companies: str = "*") -> SignedIn:
    """Create a fresh user, sign in, enroll TOTP: a fully active session."""
    username, password = new_user(server, role, companies)
    client = server.client()
    r = client.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["state"] == "mfa_enroll"
    csrf = body["csrf_token"]
    r = client.post("/api/v1/auth/totp/enroll", headers={"x-csrf-token": csrf})
    assert r.status_code == 200, r.text
    secret = r.json()["secret"]
    code, _ = next_code(secret)
    r = client.post(
        "/api/v1/auth/totp/confirm", json={"code": code}, headers={"x-csrf-token": csrf}
    )
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "active"
    return SignedIn(client, username, password, secret, csrf)
