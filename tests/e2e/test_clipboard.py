"""Clipboard and paste as keystrokes, end to end: a real server, agent and desktop
worker on an Xvfb display running the Tk test app, and two technicians in Chromium.

The remote side of the clipboard is read and written with ``xclip`` (another X client,
as any application there would be); the browser side with Chromium's own async
clipboard API (permissions granted, as a user would). One server (with a small
``clipboard_max_bytes``), one desktop and two signed-in technicians per module.
"""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from guruconnect.protocol import encode
from guruconnect.protocol.clipboard import (
    ClipboardChunk,
    ClipboardError,
    ClipboardFormat,
    ClipboardOffer,
    TypeText,
)
from guruconnect.protocol.codec import decode_viewer_outbound
from guruconnect.server.desktop.viewer_socket import WORKER_START_LIMIT
from tests.e2e.conftest import CHROMIUM_ARGS
from tests.e2e.test_dashboard import browser_sign_in
from tests.e2e.test_remote_control import VIEWPORT, Desk, canvas_box, desktop
from tests.support.browser_socket import browser_socket
from tests.support.clipboard import (
    PICTURE,
    page_read,
    page_write,
    pixels_of,
    png,
    probe,
    send_clipboard,
    x_copy,
    x_read,
)
from tests.support.server import ServerProcess, running_server
from tests.support.system import ensure_command
from tests.support.users import SignedIn, sign_in
from tests.support.wait import wait_for

LIMIT = 1_000_000  # clipboard_max_bytes of this module's server
TYPED = "Pa$$w0rd! é ü 😀 \t newline\nsecond line"


# --- fixtures ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def xclip() -> str:
    return ensure_command("xclip", "xclip")


@pytest.fixture(scope="module")
def clip_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    data = tmp_path_factory.mktemp("clip-server")
    with running_server(data, GURU_CLIPBOARD_MAX_BYTES=str(LIMIT)) as server:
        yield server


@pytest.fixture(scope="module")
def admin(clip_server: ServerProcess) -> SignedIn:
    return sign_in(clip_server)


@pytest.fixture(scope="module")
def desk(
    clip_server: ServerProcess, admin: SignedIn, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Desk]:
    with desktop(clip_server, admin, tmp_path_factory.mktemp("clip-desk"), two_monitors=False) as d:
        yield d


def technician(browser: Browser, server: ServerProcess) -> BrowserContext:
    """A browser context of a new technician (its own user), clipboard allowed."""
    context = browser.new_context(ignore_https_errors=True, viewport=VIEWPORT)  # type: ignore[arg-type]
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    page = context.new_page()
    browser_sign_in(page, server)
    page.close()
    return context


@pytest.fixture(scope="module")
def contexts(browser: Browser, clip_server: ServerProcess) -> Iterator[list[BrowserContext]]:
    # Two browsers, not two contexts of one: headless Chromium has one clipboard per
    # browser process, as a desktop has one per user session.
    chromium = ensure_command("chromium", "chromium")
    second = browser.browser_type.launch(
        executable_path=chromium, headless=True, args=CHROMIUM_ARGS
    )
    made = [technician(browser, clip_server), technician(second, clip_server)]
    yield made
    for context in made:
        context.close()
    second.close()


def open_viewer(context: BrowserContext, server: ServerProcess, desk: Desk, role: str) -> Page:
    page = context.new_page()
    page.goto(f"{server.url}/console#/view/{desk.agent.agent_id}")
    expect(page.locator("#viewer")).to_have_attribute("data-role", role, timeout=30000)
    # As long as the server waits for the desktop worker to start, and a little more.
    wait = (WORKER_START_LIMIT + 15) * 1000
    page.wait_for_function("() => (window.__guruViewer?.framesDrawn ?? 0) > 0", timeout=wait)
    return page


