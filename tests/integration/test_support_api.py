"""Support sessions through the real server: authorization, codes, the portal's limits,
the guest's socket, consent before any desktop, chat, ending and releasing the code.

The guest is a raw /ws/support client (tests/support/guest.py); the whole life with the
real one-time agent on Xvfb is tests/integration/test_support_lifecycle.py.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from guruconnect.protocol import encode
from guruconnect.protocol.codec import decode_support_server
from guruconnect.protocol.desktop import DesktopOpen
from guruconnect.protocol.support import (
    ChatLine,
    ChatSend,
    Consent,
    EndSession,
    SessionEnded,
    SupportHello,
    TechnicianChanged,
)
from guruconnect.server.db.engine import make_engine
from tests.support.agents import client_ssl
from tests.support.browser_socket import browser_socket
from tests.support.guest import closed_with, create_session, guest_socket, hello, portal_join, recv
from tests.support.server import ServerProcess
from tests.support.users import SignedIn, sign_in
from tests.support.wait import wait_for


@pytest.fixture(scope="module")
def server(module_server: ServerProcess) -> ServerProcess:
    """One server for this module's tests: each signs in its own users and makes its own
    objects, so none depends on a fresh server."""
    return module_server

Factory = Callable[..., ServerProcess]


def sql(server: ServerProcess, statement: str, **params: object) -> list[tuple[object, ...]]:
    """Read (or write) the server's own database, to check what the API cannot show."""

    async def run() -> list[tuple[object, ...]]:
        engine = make_engine(server.database_url)
        try:
            async with engine.begin() as conn:
                result = await conn.execute(text(statement), params)
                return [tuple(r) for r in result] if result.returns_rows else []
        finally:
            await engine.dispose()

    return asyncio.run(run())


def session_of(user: SignedIn, session_id: object) -> dict[str, object]:
    r = user.client.get(f"/api/v1/support-sessions/{session_id}")
    assert r.status_code == 200, r.text
    return dict(r.json())


# --- authorization ------------------------------------------------------------------


def test_only_support_roles_and_only_their_sessions(server: ServerProcess) -> None:
    tech_a = sign_in(server, "technician")
    tech_b = sign_in(server, "technician")
    viewer = sign_in(server, "viewer")
    admin = sign_in(server, "admin")
    techs = tech_a.client.get("/api/v1/support-sessions/technicians").json()["technicians"]
    a_id = next(t["id"] for t in techs if t["username"] == tech_a.username)
    assert viewer.username not in {t["username"] for t in techs}

    mine = create_session(tech_a, name="Printer", assigned_to=a_id, note="3rd floor")
    assert mine["status"] == "waiting" and mine["technician"] == tech_a.username
    assert str(mine["link"]).endswith(f"/?code={mine['code']}")
    first_come = create_session(tech_b)

    # The viewer role has no support:sessions scope at all.
    assert viewer.client.get("/api/v1/support-sessions").status_code == 403
    assert viewer.post("/api/v1/support-sessions", json={}).status_code == 403
    # B sees the first-come session but not A's; acting on A's is "no such session".
    listed = {s["id"] for s in tech_b.client.get("/api/v1/support-sessions").json()["sessions"]}
    assert first_come["id"] in listed and mine["id"] not in listed
    for attempt in (
        tech_b.client.get(f"/api/v1/support-sessions/{mine['id']}"),
        tech_b.post(f"/api/v1/support-sessions/{mine['id']}/end"),
        tech_b.post(f"/api/v1/support-sessions/{mine['id']}/cancel"),
        tech_b.post(f"/api/v1/support-sessions/{mine['id']}/claim"),
        tech_b.post(f"/api/v1/support-sessions/{mine['id']}/chat", json={"text": "hi"}),
        tech_b.client.get(f"/api/v1/support-sessions/{mine['id']}/chat"),
    ):
        assert attempt.status_code == 404, attempt.text
    assert session_of(tech_a, mine["id"])["status"] == "waiting"
    # Administrators see everything.
    listed = {s["id"] for s in admin.client.get("/api/v1/support-sessions").json()["sessions"]}
    assert {mine["id"], first_come["id"]} <= listed
    # Assigning to someone who may not take support sessions is refused.
    viewer_id = sql(server, "SELECT id FROM users WHERE username = :u", u=viewer.username)[0][0]
    r = tech_a.post("/api/v1/support-sessions", json={"assigned_to": viewer_id})
    assert r.status_code == 422 and "assigned_to" in r.text
    # Bad input gets a clear 422.
    r = tech_a.post("/api/v1/support-sessions", json={"expires_in_minutes": 0})
    assert r.status_code == 422
    r = tech_a.post(f"/api/v1/support-sessions/{mine['id']}/chat", json={"text": ""})
    assert r.status_code == 422


