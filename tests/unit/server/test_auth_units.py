"""Password hashing, TOTP replay refusal, the failure limiter and client addresses."""

from __future__ import annotations

import pyotp
import pytest
from starlette.requests import Request

from guruconnect.server.auth import passwords, totp
from guruconnect.server.auth.ratelimit import FailureLimiter
from guruconnect.server.auth.roles import Scope, parse_scopes, scopes_for
from guruconnect.server.http.client_ip import client_ip, parse_networks


def test_argon2id_hash_and_verify() -> None:
    h = passwords.hash_password("a long password here")
    assert h.startswith("$argon2id$")
    assert passwords.verify_password(h, "a long password here")
    assert not passwords.verify_password(h, "wrong password here")
    assert not passwords.verify_password(None, "a long password here")
    with pytest.raises(passwords.PasswordPolicyError):
        passwords.hash_password("short")


def test_totp_replay_and_drift() -> None:
    secret = totp.new_secret()
    now = 1_700_000_000.0
    step = int(now // 30)
    code = pyotp.TOTP(secret).at(now)
    assert totp.verify(secret, code, last_step=0, now=now) == step
    assert totp.verify(secret, code, last_step=step, now=now) is None  # replay
    previous = pyotp.TOTP(secret).at(now - 30)
    assert totp.verify(secret, previous, last_step=0, now=now) == step - 1  # one step of drift
    assert totp.verify(secret, pyotp.TOTP(secret).at(now - 90), last_step=0, now=now) is None
    assert totp.verify(secret, "12345", last_step=0, now=now) is None
    assert totp.verify(secret, "abcdef", last_step=0, now=now) is None


def test_qr_is_a_data_uri() -> None:
    uri = totp.provisioning_uri(totp.new_secret(), "alice")
    assert uri.startswith("otpauth://totp/GuruConnect:alice")
    assert totp.qr_svg_data_uri(uri).startswith("data:image/svg+xml;base64,")


def test_failure_limiter_window() -> None:
    now = [0.0]
    limiter = FailureLimiter(limit=3, window=60, clock=lambda: now[0])
    for _ in range(3):
        assert limiter.retry_after("ip:a") is None
        limiter.failure("ip:a")
    assert limiter.retry_after("ip:a") == pytest.approx(60)
    assert limiter.retry_after("ip:b") is None  # other keys unaffected
    now[0] = 61
    assert limiter.retry_after("ip:a") is None
    assert len(limiter) == 0, "expired keys are forgotten, so memory stays bounded"


def test_roles_deny_by_default() -> None:
    assert scopes_for("nonexistent") == frozenset()
    assert Scope.ENROLLMENT_MANAGE not in scopes_for("technician")
    assert scopes_for("admin") == frozenset(Scope)
    with pytest.raises(ValueError, match="unknown scope"):
        parse_scopes(["machines:read", "root"])


def _request(peer: str, forwarded: str | None) -> Request:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
    return Request({"type": "http", "client": (peer, 1234), "headers": headers})


def test_forwarded_for_only_from_trusted_proxies() -> None:
    proxies = parse_networks(["10.0.0.0/24"])
    assert client_ip(_request("203.0.113.9", "1.2.3.4"), proxies) == "203.0.113.9"
    assert client_ip(_request("10.0.0.5", "1.2.3.4"), proxies) == "1.2.3.4"
    # A client-supplied left part cannot hide the real hop.
    assert client_ip(_request("10.0.0.5", "6.6.6.6, 1.2.3.4"), proxies) == "1.2.3.4"
    assert client_ip(_request("10.0.0.5", "garbage"), proxies) == "10.0.0.5"
    assert client_ip(_request("10.0.0.5", "1.2.3.4"), ()) == "10.0.0.5"
