"""Sign-in, TOTP, sessions, CSRF and rate limits against a real server process."""

from __future__ import annotations

import pyotp

from tests.support.server import ServerProcess
from tests.support.users import new_user, sign_in


def test_full_sign_in_and_sign_out(any_db_server: ServerProcess) -> None:
    user = sign_in(any_db_server)
    assert user.client.get("/api/v1/machines").status_code == 200
    me = user.client.get("/api/v1/auth/session").json()
    assert me["user"]["username"] == user.username and me["user"]["mfa_enabled"] is True
    cookie = user.client.cookies.get("guru_session")
    assert user.post("/api/v1/auth/logout").status_code == 204
    # The server forgot the session: replaying the old cookie gets nothing.
    replay = any_db_server.client()
    replay.cookies.set("guru_session", cookie or "")
    assert replay.get("/api/v1/machines").status_code == 401


def test_session_cookie_flags(server: ServerProcess) -> None:
    name, password = new_user(server)
    r = server.client().post("/api/v1/auth/login", json={"username": name, "password": password})
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "secure" in cookie and "samesite=strict" in cookie


def test_password_alone_is_not_enough(server: ServerProcess) -> None:
    user = sign_in(server)
    client = server.client()
    r = client.post(
        "/api/v1/auth/login", json={"username": user.username, "password": user.password}
    )
    assert r.json()["state"] == "mfa_required"
    assert client.get("/api/v1/machines").status_code == 401
    csrf = r.json()["csrf_token"]
    # Enrolling a new device without the current code would bypass MFA: refused.
    assert (
        client.post("/api/v1/auth/totp/enroll", headers={"x-csrf-token": csrf}).status_code == 409
    )


def test_totp_code_cannot_be_replayed(server: ServerProcess) -> None:
    user = sign_in(server)  # used the current step's code at confirm
    code = pyotp.TOTP(user.totp_secret).now()
    client = server.client()
    r = client.post(
        "/api/v1/auth/login", json={"username": user.username, "password": user.password}
    )
    csrf = r.json()["csrf_token"]
    r = client.post("/api/v1/auth/totp/verify", json={"code": code}, headers={"x-csrf-token": csrf})
    # Either this step was the one used at enrollment (replay) or a later one: only a
    # strictly newer step passes, and the very same code never passes twice.
    if r.status_code == 200:
        again = server.client()
        r2 = again.post(
            "/api/v1/auth/login", json={"username": user.username, "password": user.password}
        )
        csrf2 = r2.json()["csrf_token"]
        r = again.post(
            "/api/v1/auth/totp/verify", json={"code": code}, headers={"x-csrf-token": csrf2}
        )
    assert r.status_code == 401
    assert "already used" in r.json()["detail"]


def test_wrong_password_rate_limited_per_user(server: ServerProcess) -> None:
    name, password = new_user(server)
    client = server.client()
    statuses = [
        client.post(
            "/api/v1/auth/login", json={"username": name, "password": "wrong-password"}
        ).status_code
        for _ in range(6)
    ]
    assert statuses[:5] == [401] * 5 and statuses[5] == 429
    r = client.post("/api/v1/auth/login", json={"username": name, "password": password})
    assert r.status_code == 429, "even the right password waits out the lock"
    assert int(r.headers["retry-after"]) > 0
    # Another account from the same address is not locked out by this one.
    other, other_pw = new_user(server)
    r = client.post("/api/v1/auth/login", json={"username": other, "password": other_pw})
    assert r.status_code == 200


def test_wrong_totp_rate_limited(server: ServerProcess) -> None:
    user = sign_in(server)
    client = server.client()
    r = client.post(
        "/api/v1/auth/login", json={"username": user.username, "password": user.password}
    )
    csrf = r.json()["csrf_token"]
    codes = [
        client.post(
            "/api/v1/auth/totp/verify", json={"code": "000000"}, headers={"x-csrf-token": csrf}
        ).status_code
        for _ in range(6)
    ]
    assert codes[-1] == 429 and set(codes[:5]) == {401}


def test_state_change_without_csrf_token_refused(server: ServerProcess) -> None:
    user = sign_in(server)
    r = user.client.post("/api/v1/auth/logout")
    assert r.status_code == 403 and "CSRF" in r.json()["detail"]
    r = user.client.post("/api/v1/auth/logout", headers={"x-csrf-token": "forged"})
    assert r.status_code == 403
    assert user.client.get("/api/v1/machines").status_code == 200, "session still alive"


def test_cross_origin_write_refused_even_with_token(server: ServerProcess) -> None:
    user = sign_in(server)
    r = user.client.post(
        "/api/v1/enrollment-tokens",
        json={"company": "Acme"},
        headers={"x-csrf-token": user.csrf, "origin": "https://evil.example"},
    )
    assert r.status_code == 403
    r = server.client(origin=False).post(
        "/api/v1/auth/login",
        json={"username": user.username, "password": user.password},
        headers={"origin": "https://evil.example"},
    )
    assert r.status_code == 403


def test_password_change_revokes_every_session(server: ServerProcess) -> None:
    user = sign_in(server)
    r = user.post(
        "/api/v1/auth/password",
        json={"current_password": user.password, "new_password": "a brand new passphrase"},
    )
    assert r.status_code == 204
    assert user.client.get("/api/v1/machines").status_code == 401
    fresh = server.client()
    r = fresh.post(
        "/api/v1/auth/login", json={"username": user.username, "password": user.password}
    )
    assert r.status_code == 401
    r = fresh.post(
        "/api/v1/auth/login",
        json={"username": user.username, "password": "a brand new passphrase"},
    )
    assert r.status_code == 200 and r.json()["state"] == "mfa_required"


def test_reset_mfa_cli(server: ServerProcess) -> None:
    user = sign_in(server)
    done = server.admin("reset-mfa", user.username)
    assert done.returncode == 0, done.stderr
    assert user.client.get("/api/v1/machines").status_code == 401, "sessions revoked"
    client = server.client()
    r = client.post(
        "/api/v1/auth/login", json={"username": user.username, "password": user.password}
    )
    assert r.json()["state"] == "mfa_enroll"


def test_unknown_user_and_wrong_password_look_alike(server: ServerProcess) -> None:
    name, _ = new_user(server)
    client = server.client()
    a = client.post("/api/v1/auth/login", json={"username": name, "password": "nope-nope-nope"})
    b = client.post("/api/v1/auth/login", json={"username": "ghost", "password": "nope-nope-nope"})
    assert a.status_code == b.status_code == 401
    assert a.json() == b.json()


def test_malformed_login_body_gets_clear_error(server: ServerProcess) -> None:
    r = server.client().post(
        "/api/v1/auth/login", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert r.status_code == 422
    r = server.client().post("/api/v1/auth/login", json={"username": "x" * 1000, "password": "y"})
    assert r.status_code == 422
