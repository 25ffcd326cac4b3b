"""The bootstrap token creates the first administrator, once; afterwards no setup path
exists under any spelling or method (ScreenConnect's CVE-2024-1709 was a path trick)."""

from __future__ import annotations

import re

import httpx

from tests.support.server import ServerProcess

SPELLINGS = [
    "/api/v1/setup/bootstrap",
    "/api/v1/setup/bootstrap/",
    "/api/v1/setup/bootstrap//",
    "/api/v1//setup/bootstrap",
    "//api/v1/setup/bootstrap",
    "/api/v1/setup/./bootstrap",
    "/api/v1/setup/x/../bootstrap",
    "/api/v1/setup/bootstrap%2F",
    "/api/v1/setup%2Fbootstrap",
    "/api/v1/setup/%62ootstrap",
    "/API/V1/SETUP/BOOTSTRAP",
    "/api/v1/Setup/Bootstrap",
    "/api/v1/setup/bootstrap;.js",
    "/api/v1/setup/bootstrap.json",
    "/api/v1/setup/bootstrap?force=1",
    "/api/v1/setup/bootstrap%00",
    "/api/v1/setup",
    "/api/v1/setup/",
    "/setup",
    "/setup/bootstrap",
    "/api/setup/bootstrap",
    "/SetupWizard.aspx",
    "/SetupWizard.aspx/",
    "/api/v1/setup/bootstrap/SetupWizard.aspx",
]


def bootstrap_token(server: ServerProcess) -> str:
    match = re.search(r'"token": "(gcb_[A-Za-z0-9_-]+)"', server.log())
    assert match, server.log()
    return match.group(1)


def user_count(server: ServerProcess) -> int:
    done = server.admin("list-users")
    assert done.returncode == 0, done.stderr
    return len([line for line in done.stdout.splitlines() if line.strip()])


def raw_request(server: ServerProcess, method: str, path: str, body: dict[str, str]) -> int:
    # httpx normalizes some paths; send exactly what an attacker would.
    with httpx.Client(verify=False, timeout=30) as client:
        request = client.build_request(method, server.url, json=body)
        request.url = request.url.copy_with(raw_path=path.encode())
        return client.send(request).status_code


def test_bootstrap_once_then_no_setup_path(server: ServerProcess) -> None:
    token = bootstrap_token(server)
    body = {"token": token, "username": "first", "password": "correct horse battery"}
    assert user_count(server) == 0
    # A wrong token is refused even while setup is open.
    wrong = server.client().post("/api/v1/setup/bootstrap", json={**body, "token": "gcb_nope"})
    assert wrong.status_code == 401
    created = server.client().post("/api/v1/setup/bootstrap", json=body)
    assert created.status_code == 201, created.text
    assert user_count(server) == 1

    attacker = {"token": token, "username": "attacker", "password": "attacker password"}
    for path in SPELLINGS:
        for method in ("POST", "GET", "PUT", "PATCH", "DELETE", "OPTIONS"):
            status = raw_request(server, method, path, attacker)
            assert status in (400, 401, 403, 404, 405), (method, path, status)
    assert user_count(server) == 1
    assert "attacker" not in server.admin("list-users").stdout


def test_no_setup_path_after_cli_admin_even_with_fresh_token(server: ServerProcess) -> None:
    token = bootstrap_token(server)
    server.create_user("cliadmin", "a long cli password", role="admin")
    body = {"token": token, "username": "late", "password": "a long late password"}
    assert server.client().post("/api/v1/setup/bootstrap", json=body).status_code == 404
    # A restart with an admin present issues no token at all.
    server.stop()
    server.log_path.write_text("")
    server.start()
    assert "bootstrap token" not in server.log()
    assert server.client().post("/api/v1/setup/bootstrap", json=body).status_code == 404
    assert user_count(server) == 1


def test_bootstrap_rate_limited(server: ServerProcess) -> None:
    body = {"token": "gcb_guess", "username": "x", "password": "a long enough password"}
    codes = [
        server.client().post("/api/v1/setup/bootstrap", json=body).status_code for _ in range(6)
    ]
    assert codes[:5] == [401] * 5 and codes[5] == 429