def test_writes_need_the_csrf_token_and_our_origin(server: ServerProcess) -> None:
    tech = sign_in(server, "technician")
    r = tech.client.post("/api/v1/support-sessions", json={})
    assert r.status_code == 403 and "CSRF" in r.text
    r = tech.client.post(
        "/api/v1/support-sessions",
        json={},
        headers={"x-csrf-token": tech.csrf, "origin": "https://evil.example"},
    )
    assert r.status_code == 403 and "cross-origin" in r.text
    made = create_session(tech)
    r = tech.client.post(f"/api/v1/support-sessions/{made['id']}/end")
    assert r.status_code == 403
    assert session_of(tech, made["id"])["status"] == "waiting"
    # The public portal refuses a foreign Origin too (no cross-site guessing via visitors).
    r = server.client(origin=False).post(
        "/api/v1/portal/join",
        json={"code": made["code"]},
        headers={"origin": "https://evil.example"},
    )
    assert r.status_code == 403


def test_api_keys_need_the_support_scope(server: ServerProcess) -> None:
    admin = sign_in(server)
    key = admin.post("/api/v1/api-keys", json={"name": "ro", "scopes": ["machines:read"]})
    assert key.status_code == 201, key.text
    bearer = {"authorization": f"Bearer {key.json()['key']}"}
    assert server.client().get("/api/v1/support-sessions", headers=bearer).status_code == 403


# --- codes ------------------------------------------------------------------------


def test_200_codes_at_once_are_distinct_and_never_active_twice(
    server_factory: Factory, db_kind: str
) -> None:
    server = server_factory(db_kind)
    techs = [sign_in(server, "technician") for _ in range(4)]

    def make(i: int) -> dict[str, object]:
        return create_session(techs[i % len(techs)], name=f"s{i}")

    with ThreadPoolExecutor(max_workers=32) as pool:
        made = list(pool.map(make, range(200)))
    codes = [str(s["code"]) for s in made]
    assert len(set(codes)) == 200
    assert all(len(c) == 6 and c.isdigit() for c in codes)
    rows = sql(server, "SELECT active_code FROM support_sessions WHERE active_code IS NOT NULL")
    assert len(rows) == 200 and len({r[0] for r in rows}) == 200
    # The database itself refuses a second live session with a live code.
    with pytest.raises(IntegrityError):
        sql(
            server,
            "INSERT INTO support_sessions (id, code, active_code, name, note, status, consent,"
            " created_by_name, technician_name, created_at, ended_by, end_reason,"
            " guest_hostname, guest_os, guest_username, guest_ip) VALUES ('s_dup', :c, :c,"
            " '', '', 'waiting', 'pending', '', '', CURRENT_TIMESTAMP, '', '', '', '', '', '')",
            c=codes[0],
        )


