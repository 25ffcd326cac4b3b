"""The installer builder in the dashboard, in a real Chromium: build an installer with
awkward metadata, download the .sh, copy its URL, revoke it (the URL then says so)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_dashboard import browser_sign_in
from tests.support.server import ServerProcess
from tests.support.wait import wait_for


@pytest.mark.timeout(900)  # the first download builds the cached base
def test_build_download_copy_and_revoke(
    page: Page, server_factory: Callable[..., ServerProcess], agent_cache: Path, tmp_path: Path
) -> None:
    server = server_factory("sqlite", GURU_SUPPORT_AGENT_CACHE_DIR=str(agent_cache))
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    browser_sign_in(page, server)
    page.click("#tab-enrollment")
    expect(page.locator("#installers h2")).to_have_text("Installers")
    page.select_option("#installer-name-mode", "custom")
    page.fill("#installer-name", 'Front "Desk"')
    page.fill("#installer-company", "Glaztech Industries")
    page.fill("#installer-site", "Zürich \u2013 東京")
    page.fill("#installer-department", "Accounting")
    page.fill("#installer-device-type", "Laptop")
    page.fill("#installer-tag", "VIP's")
    page.click("#installer-build")
    card = page.locator('[data-testid="installer-artifacts"]')
    expect(card).to_be_visible()
    # The Windows buttons are there, disabled, and say why.
    expect(card.get_by_role("button", name="Download EXE")).to_be_disabled()
    expect(card.get_by_role("button", name="Download MSI")).to_be_disabled()
    expect(card).to_contain_text("Windows installers: coming with the Windows agent")
    row = page.locator('[data-testid="installer-row"]')
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Zürich \u2013 東京")
    expect(row).to_contain_text("VIP's")

    # Download the .sh (the first one builds the cached base: give it time).
    with page.expect_download(timeout=600_000) as info:
        page.click("#installer-download-sh")
    download = info.value
    assert download.suggested_filename == "guruconnect-install.sh"
    saved = tmp_path / "guruconnect-install.sh"
    download.save_as(saved)
    data = saved.read_bytes()
    assert data.startswith(b"#!/bin/sh") and b"__GURUCONNECT_PAYLOAD__" in data

    # Copy the installer URL: the clipboard holds the URL shown, and it works.
    url = page.locator("#installer-url").inner_text().strip()
    assert re.fullmatch(r"https://127\.0\.0\.1:\d+/install/gci_[A-Za-z0-9_-]+/linux\.sh", url)
    page.get_by_role("button", name="Copy installer URL").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == url
    path = httpx.URL(url).path
    client = server.client(origin=False)
    assert client.get(path, timeout=600).status_code == 200

    # Revoke: the row says so and the URL answers 410 with the reason.
    row.locator('[data-testid="revoke-installer"]').click()
    expect(row.locator(".pill")).to_have_text("revoked")
    expect(card).to_be_hidden()
    answer = wait_for(lambda: (r := client.get(path)).status_code == 410 and r, "revocation")
    assert "revoked" in answer.text
