"""The installer builder in the dashboard, in a real Chromium: build an installer with
awkward metadata, download the .sh, the EXE and the MSI, copy its URL, revoke it (the
URL then says so)."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from guruconnect.protocol.installer import open_envelope
from guruconnect.protocol.pe_certtable import read_baked
from tests.e2e.test_dashboard import browser_sign_in
from tests.support.server import ServerProcess
from tests.support.system import ensure_command
from tests.support.wait import wait_for


@pytest.mark.timeout(2400)  # the first downloads build the cached bases (Linux, Windows)
def test_build_download_copy_and_revoke(
    page: Page,
    server_factory: Callable[..., ServerProcess],
    agent_cache: Path,
    windows_runtime: Path,
    codesign_env: dict[str, str],
    tmp_path: Path,
) -> None:
    for command, package in (("wixl", "wixl"), ("msibuild", "msitools"), ("makensis", "nsis"),
                             ("osslsigncode", "osslsigncode")):  # fmt: skip
        ensure_command(command, package)
    server = server_factory(
        "sqlite",
        GURU_SUPPORT_AGENT_CACHE_DIR=str(agent_cache),
        GURU_WINDOWS_RUNTIME_DIR=str(windows_runtime),
        **codesign_env,
    )
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
    expect(card).to_contain_text('msiexec /i guruconnect-agent.msi /qn SITE="New York"')
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

    # The Windows EXE (signed, config in its certificate table) and the MSI; the first
    # builds the Windows bases (about 11 minutes on 2 busy cores).
    with page.expect_download(timeout=1_500_000) as info:
        page.click("#installer-download-exe")
    assert info.value.suggested_filename == "guruconnect-agent-setup.exe"
    exe = tmp_path / "setup.exe"
    info.value.save_as(exe)
    cfg = open_envelope(read_baked(io.BytesIO(exe.read_bytes())))
    assert cfg.site == "Zürich \u2013 東京" and cfg.tag == "VIP's" and cfg.name == 'Front "Desk"'
    with page.expect_download(timeout=600_000) as info:
        page.click("#installer-download-msi")
    assert info.value.suggested_filename == "guruconnect-agent.msi"
    msi_data = tmp_path / "agent.msi"
    info.value.save_as(msi_data)
    assert msi_data.read_bytes()[:8] == bytes.fromhex("d0cf11e0a1b11ae1")  # an OLE compound file
    msi_command = page.locator("#installer-msi-command").inner_text()
    assert "/install/gci_" in msi_command and "windows.msi" in msi_command

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