@pytest.fixture(scope="module")
def viewers(
    contexts: list[BrowserContext], clip_server: ServerProcess, desk: Desk
) -> tuple[Page, Page]:
    """Technician A (first: in control) and technician B (watching)."""
    a = open_viewer(contexts[0], clip_server, desk, "controller")
    b = open_viewer(contexts[1], clip_server, desk, "observer")
    return a, b


def audit(admin: SignedIn, desk: Desk, action: str) -> list[dict[str, Any]]:
    entries = admin.client.get(f"/api/v1/machines/{desk.agent.agent_id}/audit").json()["entries"]
    return [e for e in entries if e["action"] == action]


# --- browser -> remote -------------------------------------------------------------------


def test_text_and_html_from_the_page_to_the_remote_clipboard(
    viewers: tuple[Page, Page], desk: Desk, xclip: str, admin: SignedIn
) -> None:
    a, _ = viewers
    text, html = "héllo from the browser ✓", "<b>gras</b> et <i>italique</i> é"
    page_write(a, {"text/plain": text.encode(), "text/html": html.encode()})
    send_clipboard(a)
    wait_for(lambda: x_read(xclip, desk.display, "UTF8_STRING") == text.encode(),
             "the text on the X clipboard")  # fmt: skip
    got_html = (x_read(xclip, desk.display, "text/html") or b"").decode()
    # Chromium sanitizes HTML on its clipboard (it may add a <meta charset>): the
    # markup the user copied must be there, unchanged.
    assert html in got_html, got_html
    targets = (x_read(xclip, desk.display, "TARGETS") or b"").decode().split()
    assert {"UTF8_STRING", "text/html", "STRING"} <= set(targets), targets
    sent = audit(admin, desk, "desktop.clipboard_to_remote")
    assert sent and sent[0]["details"]["kinds"] == ["text", "html"], sent
    assert sent[0]["details"]["sha256"]["text"] == hashlib.sha256(text.encode()).hexdigest()


def test_png_from_the_page_to_the_remote_clipboard(
    viewers: tuple[Page, Page], desk: Desk, xclip: str
) -> None:
    a, _ = viewers
    page_write(a, {"image/png": png(PICTURE)})
    send_clipboard(a)
    got = wait_for(lambda: x_read(xclip, desk.display, "image/png"), "a PNG on the X clipboard")
    assert got.startswith(b"\x89PNG"), got[:16]
    # Chromium re-encodes images on its clipboard: compare pixels, not bytes.
    assert pixels_of(got) == [p for row in PICTURE for p in row]


# --- remote -> browser -------------------------------------------------------------------


def test_remote_copies_reach_each_technician(
    viewers: tuple[Page, Page], desk: Desk, xclip: str
) -> None:
    for page in viewers:
        page_write(page, {"text/plain": b"before"})
    counts = [probe(p).get("received", 0) for p in viewers]

    x_copy(xclip, desk.display, "UTF8_STRING", "copié à distance ✓".encode())
    for page, count in zip(viewers, counts, strict=True):
        wait_for(lambda p=page, c=count: probe(p).get("received", 0) > c, "the remote copy")  # type: ignore[misc]
        assert page_read(page).get("text/plain") == "copié à distance ✓".encode()

    html = "<p>remote <b>rich</b> text</p>"
    x_copy(xclip, desk.display, "text/html", html.encode())
    for page in viewers:
        wait_for(lambda p=page: html in page_read(p).get("text/html", b"").decode(),  # type: ignore[misc]
                 "the remote HTML in the browser")  # fmt: skip

    x_copy(xclip, desk.display, "image/png", png(PICTURE))
    for page in viewers:
        wait_for(lambda p=page: "image/png" in page_read(p), "the remote PNG in the browser")  # type: ignore[misc]
        assert pixels_of(page_read(page)["image/png"]) == [p for row in PICTURE for p in row]