def test_cancel_releases_the_code_and_the_portal_refuses_it(server: ServerProcess) -> None:
    tech = sign_in(server, "technician")
    made = create_session(tech)
    r = tech.post(f"/api/v1/support-sessions/{made['id']}/cancel")
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert sql(server, "SELECT active_code FROM support_sessions WHERE id = :i", i=made["id"]) == [
        (None,)
    ]
    r = server.client().post("/api/v1/portal/join", json={"code": made["code"]})
    assert r.status_code == 404 and "not valid" in r.json()["detail"]
    assert tech.post(f"/api/v1/support-sessions/{made['id']}/cancel").status_code == 409
    history = tech.client.get("/api/v1/support-sessions?history=true").json()["sessions"]
    assert made["id"] in {s["id"] for s in history}


def test_both_one_time_agents_are_offered_by_default(server: ServerProcess) -> None:
    tech = sign_in(server, "technician")
    made = create_session(tech)
    r = server.client().post("/api/v1/portal/join", json={"code": made["code"]})
    assert r.status_code == 200, r.text
    downloads = r.json()["downloads"]
    assert [(d["platform"], d["filename"]) for d in downloads] == [
        ("linux", "guruconnect-support.sh"), ("windows", "guruconnect-support.exe"),
    ]  # fmt: skip
    token = downloads[0]["url"].split("/")[3]
    assert downloads[1]["url"] == f"/portal/agent/{token}/windows"
    # (The EXE itself is built, signed and baked in test_windows_installers.py.)


def test_the_windows_agent_is_not_offered_when_disabled(
    server_factory: Callable[..., ServerProcess],
) -> None:
    server = server_factory("sqlite", GURU_SUPPORT_WINDOWS_AGENT="false")
    tech = sign_in(server, "technician")
    made = create_session(tech)
    r = server.client().post("/api/v1/portal/join", json={"code": made["code"]})
    assert r.status_code == 200, r.text
    assert [d["platform"] for d in r.json()["downloads"]] == ["linux"]
    token = r.json()["downloads"][0]["url"].split("/")[3]
    r = server.client(origin=False).get(f"/portal/agent/{token}/windows")
    assert r.status_code == 404 and "does not offer" in r.text


def test_expired_code_is_refused_and_released(server: ServerProcess) -> None:
    tech = sign_in(server, "technician")
    made = create_session(tech, expires_in_minutes=30)
    assert made["expires_at"]
    # Move the expiry into the past instead of waiting half an hour.
    sql(server, "UPDATE support_sessions SET expires_at = :t WHERE id = :i",
        t="2000-01-01 00:00:00+00:00", i=made["id"])  # fmt: skip
    r = server.client().post("/api/v1/portal/join", json={"code": made["code"]})
    assert r.status_code == 404
    got = session_of(tech, made["id"])
    assert got["status"] == "expired" and got["end_reason"] == "expired"
    assert sql(server, "SELECT active_code FROM support_sessions WHERE id = :i", i=made["id"]) == [
        (None,)
    ]


def test_an_expired_code_shows_as_expired_without_anyone_asking(server_factory: Factory) -> None:
    server = server_factory("sqlite", GURU_SUPPORT_EXPIRY_SWEEP_SECONDS="1")
    tech = sign_in(server, "technician")
    made = create_session(tech, expires_in_minutes=30)
    with browser_socket(server, "/ws/support-live", tech) as live:
        assert json.loads(live.recv(timeout=10))["type"] == "hello"
        sql(server, "UPDATE support_sessions SET expires_at = :t WHERE id = :i",
            t="2000-01-01 00:00:00+00:00", i=made["id"])  # fmt: skip
        # No list, no portal: the server's own sweep releases the code and says so.
        event = wait_live(live, lambda e: e.get("session", {}).get("status") == "expired")
        assert event["session"]["id"] == made["id"]
    assert sql(server, "SELECT active_code FROM support_sessions WHERE id = :i", i=made["id"]) == [
        (None,)
    ]


# --- guessing ------------------------------------------------------------------------


