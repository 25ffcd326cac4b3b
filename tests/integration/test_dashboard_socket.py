"""The dashboard WebSocket: live machine updates, Origin and session checks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection

from tests.integration.test_agents import start_agent
from tests.support.browser_socket import browser_socket
from tests.support.server import ServerProcess
from tests.support.users import SignedIn, sign_in


@pytest.fixture(scope="module")
def server(module_server: ServerProcess) -> ServerProcess:
    """One server for this module's tests: each signs in its own users and makes its own
    objects, so none depends on a fresh server."""
    return module_server


def dashboard(
    server: ServerProcess, user: SignedIn | None, origin: str | None = None
) -> ClientConnection:
    return browser_socket(server, "/ws/dashboard", user, origin)


def next_event(ws: ClientConnection, timeout: float = 30) -> dict[str, Any]:
    return dict(json.loads(ws.recv(timeout=timeout)))


def wait_event(ws: ClientConnection, agent_id: str, online: bool) -> dict[str, Any]:
    for _ in range(50):
        event = next_event(ws)
        for machine in event.get("machines", []):
            if machine["id"] == agent_id and machine["online"] is online:
                return dict(machine)
    raise AssertionError("no such event")


def test_live_online_and_offline(server: ServerProcess, tmp_path: Path) -> None:
    admin = sign_in(server)
    with dashboard(server, admin) as ws:
        assert next_event(ws) == {"type": "hello"}
        agent = start_agent(server.url, admin, tmp_path)
        try:
            up = wait_event(ws, agent.agent_id, online=True)
            assert up["company"] == "Acme" and "company" in up
        finally:
            agent.stop()
        wait_event(ws, agent.agent_id, online=False)


def test_company_scope_filters_events(server: ServerProcess, tmp_path: Path) -> None:
    admin = sign_in(server)
    outsider = sign_in(server, role="technician", companies="Globex")
    with dashboard(server, outsider) as ws:
        assert next_event(ws) == {"type": "hello"}
        agent = start_agent(server.url, admin, tmp_path)
        try:
            # The admin sees it come online; the outsider, scoped to Globex, hears nothing.
            with dashboard(server, admin) as admin_ws:
                next_event(admin_ws)
                listed = admin.client.get("/api/v1/machines").json()["machines"]
                if not any(m["id"] == agent.agent_id and m["online"] for m in listed):
                    wait_event(admin_ws, agent.agent_id, online=True)
            with pytest.raises(TimeoutError):
                next_event(ws, timeout=3)
            assert outsider.client.get("/api/v1/machines").json()["machines"] == []
            assert outsider.client.get(f"/api/v1/machines/{agent.agent_id}").status_code == 404
        finally:
            agent.stop()


def test_sign_out_closes_socket(server: ServerProcess) -> None:
    user = sign_in(server)
    with dashboard(server, user) as ws:
        next_event(ws)
        assert user.post("/api/v1/auth/logout").status_code == 204
        with pytest.raises(ConnectionClosed):
            next_event(ws)
        assert ws.close_code == 4440


def test_password_change_closes_socket(server: ServerProcess) -> None:
    user = sign_in(server)
    with dashboard(server, user) as ws:
        next_event(ws)
        r = user.post(
            "/api/v1/auth/password",
            json={"current_password": user.password, "new_password": "another passphrase"},
        )
        assert r.status_code == 204
        with pytest.raises(ConnectionClosed):
            next_event(ws)
        assert ws.close_code == 4440


def test_foreign_origin_refused(server: ServerProcess) -> None:
    user = sign_in(server)
    with pytest.raises(InvalidStatus) as refused:
        dashboard(server, user, origin="https://evil.example")
    assert refused.value.response.status_code == 403


def test_without_session_closed(server: ServerProcess) -> None:
    with dashboard(server, None) as ws:
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=10)
        assert ws.close_code == 4401
