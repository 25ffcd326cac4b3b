"""Finding machines in a real browser: sidebar groups, search, URL state, detail edits."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.e2e.test_dashboard import browser_sign_in
from tests.support.agents import RawAgent, create_token
from tests.support.server import ServerProcess
from tests.support.users import sign_in


def test_sidebar_search_and_detail(page: Page, server: ServerProcess) -> None:
    admin = sign_in(server)
    made = {}
    for company, site, host in [
        ("Acme", "HQ", "acme-pc-1"), ("Acme", "Lab", "acme-lab-7"), ("Globex", "NYC", "globex-srv"),
    ]:  # fmt: skip
        made[host] = RawAgent.enroll(server, create_token(admin, company, site), hostname=host)
    browser_sign_in(page, server)
    rows = page.locator('[data-testid="machine-row"]')
    expect(rows).to_have_count(3, timeout=15000)

    # Sidebar: a company, then one of its sites (nested), each narrows the list.
    page.click('[data-group="company:Acme"]')
    expect(rows).to_have_count(2)
    assert "company=Acme" in page.url
    page.click('[data-group="site:Acme/Lab"]')
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-machine-id", made["acme-lab-7"].agent_id)

    # The URL is the state: reloading it shows the same view.
    page.reload()
    expect(rows).to_have_count(1, timeout=15000)

    # Search combines with nothing else once the group is cleared.
    page.click('[data-group="all"]')
    expect(rows).to_have_count(3)
    page.fill("#machine-search", "GLOBEX-S")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-machine-id", made["globex-srv"].agent_id)
    page.fill("#machine-search", "'; DROP TABLE machines; --")
    expect(rows).to_have_count(0)
    page.fill("#machine-search", "")
    expect(rows).to_have_count(3)

    # Detail panel: flag for attention, add a custom attribute, see both in History.
    page.locator(f'[data-machine-id="{made["acme-pc-1"].agent_id}"]').click()
    panel = page.locator('[data-testid="detail-panel"]')
    expect(panel.locator('[data-field="hostname"]')).to_have_text("acme-pc-1")
    page.fill("#attention-note", "check the disk")
    page.click("#attention-toggle")
    page.fill("#attr-key", "rack")
    page.fill("#attr-value", "<b>R7</b>")
    page.click("#attr-save")
    expect(panel.locator('[data-attr="rack"]')).to_contain_text("<b>R7</b>")
    expect(panel.locator('[data-testid="audit-entry"]')).to_have_count(2, timeout=15000)
    # The status group counts it, live.
    expect(page.locator('[data-group="status:attention"]')).to_contain_text("1", timeout=15000)
    page.click('[data-group="status:attention"]')
    expect(rows).to_have_count(1)