def test_guessing_is_throttled_per_address_and_a_right_code_elsewhere_works(
    server_factory: Factory,
) -> None:
    server = server_factory(
        "sqlite",
        GURU_TRUSTED_PROXIES="127.0.0.1",
        GURU_SUPPORT_JOIN_MAX_FAILURES_PER_IP="5",
        GURU_SUPPORT_JOIN_MAX_FAILURES_GLOBAL="50",
    )
    tech = sign_in(server, "technician")
    made = create_session(tech)
    right = str(made["code"])
    wrong = [f"{(int(right) + 1 + i) % 1_000_000:06d}" for i in range(12)]
    client = server.client()
    attacker = {"x-forwarded-for": "198.51.100.1"}
    statuses = [
        client.post("/api/v1/portal/join", json={"code": c}, headers=attacker).status_code
        for c in wrong
    ]
    assert statuses[:5] == [404] * 5 and set(statuses[5:]) == {429}
    throttled = client.post("/api/v1/portal/join", json={"code": right}, headers=attacker)
    assert throttled.status_code == 429
    assert "wrong codes from your network" in throttled.json()["detail"]
    assert int(throttled.headers["retry-after"]) > 0
    # The legitimate user at another address is not locked out.
    token = portal_join(server, right, ip="203.0.113.50")
    assert len(token) >= 43
    # Every attempt is logged, throttled ones included.
    log = server.log()
    assert log.count("portal join from 198.51.100.1") == 13
    assert "portal join from 203.0.113.50: code accepted" in log
    audited = sql(
        server,
        "SELECT details FROM audit_log WHERE action = 'support.portal_join'",
    )
    results = [(json.loads(r[0]) if isinstance(r[0], str) else r[0])["result"] for r in audited]  # type: ignore[index]
    assert results.count("wrong_code") == 5 and results.count("accepted") == 1


def test_guessing_from_many_addresses_hits_the_global_limit(server_factory: Factory) -> None:
    server = server_factory(
        "sqlite",
        GURU_TRUSTED_PROXIES="127.0.0.1",
        GURU_SUPPORT_JOIN_MAX_FAILURES_PER_IP="3",
        GURU_SUPPORT_JOIN_MAX_FAILURES_GLOBAL="6",
    )
    tech = sign_in(server, "technician")
    right = str(create_session(tech)["code"])
    wrong = f"{(int(right) + 7) % 1_000_000:06d}"
    client = server.client()
    for i in range(6):
        r = client.post(
            "/api/v1/portal/join",
            json={"code": wrong},
            headers={"x-forwarded-for": f"198.51.100.{10 + i}"},
        )
        assert r.status_code == 404
    r = client.post(
        "/api/v1/portal/join", json={"code": right}, headers={"x-forwarded-for": "203.0.113.9"}
    )
    assert r.status_code == 429 and "wrong codes on this server" in r.json()["detail"]


def test_portal_input_is_validated(server: ServerProcess) -> None:
    client = server.client()
    for bad in ({"code": "12345"}, {"code": "abcdef"}, {}, {"code": "1" * 5000}):
        assert client.post("/api/v1/portal/join", json=bad).status_code == 422
    assert client.get("/portal/agent/not-a-token/linux").status_code == 404
    assert client.get("/portal/agent/" + "A" * 43 + "/linux").status_code == 404


def test_portal_page_reveals_only_its_name_and_logo(
    server_factory: Factory, tmp_path: Path
) -> None:
    logo = tmp_path / "logo.png"
    logo.write_bytes(b"\x89PNG\r\n\x1a\n fake but served as is")
    server = server_factory(
        "sqlite", GURU_PORTAL_NAME="Acme <Help> Desk", GURU_PORTAL_LOGO_PATH=str(logo)
    )
    served = server.client().get("/portal/logo")
    assert served.status_code == 200 and served.headers["content-type"] == "image/png"
    assert served.content == logo.read_bytes()
    page = server.client().get("/?code=123456")
    assert page.status_code == 200
    assert "Acme &lt;Help&gt; Desk" in page.text and 'value="123456"' in page.text
    assert "/static/portal.js" in page.text and "app.js" not in page.text
    assert 'src="/portal/logo"' in page.text
    assert "console" not in page.text.lower() and "guruconnect" not in page.text.lower()
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert 'value="<' not in server.client().get("/?code=<script>").text


