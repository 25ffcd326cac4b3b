"""The file panel in Chromium against a real server and agent: browse and sort, 1 GB up
and down with the SHA-256 checked, drop and paste onto the viewer, the conflict prompt,
folder upload, resume after the connection is cut half-way, and a viewer refused.

The browser reaches the server through tests/support/proxy.py (its Origin allowed), so
a test can cut every connection at once, as a dead network would. No display is
needed: the file panel works without the remote screen.
"""

from __future__ import annotations

import os
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.support.agents import AgentProcess
from tests.support.databases import database_url
from tests.support.files import audit_entries, files_agent, make_file, sha256_of
from tests.support.proxy import CuttableProxy
from tests.support.server import ServerProcess
from tests.support.users import SignedIn, new_user, next_code, sign_in

GiB = 1024 * 1024 * 1024
# Chromium hashes uploads in JavaScript (web/src/files/sha256.ts), about 50-150 MB/s on
# this 2-core machine; 256 MiB keeps the suite short, GURU_E2E_UPLOAD_MB=1024 runs 1 GiB.
UPLOAD_BYTES = int(os.environ.get("GURU_E2E_UPLOAD_MB", "256")) * 1024 * 1024


@dataclass
class Stack:
    server: ServerProcess
    proxy: CuttableProxy
    admin: SignedIn
    agent: AgentProcess
    root: Path

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.proxy.port}"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    data = tmp_path_factory.mktemp("panel-server")
    root = tmp_path_factory.mktemp("panel-root")
    with database_url("sqlite", data) as url:
        server = ServerProcess(data, url)
        with CuttableProxy(server.port) as proxy:
            server.extra_env["GURU_ALLOWED_ORIGINS"] = f"https://127.0.0.1:{proxy.port}"
            server.start()
            try:
                admin = sign_in(server)
                home = tmp_path_factory.mktemp("panel-agent")
                with files_agent(server, admin, home, [root]) as agent:
                    yield Stack(server, proxy, admin, agent, root)
            finally:
                server.close_clients()
                server.stop()


def _sign_in(page: Page, stack: Stack, role: str = "admin") -> None:
    username, password = new_user(stack.server, role)
    page.goto(stack.url + "/console")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#login-submit")
    secret = page.locator("#totp-secret").inner_text(timeout=15000).replace(" ", "").strip()
    code, _ = next_code(secret)
    page.fill("#totp-code", code)
    page.click("#totp-submit")
    expect(page.locator("#live-status")).to_have_text("live", timeout=15000)


@pytest.fixture(scope="module")
def context(browser: Browser, stack: Stack) -> Iterator[BrowserContext]:
    context = browser.new_context(ignore_https_errors=True, accept_downloads=True)
    page = context.new_page()
    _sign_in(page, stack)
    page.close()
    yield context
    context.close()


def open_panel(context: BrowserContext, base: str, stack: Stack, folder: Path) -> Page:
    """The viewer at ``base`` with the file panel open, showing ``folder``."""
    page = context.new_page()
    page.goto(f"{base}/console#/view/{stack.agent.agent_id}")
    page.click("#files-toggle")
    expect(page.locator("#file-panel")).to_have_attribute("data-conn", "open", timeout=20000)
    expect(page.locator("#file-path")).to_have_text(str(stack.root), timeout=10000)
    page.locator(f'tr.entry[data-name="{folder.name}"] .entry-open').click()
    expect(page.locator("#file-path")).to_have_text(str(folder))
    return page


@pytest.fixture
def panel(context: BrowserContext, stack: Stack, request: pytest.FixtureRequest) -> Iterator[Page]:
    """The file panel on this test's own folder, straight to the server. (Through the
    Python proxy, Chromium's download manager cancelled large downloads before sending
    the request; only the resume test needs the proxy, and it only uploads.)"""
    folder = stack.root / request.node.name
    folder.mkdir()
    page = open_panel(context, stack.server.url, stack, folder)
    yield page
    page.close()


def folder_of(stack: Stack, request: pytest.FixtureRequest) -> Path:
    return stack.root / request.node.name