def test_files_copied_remotely_are_offered_for_download(
    viewers: tuple[Page, Page], desk: Desk, xclip: str, admin: SignedIn, tmp_path: Path
) -> None:
    # A file manager on the remote machine copies a file and a folder.
    report = tmp_path / "rapport ü.txt"
    report.write_bytes(b"quarterly numbers\n" * 1000)
    logs = tmp_path / "logs"
    (logs / "old").mkdir(parents=True)
    (logs / "app.log").write_bytes(b"started\n")
    (logs / "old" / "app.1.log").write_bytes(b"older\n")
    uris = "\r\n".join(p.as_uri() for p in (report, logs)).encode() + b"\r\n"
    x_copy(xclip, desk.display, "text/uri-list", uris)

    for page in viewers:  # both technicians may fetch files
        panel = page.locator("#clipboard-files")
        expect(panel.locator("li")).to_have_count(2, timeout=30000)
    a = viewers[0]
    row = a.locator(f'#clipboard-files li[data-path="{report}"]')
    expect(row).to_contain_text("18 kB")
    with a.expect_download(timeout=30000) as info:
        row.locator(".clipboard-file-download").click()
    assert Path(info.value.path()).read_bytes() == report.read_bytes()
    with a.expect_download(timeout=30000) as info:
        a.locator(f'#clipboard-files li[data-path="{logs}"] .clipboard-file-download').click()
    assert info.value.suggested_filename == "logs.zip"
    with zipfile.ZipFile(info.value.path()) as archive:
        assert archive.read("logs/old/app.1.log") == b"older\n"
        assert archive.read("logs/app.log") == b"started\n"

    listed = audit(admin, desk, "desktop.clipboard_files_from_remote")
    assert listed and listed[0]["details"]["count"] == 2
    assert listed[0]["details"]["paths"] == [str(report), str(logs)]
    wanted = {(str(report), "completed"), (str(logs), "completed")}
    wait_for(
        lambda: {(e["details"]["path"], e["details"]["outcome"])
                 for e in audit(admin, desk, "files.download")} >= wanted,
        "both downloads in the audit log",
    )  # fmt: skip
    a.click("#clipboard-files-close")
    expect(a.locator("#clipboard-files")).to_have_count(0)


def test_large_items_go_in_chunks_both_ways(
    viewers: tuple[Page, Page], desk: Desk, xclip: str
) -> None:
    a, _ = viewers
    # Just under this server's limit: 14 chunks of 64 KiB, and INCR on the X side.
    outgoing = ("0123456789abcdef" * 60_000).encode()
    page_write(a, {"text/plain": outgoing})
    send_clipboard(a)
    wait_for(lambda: x_read(xclip, desk.display, "UTF8_STRING") == outgoing,
             "the large item on the X clipboard")  # fmt: skip
    incoming = ("zyxwvu" * 160_000).encode()
    count = probe(a).get("received", 0)
    x_copy(xclip, desk.display, "UTF8_STRING", incoming)
    wait_for(lambda: probe(a).get("received", 0) > count, "the large remote copy")
    assert page_read(a).get("text/plain") == incoming


def test_two_technicians_never_see_each_others_clipboard(
    viewers: tuple[Page, Page], desk: Desk, xclip: str
) -> None:
    a, b = viewers
    page_write(b, {"text/plain": b"B's own clipboard"})
    received_b = probe(b).get("received", 0)
    page_write(a, {"text/plain": b"secret of A"})
    send_clipboard(a)
    wait_for(lambda: x_read(xclip, desk.display, "UTF8_STRING") == b"secret of A",
             "A's item on the remote machine")  # fmt: skip
    # B asks for the remote clipboard: it holds A's item, which is not B's to get.
    b.bring_to_front()
    b.click("#clipboard-menu summary")
    b.click("#clipboard-get")
    expect(b.locator("#clipboard-error")).to_contain_text("nothing to get", timeout=15000)
    assert probe(b).get("received", 0) == received_b
    assert page_read(b).get("text/plain") == b"B's own clipboard"
    # B watches: B's own clipboard cannot be sent (the button is off, the server refuses).
    b.click("#clipboard-menu summary")
    expect(b.locator("#clipboard-send")).to_be_disabled()