# --- the guest ----------------------------------------------------------------------


def test_guest_joins_chats_consents_and_the_technician_ends(server: ServerProcess) -> None:
    tech = sign_in(server, "technician")
    other = sign_in(server, "technician")
    made = create_session(tech, name="Slow PC")  # first-come
    token = portal_join(server, str(made["code"]))
    assert tech.post(f"/api/v1/support-sessions/{made['id']}/chat",
                     json={"text": "Hello from the technician"}).status_code == 201  # fmt: skip
    with (
        browser_socket(server, "/ws/support-live", tech) as live,
        guest_socket(server) as guest,
    ):
        assert json.loads(live.recv(timeout=10))["type"] == "hello"
        welcome = hello(guest, token)
        assert welcome.session_id == made["id"] and welcome.session_name == "Slow PC"
        assert welcome.technician == tech.username  # the first chat claimed it
        assert [line.text for line in welcome.history] == ["Hello from the technician"]
        assert welcome.consent == "pending"
        event = wait_live(live, lambda e: e.get("session", {}).get("status") == "joined")
        assert event["session"]["guest"]["username"] == "alice"
        # A second visitor with the same code is refused once the guest is in.
        r = server.client().post("/api/v1/portal/join", json={"code": made["code"]})
        assert r.status_code == 409
        # The colleague no longer sees the claimed session, nor may open its screen.
        assert other.client.get(f"/api/v1/support-sessions/{made['id']}").status_code == 404
        # Before consent: no viewer, no DesktopOpen.
        with browser_socket(server, f"/ws/viewer/support-{made['id']}", tech) as v:
            assert closed_with(v) == 4403
        guest.send(encode(ChatSend(text="My screen is frozen")))
        echoed = recv(guest, ChatLine)
        assert isinstance(echoed, ChatLine) and echoed.sender == "guest"
        chat = wait_live(live, lambda e: e.get("type") == "chat")
        assert chat["line"]["text"] == "My screen is frozen"
        r = tech.post(f"/api/v1/support-sessions/{made['id']}/chat", json={"text": "On it"})
        assert r.status_code == 201
        line = recv(guest, ChatLine)
        assert isinstance(line, ChatLine) and line.text == "On it" and line.author == tech.username
        guest.send(encode(Consent(allowed=True)))
        wait_live(live, lambda e: e.get("session", {}).get("status") == "active")
        with browser_socket(server, f"/ws/viewer/support-{made['id']}", other) as v:
            assert closed_with(v) == 4404  # consent is for this technician's session only
        with browser_socket(server, f"/ws/viewer/support-{made['id']}", tech, max_size=None):
            opened = recv(guest, DesktopOpen)
            assert isinstance(opened, DesktopOpen)
        r = tech.post(f"/api/v1/support-sessions/{made['id']}/end")
        assert r.status_code == 200 and r.json()["status"] == "ended"
        ended = recv(guest, SessionEnded)
        assert isinstance(ended, SessionEnded) and ended.reason == "ended_by_technician"
        assert closed_with(guest) == 1000
        wait_live(live, lambda e: e.get("session", {}).get("status") == "ended")
    got = session_of(tech, made["id"])
    assert got["ended_by"] == tech.username and got["duration_seconds"] is not None
    chat_lines = tech.client.get(f"/api/v1/support-sessions/{made['id']}/chat").json()["lines"]
    assert [c["sender"] for c in chat_lines] == ["technician", "guest", "technician"]
    # The code is released and reusing it is refused; so is the old join token.
    assert (
        server.client().post("/api/v1/portal/join", json={"code": made["code"]}).status_code == 404
    )
    with guest_socket(server) as again:
        hello_refused = again
        hello_refused.send(encode(_hello(token)))
        assert isinstance(recv(hello_refused, SessionEnded), SessionEnded)
    actions = [r[0] for r in sql(server, "SELECT action FROM audit_log WHERE target = :t",
                                 t=f"support:{made['id']}")]  # fmt: skip
    for action in ("support.created", "support.portal_join", "support.claimed",
                   "support.guest_joined", "support.consent", "desktop.view_started",
                   "support.ended"):  # fmt: skip
        assert action in actions, (action, actions)


