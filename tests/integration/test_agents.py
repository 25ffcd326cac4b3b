"""Real agents against a real server: check-in, inventory, restarts and network cuts."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

from tests.support.agents import AgentProcess, create_token, enroll_agent
from tests.support.proxy import CuttableProxy
from tests.support.server import ServerProcess
from tests.support.users import SignedIn, sign_in
from tests.support.wait import wait_for


def machine(admin: SignedIn, agent_id: str) -> dict[str, Any]:
    r = admin.client.get(f"/api/v1/machines/{agent_id}")
    assert r.status_code == 200, r.text
    return dict(r.json())


def online_with_inventory(admin: SignedIn, agent_id: str) -> dict[str, Any] | None:
    m = machine(admin, agent_id)
    return m if m["online"] and m["inventory"] else None


def start_agent(server_url: str, admin: SignedIn, tmp_path: Path, *extra: str) -> AgentProcess:
    config = tmp_path / "agent" / "agent.json"
    done = enroll_agent(server_url, create_token(admin), config, *extra)
    assert done.returncode == 0, done.stderr
    agent = AgentProcess(config)
    agent.start()
    return agent


def test_agent_checks_in_with_full_inventory(any_db_server: ServerProcess, tmp_path: Path) -> None:
    admin = sign_in(any_db_server)
    agent = start_agent(
        any_db_server.url,
        admin,
        tmp_path,
        "--name",
        "Front desk",
        "--department",
        "Sales",
        "--device-type",
        "Workstation",
        "--tag",
        "VIP",
    )
    try:
        m = wait_for(lambda: online_with_inventory(admin, agent.agent_id), "agent online")
        assert (m["name"], m["company"], m["site"]) == ("Front desk", "Acme", "HQ")
        assert (m["department"], m["device_type"], m["tag"]) == ("Sales", "Workstation", "VIP")
        assert m["public_ip"] == "127.0.0.1"
        inv = m["inventory"]
        assert inv["hostname"] and inv["os_type"] == "linux" and inv["os_name"]
        assert inv["cpu_count"] > 0 and inv["ram_total"] > 0 and inv["disks"]
        assert inv["boot_time"] and inv["agent_version"]
        mode = stat.S_IMODE(agent.config.stat().st_mode)
        assert mode == 0o600, oct(mode)
        listed = admin.client.get("/api/v1/machines").json()["machines"]
        assert [x["id"] for x in listed] == [agent.agent_id]
        assert "public_key" not in listed[0]
    finally:
        agent.stop()
    wait_for(lambda: not machine(admin, agent.agent_id)["online"], "agent offline")
    assert machine(admin, agent.agent_id)["last_seen"] is not None


def test_server_killed_and_restarted(any_db_server: ServerProcess, tmp_path: Path) -> None:
    admin = sign_in(any_db_server)
    agent = start_agent(any_db_server.url, admin, tmp_path)
    try:
        before = wait_for(lambda: online_with_inventory(admin, agent.agent_id), "agent online")
        any_db_server.kill9()
        any_db_server.start()
        # The session survived too: it is stored server-side, not in memory.
        after = wait_for(lambda: online_with_inventory(admin, agent.agent_id), "agent back")
        assert after["inventory"]["hostname"] == before["inventory"]["hostname"]
        assert after["first_seen"] == before["first_seen"]
        assert agent.proc is not None and agent.proc.poll() is None
    finally:
        agent.stop()


def test_graceful_restart_agent_reconnects(server: ServerProcess, tmp_path: Path) -> None:
    admin = sign_in(server)
    agent = start_agent(server.url, admin, tmp_path)
    try:
        wait_for(lambda: online_with_inventory(admin, agent.agent_id), "agent online")
        server.stop()
        assert (
            "server shutting down" in agent.log() or "1001" in agent.log() or "1012" in agent.log()
        )
        server.start()
        wait_for(lambda: machine(admin, agent.agent_id)["online"], "agent back after restart")
    finally:
        agent.stop()


def test_network_cut_agent_reconnects(server: ServerProcess, tmp_path: Path) -> None:
    admin = sign_in(server)
    with CuttableProxy(server.port) as proxy:
        agent = start_agent(f"https://127.0.0.1:{proxy.port}", admin, tmp_path)
        try:
            wait_for(lambda: online_with_inventory(admin, agent.agent_id), "agent online")
            first = proxy.accepted
            proxy.cut()
            wait_for(lambda: proxy.accepted > first, "agent reconnecting through the proxy")
            wait_for(lambda: machine(admin, agent.agent_id)["online"], "agent online again")
        finally:
            agent.stop()


def test_enrollment_refusals(server: ServerProcess, tmp_path: Path) -> None:
    admin = sign_in(server)
    # Used up: a one-use token enrolls one agent, then no more.
    token = create_token(admin, max_uses=1)
    assert enroll_agent(server.url, token, tmp_path / "a.json").returncode == 0
    second = enroll_agent(server.url, token, tmp_path / "b.json")
    assert second.returncode == 1 and "used up" in second.stderr
    # Revoked.
    r = admin.post("/api/v1/enrollment-tokens", json={"company": "Acme"})
    token_id, token = r.json()["id"], r.json()["token"]
    assert admin.delete(f"/api/v1/enrollment-tokens/{token_id}").status_code == 204
    revoked = enroll_agent(server.url, token, tmp_path / "c.json")
    assert revoked.returncode == 1 and "revoked" in revoked.stderr
    # Scoped: a token for one company cannot enroll into another.
    token = create_token(admin, company="Acme")
    other = enroll_agent(server.url, token, tmp_path / "d.json", "--company", "Globex")
    assert other.returncode == 1 and "Acme" in other.stderr
    # Unknown.
    bogus = enroll_agent(server.url, "gce_not-a-real-token", tmp_path / "e.json")
    assert bogus.returncode == 1 and "unknown" in bogus.stderr
    assert not (tmp_path / "b.json").exists() and not (tmp_path / "c.json").exists()


def test_pinned_fingerprint_mismatch_refused(server: ServerProcess, tmp_path: Path) -> None:
    admin = sign_in(server)
    token = create_token(admin)
    done = enroll_agent(server.url, token, tmp_path / "x.json", "--fingerprint", "ab" * 32)
    assert done.returncode == 1
    assert "fingerprint" in (done.stderr + done.stdout).lower()
    listed = admin.client.get("/api/v1/machines").json()["machines"]
    assert listed == [], "nothing was sent to the impostor check"
