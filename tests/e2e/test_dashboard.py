"""The dashboard in a real browser: sign in with TOTP, watch an agent come and go."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from guruconnect.protocol import Inventory, encode
from tests.integration.test_agent_socket import handshake, open_socket
from tests.integration.test_agents import start_agent
from tests.support.agents import RawAgent, create_token
from tests.support.server import ServerProcess
from tests.support.users import new_user, next_code, sign_in

HOSTILE = '<img src=x onerror="document.title=\'pwned\'"><script>document.title="pwned"</script>'


def browser_sign_in(page: Page, server: ServerProcess, *, again: bool = False) -> None:
    """First sign-in: password, then enroll TOTP from the secret the page shows.
    With ``again``, sign out and in once more, typing a code (waits for a fresh step)."""
    username, password = new_user(server)
    page.goto(server.url + "/console")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#login-submit")
    secret = page.locator("#totp-secret").inner_text(timeout=15000).replace(" ", "").strip()
    expect(page.locator("#totp-qr")).to_be_visible()
    code, step = next_code(secret)
    page.fill("#totp-code", code)
    page.click("#totp-submit")
    expect(page.locator("#live-status")).to_have_text("live", timeout=15000)
    if not again:
        return
    # Sign out and in again: this time the code is asked for, not enrolled.
    page.click("#logout")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#login-submit")
    code, _ = next_code(secret, after_step=step)
    page.fill("#totp-code", code)
    page.click("#totp-submit")
    expect(page.locator("#live-status")).to_have_text("live", timeout=15000)


def test_sign_in_live_status_and_detail(page: Page, server: ServerProcess, tmp_path: Path) -> None:
    browser_sign_in(page, server, again=True)
    admin = sign_in(server)
    agent = start_agent(server.url, admin, tmp_path, "--name", "reception-pc")
    row = page.locator(f'[data-testid="machine-row"][data-machine-id="{agent.agent_id}"]')
    status = row.locator('[data-testid="machine-status"]')
    try:
        expect(status).to_have_text("online", timeout=30000)
        row.click()
        panel = page.locator('[data-testid="detail-panel"]')
        expect(panel).to_be_visible()
        hostname = admin.client.get(f"/api/v1/machines/{agent.agent_id}").json()["hostname"]
        expect(panel.locator('[data-field="hostname"]')).to_have_text(hostname, timeout=15000)
        for field in (
            "os_name",
            "cpu_model",
            "ram_total",
            "public_ip",
            "agent_version",
            "boot_time",
            "serial_number",
            "manufacturer",
            "logged_on_users",
        ):
            expect(panel.locator(f'[data-field="{field}"]').first).to_be_attached()
        expect(panel.locator('[data-field="public_ip"]')).to_have_text("127.0.0.1")
        expect(panel.locator('[data-testid="disk-row"]').first).to_be_visible()
        page.click("#detail-close")
    finally:
        agent.stop()
    # No reload: the live socket flips the row.
    expect(status).to_have_text("offline", timeout=30000)


def test_hostile_agent_strings_render_as_text(page: Page, server: ServerProcess) -> None:
    admin = sign_in(server)
    raw = RawAgent.enroll(server, create_token(admin), hostname="evil")
    browser_sign_in(page, server)
    with open_socket(server) as ws:
        handshake(ws, raw)
        ws.send(
            encode(
                Inventory(
                    hostname=HOSTILE,
                    os_name=HOSTILE,
                    description=HOSTILE,
                    logged_on_users=[HOSTILE],
                )
            )
        )
        row = page.locator(f'[data-testid="machine-row"][data-machine-id="{raw.agent_id}"]')
        expect(row).to_contain_text("<script>", timeout=30000)
        row.click()
        panel = page.locator('[data-testid="detail-panel"]')
        expect(panel.locator('[data-field="hostname"]')).to_have_text(HOSTILE, timeout=15000)
        expect(panel.locator('[data-field="description"]')).to_have_text(HOSTILE)
    assert page.locator("img[src='x']").count() == 0
    assert page.evaluate("document.title") != "pwned"


@pytest.mark.provokes_csp_violation
def test_csp_header_forbids_inline_script(page: Page, server: ServerProcess) -> None:
    response = page.goto(server.url + "/console")
    assert response is not None
    csp = response.headers["content-security-policy"]
    assert (
        "script-src 'self'" in csp
        and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    )
    # The browser itself refuses an injected inline script under this policy.
    page.evaluate("""() => { const s = document.createElement('script');
        s.textContent = 'window.__ran = true'; document.body.appendChild(s); }""")
    assert page.evaluate("window.__ran === true") is False