def _hello(token: str) -> SupportHello:
    return SupportHello(join_token=token, versions=[1])


def wait_live(live: object, match: Callable[[dict[str, object]], bool]) -> dict[str, object]:
    for _ in range(200):
        event = json.loads(live.recv(timeout=10))  # type: ignore[attr-defined]
        if match(event):
            return dict(event)
    raise AssertionError("no matching live event")


def test_deny_means_no_desktop_ever(server: ServerProcess) -> None:
    tech = sign_in(server, "technician")
    made = create_session(tech)
    token = portal_join(server, str(made["code"]))
    with guest_socket(server) as guest:
        hello(guest, token)
        guest.send(encode(Consent(allowed=False)))
        wait_for(lambda: session_of(tech, made["id"])["consent"] == "denied", "denied")
        guest.send(encode(Consent(allowed=True)))  # changing one's mind later is refused
        with browser_socket(server, f"/ws/viewer/support-{made['id']}", tech) as v:
            assert closed_with(v) == 4403
        got = session_of(tech, made["id"])
        assert got["status"] == "joined" and got["consent"] == "denied"
        # Nothing but the (empty) rest of the conversation: no DesktopOpen arrived.
        tech.post(f"/api/v1/support-sessions/{made['id']}/end")
        seen = []
        with pytest.raises(Exception):  # noqa: B017 - the socket closes after SessionEnded
            while True:
                seen.append(decode_support_server(guest.recv(timeout=10)))
        assert not any(isinstance(m, DesktopOpen) for m in seen)
        assert any(isinstance(m, SessionEnded) for m in seen)


def test_withdrawing_consent_closes_the_viewer(server: ServerProcess) -> None:
    tech = sign_in(server, "technician")
    made = create_session(tech)
    token = portal_join(server, str(made["code"]))
    with guest_socket(server) as guest:
        hello(guest, token)
        guest.send(encode(Consent(allowed=True)))
        wait_for(lambda: session_of(tech, made["id"])["status"] == "active", "active")
        with browser_socket(server, f"/ws/viewer/support-{made['id']}", tech, max_size=None) as v:
            assert isinstance(recv(guest, DesktopOpen), DesktopOpen)
            guest.send(encode(Consent(allowed=False)))
            assert closed_with(v) == 4410
        got = session_of(tech, made["id"])
        assert got["status"] == "joined" and got["consent"] == "denied"


def test_guest_ends_and_agent_exit_ends(server_factory: Factory) -> None:
    server = server_factory("sqlite", GURU_SUPPORT_RECONNECT_GRACE_SECONDS="1")
    tech = sign_in(server, "technician")
    first = create_session(tech)
    with guest_socket(server) as guest:
        hello(guest, portal_join(server, str(first["code"])))
        guest.send(encode(EndSession()))
        ended = recv(guest, SessionEnded)
        assert isinstance(ended, SessionEnded) and ended.reason == "ended_by_guest"
    got = session_of(tech, first["id"])
    assert got["status"] == "ended" and got["ended_by"] == "guest"
    # The agent process going away (socket closed, no EndSession) ends it after the grace.
    second = create_session(tech)
    with guest_socket(server) as guest:
        hello(guest, portal_join(server, str(second["code"])))
    wait_for(lambda: session_of(tech, second["id"])["status"] == "ended", "agent-left end")
    assert session_of(tech, second["id"])["end_reason"] == "agent_left"