def test_browse_and_sort(panel: Page, stack: Stack, request: pytest.FixtureRequest) -> None:
    folder = folder_of(stack, request)
    (folder / "b-small.txt").write_bytes(b"x" * 10)
    (folder / "a-large.bin").write_bytes(b"x" * 5000)
    (folder / "sub").mkdir()
    panel.click("#file-refresh")
    rows = panel.locator("#file-table tbody tr")
    expect(rows).to_have_count(3)
    assert rows.evaluate_all("rs => rs.map(r => r.dataset.name)") == [
        "sub",
        "a-large.bin",
        "b-small.txt",
    ]
    panel.click("#file-table th:nth-child(2)")  # size, ascending: folders stay first
    assert rows.evaluate_all("rs => rs.map(r => r.dataset.name)") == [
        "sub",
        "b-small.txt",
        "a-large.bin",
    ]
    expect(rows.nth(2).locator("td").nth(1)).to_have_text("4.9 KiB")
    panel.locator('tr.entry[data-name="sub"] .entry-open').click()
    expect(panel.locator("#file-path")).to_have_text(str(folder / "sub"))
    panel.click("#file-up")
    expect(panel.locator("#file-path")).to_have_text(str(folder))


def test_folder_downloads_as_one_zip(
    panel: Page, stack: Stack, request: pytest.FixtureRequest
) -> None:
    folder = folder_of(stack, request)
    tree = {"notes.txt": b"notes", "logs/app.log": b"line\n" * 5000, "logs/old/ü.txt": b"u"}
    for rel, data in tree.items():
        (folder / "site" / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / "site" / rel).write_bytes(data)
    panel.click("#file-refresh")
    with panel.expect_download(timeout=30000) as info:
        panel.locator('tr.entry[data-name="site"] .entry-download-folder').click()
    download = info.value
    assert download.suggested_filename == "site.zip"
    saved = Path(download.path())
    assert download.failure() is None
    with zipfile.ZipFile(saved) as archive:
        assert archive.testzip() is None
        assert {name: archive.read(f"site/{name}") for name in tree} == tree
    row = panel.locator('#transfer-list li[data-name="site.zip"]')
    expect(row).to_have_attribute("data-state", "completed", timeout=30000)


