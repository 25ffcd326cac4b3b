"""API keys: scoped, hashed, shown once, revocable, never more than their owner."""

from __future__ import annotations

import httpx
import pytest

from tests.support.server import ServerProcess
from tests.support.users import SignedIn, sign_in


@pytest.fixture(scope="module")
def server(module_server: ServerProcess) -> ServerProcess:
    """One server for this module's tests: each signs in its own users and makes its own
    objects, so none depends on a fresh server."""
    return module_server


def bearer(server: ServerProcess, key: str) -> httpx.Client:
    client = server.client(origin=False)
    client.headers["authorization"] = f"Bearer {key}"
    return client


def make_key(user: SignedIn, scopes: list[str]) -> httpx.Response:
    return user.post("/api/v1/api-keys", json={"name": "ci", "scopes": scopes})


def test_key_reads_machines_and_is_revocable(server: ServerProcess) -> None:
    admin = sign_in(server)
    r = make_key(admin, ["machines:read"])
    assert r.status_code == 201
    key, key_id = r.json()["key"], r.json()["id"]
    api = bearer(server, key)
    assert api.get("/api/v1/machines").status_code == 200
    # Shown once: the listing has only the prefix.
    listing = admin.client.get("/api/v1/api-keys").json()["keys"]
    assert key not in str(listing) and listing[0]["prefix"] == key[: len(listing[0]["prefix"])]
    # Scope limits apply: this key cannot manage enrollment, though its owner can.
    assert api.post("/api/v1/enrollment-tokens", json={"company": "Acme"}).status_code == 403
    assert admin.delete(f"/api/v1/api-keys/{key_id}").status_code == 204
    assert api.get("/api/v1/machines").status_code == 401


def test_key_cannot_exceed_owner(server: ServerProcess) -> None:
    tech = sign_in(server, role="technician")
    r = make_key(tech, ["machines:read", "users:manage"])
    assert r.status_code == 403 and "users:manage" in r.json()["detail"]
    r = make_key(tech, ["enrollment:manage"])
    assert r.status_code == 403
    r = make_key(tech, ["no-such-scope"])
    assert r.status_code == 422


def test_key_cannot_mint_keys_or_change_password(server: ServerProcess) -> None:
    admin = sign_in(server)
    api = bearer(server, make_key(admin, ["machines:read", "users:manage"]).json()["key"])
    r = api.post("/api/v1/api-keys", json={"name": "child", "scopes": ["machines:read"]})
    assert r.status_code == 403
    r = api.post(
        "/api/v1/auth/password", json={"current_password": admin.password, "new_password": "x" * 20}
    )
    assert r.status_code == 403


def test_viewer_key_cannot_manage_enrollment(server: ServerProcess) -> None:
    viewer = sign_in(server, role="viewer")
    assert make_key(viewer, ["machines:read"]).status_code == 201
    assert viewer.post("/api/v1/enrollment-tokens", json={"company": "Acme"}).status_code == 403


def test_other_users_keys_are_invisible(server: ServerProcess) -> None:
    alice, bob = sign_in(server), sign_in(server)
    key_id = make_key(alice, ["machines:read"]).json()["id"]
    assert bob.delete(f"/api/v1/api-keys/{key_id}").status_code == 404
    assert bob.client.get("/api/v1/api-keys").json()["keys"] == []


def test_malformed_authorization_header(server: ServerProcess) -> None:
    for value in ("Bearer", "Basic YWRtaW46YWRtaW4=", "Bearer gck_forged", "Bearer " + "x" * 5000):
        client = server.client(origin=False)
        client.headers["authorization"] = value
        assert client.get("/api/v1/machines").status_code == 401
