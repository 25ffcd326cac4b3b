"""Support sessions in a real browser: the public portal, and the technician's list
and chat updating live while a guest (a raw /ws/support client) joins and talks."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Browser, Page, expect

from guruconnect.protocol import encode
from guruconnect.protocol.support import ChatLine, ChatSend, Consent
from tests.support.guest import create_session, guest_socket, hello, portal_join, recv
from tests.support.server import ServerProcess
from tests.support.users import new_user, next_code, sign_in


def browser_sign_in(page: Page, server: ServerProcess, role: str) -> str:
    username, password = new_user(server, role)
    page.goto(server.url + "/console")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#login-submit")
    secret = page.locator("#totp-secret").inner_text(timeout=15000).replace(" ", "").strip()
    code, _ = next_code(secret)
    page.fill("#totp-code", code)
    page.click("#totp-submit")
    expect(page.locator("#live-status")).to_have_text("live", timeout=15000)
    return username


def test_portal_wrong_code_then_right_code(
    page: Page, server_factory: Callable[..., ServerProcess]
) -> None:
    server = server_factory("sqlite", GURU_PORTAL_NAME="Acme IT Help")
    tech = sign_in(server, "technician")
    right = str(create_session(tech, name="Printer")["code"])
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    scripts: list[str] = []
    page.on("request", lambda r: scripts.append(r.url) if r.resource_type == "script" else None)
    page.goto(server.url + "/")
    expect(page.locator("h1")).to_have_text("Acme IT Help")
    expect(page).to_have_title("Acme IT Help")
    page.fill("#code", wrong)
    page.click("#join button")
    expect(page.locator("#message")).to_contain_text("not valid", timeout=10000)
    expect(page.locator("#download")).to_be_hidden()
    page.fill("#code", f"{right[:3]} {right[3:]}")
    page.click("#join button")
    downloads = page.locator("#download a.portal-download")
    # Both one-time agents (support_windows_agent is on by default).
    expect(downloads).to_have_text(["Download for Linux", "Download for Windows"], timeout=10000)
    download = downloads.first
    assert (download.get_attribute("href") or "").startswith("/portal/agent/")
    expect(page.locator("#download h2")).to_contain_text("ready to help")
    assert scripts and all(s.endswith("/static/portal.js") for s in scripts), scripts


def test_portal_link_fills_the_code_and_works_without_javascript(
    browser: Browser, server: ServerProcess
) -> None:
    tech = sign_in(server, "technician")
    made = create_session(tech)
    context = browser.new_context(ignore_https_errors=True, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(str(made["link"]))  # https://127.0.0.1:PORT/?code=123456
        expect(page.locator("#code")).to_have_value(str(made["code"]))
        page.click("#join button")  # a plain form post to /portal/join
        expect(page.locator("#download a.portal-download").first).to_be_visible(timeout=10000)
        page.goto(server.url + "/")
        page.fill("#code", "000000" if made["code"] != "000000" else "000001")
        page.click("#join button")
        expect(page.locator("#message")).to_contain_text("not valid")
    finally:
        context.close()


def test_technician_creates_sees_the_guest_join_and_chats(
    page: Page, server: ServerProcess
) -> None:
    browser_sign_in(page, server, "technician")
    page.click("#tab-support")
    page.fill("#support-name", "Broken printer")
    page.click("#support-create-btn")
    code = page.locator("#support-created .support-code").inner_text(timeout=10000).strip()
    assert len(code) == 6 and code.isdigit()
    row = page.locator("#support-list tr", has_text="Broken printer")
    expect(row.locator("td.status")).to_have_text("waiting")
    token = portal_join(server, code)
    with guest_socket(server) as guest:
        hello(guest, token, username="carol")
        # The list updates live, without reloading, as the guest joins.
        expect(row.locator("td.status")).to_have_text(
            "guest joined (asking for access)", timeout=15000
        )
        expect(row).to_contain_text("carol")
        row.click()
        chat = page.locator("#support-chat")
        expect(chat).to_be_visible()
        guest.send(encode(ChatSend(text="Hello, the printer is jammed")))
        expect(chat.locator(".chat-line.guest")).to_contain_text("Hello, the printer is jammed",
                                                                  timeout=15000)  # fmt: skip
        page.fill("#support-chat-input", "Open the tray, please")
        page.click("#support-chat-send")
        line = recv(guest, ChatLine)
        while isinstance(line, ChatLine) and line.sender == "guest":
            line = recv(guest, ChatLine)
        assert isinstance(line, ChatLine) and line.text == "Open the tray, please"
        expect(chat.locator(".chat-line.technician")).to_contain_text("Open the tray, please")
        connect = row.locator("button.connect")
        expect(connect).to_be_disabled()
        guest.send(encode(Consent(allowed=True)))
        expect(row.locator("td.status")).to_have_text("active", timeout=15000)
        expect(connect).to_be_enabled()
        row.locator("button.end").click()
        history = page.locator("#support-history tr", has_text="Broken printer")
        expect(history.locator("td.status")).to_have_text("ended", timeout=15000)
        expect(page.locator("#support-list tr", has_text="Broken printer")).to_have_count(0)
