"""100,000 machines in the browser: the list is paged, so the page stays responsive.

The fleet comes from the benchmark's generator (bench/fleet/generate.py), written
straight into the database the real server then opens.
"""

from __future__ import annotations

import asyncio
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.fleet.generate import generate
from playwright.sync_api import Page, expect

from guruconnect.server.db.engine import make_engine
from tests.e2e.test_dashboard import browser_sign_in
from tests.support.server import ServerProcess

FLEET = 100_000


def build_fleet(url: str) -> None:
    async def go() -> None:
        engine = make_engine(url)
        try:
            await generate(engine, FLEET)
        finally:
            await engine.dispose()

    # Playwright's sync API keeps an event loop running in this thread: use another.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, go()).result()


def test_hundred_thousand_machines(page: Page, tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'guruconnect.db'}"
    build_fleet(url)
    server = ServerProcess(tmp_path, url)
    server.start()
    try:
        browser_sign_in(page, server)
        count = page.locator("#machine-count")
        expect(count).to_contain_text(re.compile(r"100[,.\u202f\u00a0]?000"), timeout=30000)
        rows = page.locator('[data-testid="machine-row"]')
        expect(rows).to_have_count(100)
        # Scrolling loads the next page; the DOM never holds the fleet.
        page.locator("#load-more").scroll_into_view_if_needed()
        expect(rows).to_have_count(200, timeout=15000)
        # The whole page stays small: a list rendering the fleet would hold millions of
        # elements (each row has a dozen), which is what freezes a browser.
        elements = page.evaluate("() => document.getElementsByTagName('*').length")
        assert elements < 20_000, f"{elements} DOM elements"

        # The biggest company from the sidebar, then a search inside it.
        companies = page.locator('[data-group^="company:"]')
        expect(companies.first).to_be_visible(timeout=15000)
        assert companies.count() <= 150, "long sections are cut, with 'Show all'"
        biggest = page.locator('[data-group^="company:"]').first
        biggest.click()
        expect(count).not_to_contain_text(re.compile(r"of 100[,.\u202f\u00a0]?000"))
        page.fill("#machine-search", "-ws-00")
        expect(rows.first).to_contain_text(re.compile("ws-00", re.IGNORECASE), timeout=15000)
        assert all("ws-00" in text.lower() for text in rows.all_inner_texts())
        rows.first.click()
        expect(
            page.locator('[data-testid="detail-panel"] [data-field="hostname"]')
        ).to_contain_text(re.compile("WS-00", re.IGNORECASE))
    finally:
        server.close_clients()
        server.stop()