def test_upload_then_one_gigabyte_download(
    panel: Page, stack: Stack, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    folder = folder_of(stack, request)
    local = tmp_path / "gig.bin"
    digest = make_file(local, UPLOAD_BYTES)
    panel.set_input_files("#file-input", str(local))
    row = panel.locator('#transfer-list li[data-name="gig.bin"]')
    expect(row).to_have_attribute("data-state", "running", timeout=20000)
    expect(row.locator(".transfer-speed")).to_contain_text("/s", timeout=20000)
    expect(row).to_have_attribute("data-state", "completed", timeout=180000)
    assert sha256_of(folder / "gig.bin") == digest
    expect(row.locator(".transfer-sha")).to_contain_text(digest[:12])
    assert (
        audit_entries(stack.admin, stack.agent.agent_id, "files.upload")[0]["details"]["sha256"]
        == digest
    )

    # The download is 1 GiB whatever the upload size: the agent's copy grows first.
    if GiB > UPLOAD_BYTES:
        digest = make_file(folder / "gig.bin", GiB, seed=3)
    panel.click("#file-refresh")
    expect(panel.locator('tr.entry[data-name="gig.bin"] td').nth(1)).to_have_text("1.0 GiB")
    with panel.expect_download(timeout=30000) as info:
        panel.locator('tr.entry[data-name="gig.bin"] .entry-download').click()
    download = info.value
    saved = Path(download.path())  # waits for the download to finish
    assert download.failure() is None
    assert saved.stat().st_size == GiB and sha256_of(saved) == digest
    down_row = panel.locator('#transfer-list li[data-name="gig.bin"][data-state="completed"]')
    expect(down_row).to_have_count(2, timeout=30000)  # the upload and the download
    expect(down_row.last.locator(".transfer-sha")).to_contain_text(digest[:12])


def test_drop_paste_conflict_and_folder(
    panel: Page, stack: Stack, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    folder = folder_of(stack, request)
    # Drop a file onto the remote screen: it uploads into the folder the panel shows.
    panel.evaluate(
        """() => {
            const dt = new DataTransfer();
            dt.items.add(new File(["dropped!"], "dropped.txt"));
            const screen = document.getElementById("viewer-screen");
            const init = {dataTransfer: dt, bubbles: true, cancelable: true};
            screen.dispatchEvent(new DragEvent("dragover", init));
            screen.dispatchEvent(new DragEvent("drop", init));
        }"""
    )
    expect(panel.locator('#transfer-list li[data-name="dropped.txt"]')).to_have_attribute(
        "data-state", "completed", timeout=20000
    )
    assert (folder / "dropped.txt").read_text() == "dropped!"
    # Paste (Ctrl+V) of a file: the same path, audited as a clipboard transfer.
    paste = """(text) => {
            const dt = new DataTransfer();
            dt.items.add(new File([text], "pasted.txt"));
            document.getElementById("viewer-screen").dispatchEvent(
                new ClipboardEvent("paste", {clipboardData: dt, bubbles: true, cancelable: true}));
        }"""
    panel.evaluate(paste, "first")
    first = panel.locator('#transfer-list li[data-name="pasted.txt"]').first
    expect(first).to_have_attribute("data-state", "completed", timeout=20000)
    entry = audit_entries(stack.admin, stack.agent.agent_id, "files.upload")[0]
    assert entry["details"]["via"] == "paste" and entry["details"]["path"] == str(
        folder / "pasted.txt"
    )
    # The same name again: the technician is asked; "Keep both" renames.
    panel.evaluate(paste, "second")
    conflict = panel.locator('#transfer-list li[data-name="pasted.txt"][data-state="conflict"]')
    expect(conflict).to_be_visible(timeout=20000)
    expect(conflict.locator(".transfer-conflict")).to_contain_text("already exists")
    conflict.locator(".conflict-rename").click()
    expect(
        panel.locator('#transfer-list li[data-name="pasted.txt"][data-state="completed"]')
    ).to_have_count(2)
    assert (folder / "pasted.txt").read_text() == "first"
    assert (folder / "pasted (1).txt").read_text() == "second"
    # Again, and skip: nothing changes.
    panel.evaluate(paste, "third")
    conflict.locator(".conflict-skip").click()
    expect(
        panel.locator('#transfer-list li[data-name="pasted.txt"][data-state="skipped"]')
    ).to_have_count(1)
    assert (folder / "pasted.txt").read_text() == "first"
    # Folder upload (the folder picker): the tree is recreated under the folder shown.
    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    (tree / "top.txt").write_text("top")
    (tree / "sub" / "deep.bin").write_bytes(os.urandom(2 * 1024 * 1024 + 7))
    panel.set_input_files("#folder-input", str(tree))
    for name in ("tree/top.txt", "tree/sub/deep.bin"):
        expect(panel.locator(f'#transfer-list li[data-name="{name}"]')).to_have_attribute(
            "data-state", "completed", timeout=20000
        )
    assert (folder / "tree" / "top.txt").read_text() == "top"
    assert sha256_of(folder / "tree" / "sub" / "deep.bin") == sha256_of(tree / "sub" / "deep.bin")


def test_upload_resumes_after_the_connection_is_cut(
    context: BrowserContext, stack: Stack, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    folder = folder_of(stack, request)
    folder.mkdir()
    panel = open_panel(context, stack.url, stack, folder)  # through the proxy we cut
    local = tmp_path / "resume.bin"
    size = 256 * 1024 * 1024
    digest = make_file(local, size, seed=7)
    panel.set_input_files("#file-input", str(local))
    row = panel.locator('#transfer-list li[data-name="resume.bin"]')
    part = folder / "resume.bin.part"
    expect(row.locator(".transfer-pct")).to_have_text(
        re.compile(r"^([5-9]\d|100)%$"), timeout=120000
    )
    stack.proxy.cut()  # every connection through the proxy drops at once
    expect(row.locator(".transfer-message")).to_contain_text("Resumed at", timeout=60000)
    expect(row).to_have_attribute("data-state", "completed", timeout=120000)
    assert sha256_of(folder / "resume.bin") == digest and not part.exists()
    resumed = audit_entries(stack.admin, stack.agent.agent_id, "files.upload")[0]["details"]
    assert resumed["outcome"] == "completed" and resumed["resumed_at"] >= size // 4


def test_viewer_role_sees_the_permission_message(browser: Browser, stack: Stack) -> None:
    context = browser.new_context(ignore_https_errors=True)
    page = context.new_page()
    try:
        _sign_in(page, stack, role="viewer")
        # Straight to the server: the test proxy aborts connections, losing close frames.
        page.goto(f"{stack.server.url}/console#/view/{stack.agent.agent_id}")
        page.click("#files-toggle")
        expect(page.locator("#file-panel-status")).to_contain_text("machines:files", timeout=20000)
        expect(page.locator("#file-table tbody tr")).to_have_count(0)
    finally:
        context.close()
    assert "no machines:files scope" in stack.server.log()
