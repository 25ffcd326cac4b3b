"""Search, sidebar counts, edits with audit, and saved searches through the real API."""

from __future__ import annotations

import json

from tests.support.agents import RawAgent, create_token
from tests.support.browser_socket import browser_socket
from tests.support.server import ServerProcess
from tests.support.users import SignedIn, sign_in


def fleet(server: ServerProcess, admin: SignedIn) -> dict[str, str]:
    """A few enrolled machines across two companies (names set at enrollment)."""
    made: dict[str, str] = {}
    for company, site, host in [
        ("Acme", "HQ", "acme-pc-1"), ("Acme", "HQ", "acme-pc-2"), ("Acme", "Lab", "acme-lab"),
        ("Globex", "NYC", "globex-srv"),
    ]:  # fmt: skip
        made[host] = RawAgent.enroll(
            server, create_token(admin, company, site), hostname=host
        ).agent_id
    return made


def test_list_filters_paging_and_groups(server: ServerProcess) -> None:
    admin = sign_in(server)
    ids = fleet(server, admin)
    get = admin.client.get
    assert get("/api/v1/machines").json()["total"] == 4
    body = get("/api/v1/machines", params={"company": "Acme", "site": "HQ"}).json()
    assert {m["hostname"] for m in body["machines"]} == {"acme-pc-1", "acme-pc-2"}
    assert (
        get("/api/v1/machines", params={"q": "LAB"}).json()["machines"][0]["id"] == ids["acme-lab"]
    )
    assert get("/api/v1/machines", params={"q": "100%' OR 1=1 --"}).json()["total"] == 0
    assert get("/api/v1/machines", params={"online": "true"}).json()["total"] == 0
    assert get("/api/v1/machines", params={"status": "offline_30d"}).json()["total"] == 0
    assert get("/api/v1/machines", params={"status": "bogus"}).status_code == 422
    assert get("/api/v1/machines", params={"cursor": "garbage"}).status_code == 422
    assert get("/api/v1/machines", params={"q": "x" * 500}).status_code == 422
    # Paging walks everything once.
    seen, cursor = [], None
    while True:
        params = {"limit": "3", **({"cursor": cursor} if cursor else {})}
        page = get("/api/v1/machines", params=params).json()
        seen += [m["id"] for m in page["machines"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(ids.values())
    groups = get("/api/v1/machines/groups").json()
    acme = next(c for c in groups["companies"] if c["value"] == "Acme")
    assert acme["count"] == 3 and {s["value"] for s in acme["sites"]} == {"HQ", "Lab"}
    assert groups["total"] == 4 and groups["online"] == 0 and groups["status"]["attention"] == 0


def test_company_scope_applies_to_search_and_groups(server: ServerProcess) -> None:
    admin = sign_in(server)
    fleet(server, admin)
    outsider = sign_in(server, role="technician", companies="Globex")
    assert {m["hostname"] for m in outsider.client.get("/api/v1/machines").json()["machines"]} == {
        "globex-srv"
    }
    assert outsider.client.get("/api/v1/machines", params={"company": "Acme"}).json()["total"] == 0
    groups = outsider.client.get("/api/v1/machines/groups").json()
    assert [c["value"] for c in groups["companies"]] == ["Globex"]


def test_attention_and_custom_attributes_are_audited(server: ServerProcess) -> None:
    admin = sign_in(server)
    mid = fleet(server, admin)["acme-pc-1"]
    r = admin.client.patch(
        f"/api/v1/machines/{mid}",
        json={"attention": True, "attention_note": "disk failing",
              "custom_attributes": {"rack": "R7", "owner": "<b>Ann</b>"}},
        headers={"x-csrf-token": admin.csrf},
    )  # fmt: skip
    assert r.status_code == 200, r.text
    assert r.json()["attention"] and r.json()["custom_attributes"]["rack"] == "R7"
    attention = admin.client.get("/api/v1/machines", params={"status": "attention"}).json()
    assert [m["id"] for m in attention["machines"]] == [mid]
    assert admin.client.get("/api/v1/machines", params={"q": "r7"}).json()["total"] == 1
    r = admin.client.patch(f"/api/v1/machines/{mid}", json={"custom_attributes": {"rack": ""}},
                           headers={"x-csrf-token": admin.csrf})  # fmt: skip
    assert "rack" not in r.json()["custom_attributes"]
    entries = admin.client.get(f"/api/v1/machines/{mid}/audit").json()["entries"]
    assert [e["action"] for e in entries] == [
        "machine.custom_attributes",
        "machine.custom_attributes",
        "machine.attention",
    ]
    assert entries[0]["details"]["rack"] == {"before": "R7", "after": None}
    assert all(e["user"] == admin.username for e in entries)
    # Bad input is explained; viewers may not edit; no CSRF token, no edit.
    bad = admin.client.patch(f"/api/v1/machines/{mid}", json={"custom_attributes": {"": "x"}},
                             headers={"x-csrf-token": admin.csrf})  # fmt: skip
    assert bad.status_code == 422
    viewer = sign_in(server, role="viewer")
    denied = viewer.client.patch(f"/api/v1/machines/{mid}", json={"attention": False},
                                 headers={"x-csrf-token": viewer.csrf})  # fmt: skip
    assert denied.status_code == 403
    assert (
        admin.client.patch(f"/api/v1/machines/{mid}", json={"attention": False}).status_code == 403
    )


def test_saved_searches_private_and_shared(server: ServerProcess) -> None:
    alice, bob = sign_in(server), sign_in(server, role="technician")
    with browser_socket(server, "/ws/dashboard", bob) as bob_ws:
        assert json.loads(bob_ws.recv(timeout=10)) == {"type": "hello"}
        private = alice.post(
            "/api/v1/saved-searches", json={"name": "mine", "query": {"company": "Acme"}}
        ).json()
        shared = alice.post("/api/v1/saved-searches",
                            json={"name": "team", "query": {"status": "attention"},
                                  "shared": True, "pinned": True}).json()  # fmt: skip
        # Bob's sidebar hears that something changed, and sees only the shared one.
        assert json.loads(bob_ws.recv(timeout=10)) == {"type": "saved_searches_changed"}
        listed = bob.client.get("/api/v1/saved-searches").json()["searches"]
        assert [(s["name"], s["mine"], s["owner"]) for s in listed] == [
            ("team", False, alice.username)
        ]
        assert bob.delete(f"/api/v1/saved-searches/{shared['id']}").status_code == 403
        r = bob.client.patch(f"/api/v1/saved-searches/{private['id']}", json={"name": "x"},
                             headers={"x-csrf-token": bob.csrf})  # fmt: skip
        assert r.status_code == 404, "a private search does not even exist for others"
        r = alice.client.patch(f"/api/v1/saved-searches/{shared['id']}", json={"name": "renamed"},
                               headers={"x-csrf-token": alice.csrf})  # fmt: skip
        assert r.status_code == 200
        names = {s["name"] for s in bob.client.get("/api/v1/saved-searches").json()["searches"]}
        assert names == {"renamed"}
        assert alice.delete(f"/api/v1/saved-searches/{shared['id']}").status_code == 204
        assert bob.client.get("/api/v1/saved-searches").json()["searches"] == []
    bad = alice.post("/api/v1/saved-searches", json={"name": "x", "query": {"evil": "1"}})
    assert bad.status_code == 422