def test_items_over_the_limit_get_a_clear_message(
    viewers: tuple[Page, Page], desk: Desk, xclip: str
) -> None:
    a, b = viewers
    before = x_read(xclip, desk.display, "UTF8_STRING")
    page_write(a, {"text/plain": b"x" * (LIMIT + 200_000)})
    send_clipboard(a)
    error = a.locator("#clipboard-error")
    expect(error).to_contain_text("1.2 MB", timeout=15000)
    expect(error).to_contain_text("limit of 1.0 MB")
    assert x_read(xclip, desk.display, "UTF8_STRING") == before

    x_copy(xclip, desk.display, "UTF8_STRING", b"y" * (LIMIT + 1))
    for page in (a, b):
        expect(page.locator("#clipboard-error")).to_contain_text(
            "The remote machine copied 1.0 MB", timeout=15000
        )


def test_automatic_sync_sends_on_focus_unless_switched_off(
    viewers: tuple[Page, Page], desk: Desk, xclip: str
) -> None:
    a, _ = viewers
    a.bring_to_front()
    page_write(a, {"text/plain": b"copied elsewhere, then back to the viewer"})
    a.evaluate("() => window.dispatchEvent(new Event('focus'))")
    wait_for(lambda: x_read(xclip, desk.display, "UTF8_STRING")
             == b"copied elsewhere, then back to the viewer", "the automatic sync")  # fmt: skip
    a.click("#clipboard-menu summary")
    a.uncheck("#clipboard-auto")
    a.click("#clipboard-menu summary")
    sent = probe(a)["sent"]
    page_write(a, {"text/plain": b"not for the remote machine"})
    a.evaluate("() => window.dispatchEvent(new Event('focus'))")
    a.wait_for_timeout(1000)
    assert probe(a)["sent"] == sent
    assert x_read(xclip, desk.display, "UTF8_STRING") != b"not for the remote machine"
    # Remote copies are not written into the local clipboard either, until asked for.
    x_copy(xclip, desk.display, "UTF8_STRING", b"remote while off")
    a.wait_for_timeout(1000)
    assert page_read(a).get("text/plain") == b"not for the remote machine"
    a.click("#clipboard-menu summary")
    a.click("#clipboard-get")
    wait_for(lambda: page_read(a).get("text/plain") == b"remote while off", "get clipboard")
    a.click("#clipboard-menu summary")
    a.check("#clipboard-auto")
    a.click("#clipboard-menu summary")


def test_a_read_only_user_is_refused_and_logged(
    clip_server: ServerProcess, desk: Desk, xclip: str, admin: SignedIn, viewers: Any
) -> None:
    x_copy(xclip, desk.display, "UTF8_STRING", b"untouched")
    watcher = sign_in(clip_server, role="viewer")
    path = f"/ws/viewer/{desk.agent.agent_id}"
    with browser_socket(clip_server, path, watcher) as ws:
        data = b"evil"
        digest = hashlib.sha256(data).digest()
        offer = ClipboardOffer(transfer=1, formats=[ClipboardFormat("text", len(data), digest)])
        ws.send(encode(offer))
        ws.send(encode(ClipboardChunk(transfer=1, index=0, data=data)))
        ws.send(encode(TypeText(job=1, text="rm -rf /")))
        errors: list[msgspec.Struct] = []
        while len(errors) < 2:
            message = decode_viewer_outbound(ws.recv(timeout=15))
            if isinstance(message, ClipboardError):
                errors.append(message)
        assert all("machines:control" in e.message for e in errors), errors  # type: ignore[attr-defined]
    assert x_read(xclip, desk.display, "UTF8_STRING") == b"untouched"
    refused = [e for e in audit(admin, desk, "desktop.clipboard_refused")
               if e["user"] == watcher.username]  # fmt: skip
    assert {e["details"]["message"] for e in refused} == {"ClipboardOffer", "TypeText"}, refused
    assert "rm -rf" not in str(audit(admin, desk, "desktop.type_text"))

    # A technician who may control, but watches while someone else has control.
    other = sign_in(clip_server)
    with browser_socket(clip_server, path, other) as ws:
        ws.send(encode(TypeText(job=1, text="whoami")))
        while not isinstance(message := decode_viewer_outbound(ws.recv(timeout=15)),
                             ClipboardError):  # fmt: skip
            pass
        assert "another technician has control" in message.message
    refused = [e for e in audit(admin, desk, "desktop.clipboard_refused")
               if e["user"] == other.username]  # fmt: skip
    assert [e["details"]["message"] for e in refused] == ["TypeText"], refused