def test_reconnect_replays_chat_and_replaces_the_old_socket(server: ServerProcess) -> None:
    tech = sign_in(server, "technician")
    made = create_session(tech)
    token = portal_join(server, str(made["code"]))
    with guest_socket(server) as old:
        hello(old, token)
        old.send(encode(ChatSend(text="before the reconnect")))
        recv(old, ChatLine)
        with guest_socket(server) as new:
            welcome = hello(new, token)
            assert [line.text for line in welcome.history] == ["before the reconnect"]
            replaced = recv(old, SessionEnded)
            assert isinstance(replaced, SessionEnded) and replaced.reason == "replaced"
            assert session_of(tech, made["id"])["status"] == "joined"


def test_bad_guests_are_refused_alone(server: ServerProcess) -> None:
    tech = sign_in(server, "technician")
    made = create_session(tech)
    token = portal_join(server, str(made["code"]))
    with guest_socket(server) as good:
        hello(good, token)
        with guest_socket(server) as bad:
            bad.send(encode(_hello("x" * 43)))
            assert closed_with(bad) == 4401
        with guest_socket(server) as bad:
            bad.send(b"\xc1 not msgpack")
            assert closed_with(bad) == 4400
        with guest_socket(server) as bad:
            bad.send(encode(ChatSend(text="no hello first")))
            assert closed_with(bad) == 4405
        good.send(encode(ChatSend(text="still here")))
        line = recv(good, ChatLine)
        assert isinstance(line, ChatLine) and line.text == "still here"


def test_first_come_claim_tells_the_guest(server: ServerProcess) -> None:
    tech = sign_in(server, "technician")
    made = create_session(tech)
    with guest_socket(server) as guest:
        assert hello(guest, portal_join(server, str(made["code"]))).technician == ""
        r = tech.post(f"/api/v1/support-sessions/{made['id']}/claim")
        assert r.status_code == 200 and r.json()["technician"] == tech.username
        changed = recv(guest, TechnicianChanged)
        assert isinstance(changed, TechnicianChanged) and changed.technician == tech.username


def test_support_sockets_check_origin_and_sign_in(server: ServerProcess) -> None:
    tech = sign_in(server, "technician")
    viewer = sign_in(server, "viewer")
    with browser_socket(server, "/ws/support-live", None) as anonymous:
        assert closed_with(anonymous) == 4401
    with browser_socket(server, "/ws/support-live", viewer) as no_scope:
        assert closed_with(no_scope) == 4401
    made = create_session(tech)
    with browser_socket(server, f"/ws/viewer/support-{made['id']}", viewer) as no_scope:
        assert closed_with(no_scope) == 4404  # the viewer role may not open support screens
    with pytest.raises(InvalidStatus, match="403"):
        browser_socket(server, "/ws/support-live", tech, origin="https://evil.example")
    with pytest.raises(InvalidStatus, match="403"):
        connect(f"{server.ws_url}/ws/support", ssl=client_ssl(), origin="https://evil.example")  # type: ignore[arg-type]


def test_after_a_restart_the_guest_may_reconnect_else_the_session_ends(
    server_factory: Factory,
) -> None:
    server = server_factory("sqlite", GURU_SUPPORT_RECONNECT_GRACE_SECONDS="10")
    tech = sign_in(server, "technician")
    back, gone = create_session(tech), create_session(tech)
    back_token = portal_join(server, str(back["code"]))
    gone_token = portal_join(server, str(gone["code"]))
    with guest_socket(server) as first, guest_socket(server) as second:
        hello(first, back_token)
        hello(second, gone_token)
        first.send(encode(ChatSend(text="before the restart")))
        recv(first, ChatLine)
        server.stop()  # both sockets drop with the server, without EndSession
    server.start()
    with guest_socket(server) as again:
        welcome = hello(again, back_token)
        assert [line.text for line in welcome.history] == ["before the restart"]
        wait_for(lambda: session_of(tech, gone["id"])["status"] == "ended", "the orphan ended")
        assert session_of(tech, gone["id"])["end_reason"] == "agent_left"
        assert session_of(tech, back["id"])["status"] == "joined"