# --- paste as keystrokes ---------------------------------------------------------------------


def focus_notes(page: Page, desk: Desk) -> str:
    """Click into the app's notes, cursor at the end; returns what they hold."""
    x0, y0, x1, y1 = desk.app.layout.notes
    page.bring_to_front()
    since = desk.app.mark()
    page.mouse.click(*canvas_box(page).client((x0 + x1) // 2, (y0 + y1) // 2))
    page.keyboard.press("Control+End")
    desk.app.wait_for(lambda e: e["type"] == "key" and e["keysym"] == "End" and not e["press"],
                      "the cursor to move to the end of the notes", since=since)  # fmt: skip
    return desk.app.notes() or ""


def open_paste_dialog(page: Page, text: str, interval: int) -> None:
    page.click("#clipboard-menu summary")
    page.click("#paste-keys")
    page.fill("#paste-text", text)
    page.select_option("#paste-speed", str(interval))


def test_paste_as_keystrokes_types_exactly(
    viewers: tuple[Page, Page], desk: Desk, admin: SignedIn
) -> None:
    a, _ = viewers
    before = focus_notes(a, desk)
    open_paste_dialog(a, TYPED, 20)
    a.click("#paste-type")
    expect(a.locator("#paste-status")).to_have_attribute("data-state", "done", timeout=60000)
    try:
        wait_for(lambda: desk.app.notes() == before + TYPED, "the typed text", timeout=10)
    except AssertionError:
        raise AssertionError(f"the notes read {desk.app.notes()!r}, expected "
                             f"{before + TYPED!r}") from None  # fmt: skip
    a.click("#paste-close")
    typed = audit(admin, desk, "desktop.type_text")[0]
    assert typed["details"]["characters"] == len(TYPED), typed
    assert "w0rd" not in str(typed), typed  # the text itself is never recorded


def test_long_texts_ask_first_and_cancel_stops_typing(
    viewers: tuple[Page, Page], desk: Desk
) -> None:
    a, _ = viewers
    before = focus_notes(a, desk)
    long_text = "abcdefghij" * 30  # 300 characters: over the confirmation threshold
    open_paste_dialog(a, long_text, 100)
    a.click("#paste-type")
    expect(a.locator("#paste-confirm-text")).to_contain_text("Type 300 characters")
    a.click("#paste-confirm")
    wait_for(lambda: len(desk.app.notes() or "") >= len(before) + 5, "typing to start")
    a.click("#paste-cancel")
    expect(a.locator("#paste-status")).to_have_attribute("data-state", "cancelled", timeout=15000)
    stopped_at = (desk.app.notes() or "")[len(before) :]
    mark = desk.app.mark()
    a.wait_for_timeout(1500)  # ten more characters' time: nothing more may arrive
    assert desk.app.notes(mark) is None, "typing went on after Cancel"
    assert 5 <= len(stopped_at) < 300 and long_text.startswith(stopped_at), stopped_at
    a.click("#paste-close")
