"""Status groups at their boundaries, filter combinations, search safety and the audit
chain, against real SQLite and PostgreSQL databases."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from guruconnect.server.audit import chain
from guruconnect.server.auth.principal import Principal
from guruconnect.server.db import migrate
from guruconnect.server.db.engine import make_engine, make_session_factory
from guruconnect.server.db.models import AuditEntry, Machine
from guruconnect.server.machines import groups, search
from guruconnect.server.machines.facts import refresh_search_text, version_key
from guruconnect.server.machines.status import STATUS_GROUPS, Context
from tests.support.databases import database_url

NOW = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)
CURRENT = version_key("2.5.0")


def machine(mid: str, **kw: object) -> Machine:
    defaults: dict[str, object] = {
        "id": mid, "public_key": bytes(32), "name": mid, "company": "Acme",
        "first_seen": NOW - dt.timedelta(days=800), "last_seen": NOW,
    }  # fmt: skip
    m = Machine(**{**defaults, **kw})
    for field in ("private_ips", "macs", "logged_on_users"):
        if getattr(m, field) is None:
            setattr(m, field, [])
    if m.custom_attributes is None:
        m.custom_attributes = {}
    for field in ("online", "attention", "guest_present"):
        if getattr(m, field) is None:
            setattr(m, field, False)
    if m.agent_version_key is None:
        m.agent_version_key = version_key(m.agent_version or "")
    refresh_search_text(m)
    return m


FLEET = [
    machine("off29", last_seen=NOW - dt.timedelta(days=29)),
    machine("off31", last_seen=NOW - dt.timedelta(days=31)),
    machine("off364", last_seen=NOW - dt.timedelta(days=364)),
    machine("off366", last_seen=NOW - dt.timedelta(days=366)),
    machine("never", last_seen=None, first_seen=NOW - dt.timedelta(days=40)),
    machine("boot9", online=True, boot_time=NOW - dt.timedelta(minutes=9)),
    machine("boot11", online=True, boot_time=NOW - dt.timedelta(minutes=11)),
    machine("v_equal", online=True, agent_version="2.5.0"),
    machine("v_behind", online=True, agent_version="2.4.9"),
    machine("v_ahead", online=True, agent_version="2.10.0"),
    machine("v_unknown", online=True, agent_version="dev"),
    machine("flagged", attention=True, attention_note="disk"),
    machine("guest", online=True, guest_present=True, logged_on_users=["alice"]),
    machine("guest_gone", online=False, guest_present=True),
    machine("accessed23h", last_host_session_at=NOW - dt.timedelta(hours=23)),
    machine("accessed25h", last_host_session_at=NOW - dt.timedelta(hours=25)),
    machine("hosted", online=True),
    machine(
        "nyc-web-01", company="Globex", site="New York", department="", tag="VIP",
        os_name="Windows 11 Pro", online=True, private_ips=["10.1.2.3"], public_ip="203.0.113.9",
        serial_number="SN-4711", logged_on_users=["bob"], custom_attributes={"rack": "R7"},
    ),
    machine("odd", name="100%_wild\\card'; DROP TABLE machines;--", company="Globex",
            site="", tag="ünïcödé 🚀"),
]  # fmt: skip

CTX = Context(now=NOW, current_version_key=CURRENT, host_connected_ids={"hosted"})
EVERYONE = Principal(1, "alice", "admin", frozenset(), ("*",), "session")


def run(db_kind: str, tmp_path: Path, body: Callable[[AsyncSession], Awaitable[None]]) -> None:
    with database_url(db_kind, tmp_path) as url:

        async def go() -> None:
            engine = make_engine(url)
            try:
                await migrate.upgrade(engine)
                factory = make_session_factory(engine)
                async with factory() as db:
                    db.info["factory"] = factory
                    db.add_all([machine(m.id, **_fields(m)) for m in FLEET])
                    await db.commit()
                    await body(db)
            finally:
                await engine.dispose()

        asyncio.run(go())


def _fields(m: Machine) -> dict[str, object]:
    names = ("name", "company", "site", "department", "tag", "os_name", "online", "boot_time",
             "agent_version", "attention", "attention_note", "guest_present", "logged_on_users",
             "last_host_session_at", "private_ips", "public_ip", "serial_number",
             "custom_attributes", "last_seen", "first_seen")  # fmt: skip
    return {n: getattr(m, n) for n in names}


async def ids(db: AsyncSession, query: search.MachineQuery) -> set[str]:
    where = [search.scoped(EVERYONE), *search.conditions(query, CTX)]
    return set(await db.scalars(select(Machine.id).where(*where)))


EXPECTED_STATUS = {
    "offline_30d": {"off31", "off364", "off366", "never"},
    "offline_1y": {"off366"},
    "powered_on_10m": {"boot9"},
    "outdated": {"v_behind"},
    "attention": {"flagged"},
    "guest_connected": {"guest"},
    "recently_accessed": {"accessed23h"},
    "host_connected": {"hosted"},
}


def test_status_boundaries(db_kind: str, tmp_path: Path) -> None:
    assert set(EXPECTED_STATUS) == set(STATUS_GROUPS), "every group has a boundary test"

    async def body(db: AsyncSession) -> None:
        for name, expected in EXPECTED_STATUS.items():
            assert await ids(db, search.MachineQuery(status=name)) == expected, name
        counts = await groups.sidebar(db.info["factory"], search.scoped(EVERYONE), CTX)
        assert counts["status"] == {k: len(v) for k, v in EXPECTED_STATUS.items()}
        assert counts["total"] == len(FLEET)
        globex = next(c for c in counts["companies"] if c["value"] == "Globex")
        assert {s["value"]: s["count"] for s in globex["sites"]} == {"": 1, "New York": 1}
        assert {"value": "", "count": len(FLEET) - 2} in counts["tags"], "missing value grouped"

    run(db_kind, tmp_path, body)


def test_filters_combine(db_kind: str, tmp_path: Path) -> None:
    async def body(db: AsyncSession) -> None:
        q = search.MachineQuery
        assert await ids(db, q(equals={"company": "Globex"})) == {"nyc-web-01", "odd"}
        assert await ids(db, q(equals={"company": "Globex", "site": ""})) == {"odd"}
        assert await ids(db, q(equals={"company": "Globex"}, online=True)) == {"nyc-web-01"}
        assert await ids(db, q(q="10.1.2", equals={"tag": "VIP"})) == {"nyc-web-01"}
        assert await ids(db, q(q="sn-4711")) == {"nyc-web-01"}
        assert await ids(db, q(q="203.0.113")) == {"nyc-web-01"}
        assert await ids(db, q(q="bob r7")) == {"nyc-web-01"}, "terms AND, attributes searched"
        assert await ids(db, q(q="windows", checkin="lt_1h")) == {"nyc-web-01"}
        assert await ids(db, q(checkin="gt_30d")) == {"off31", "off364", "off366", "never"}
        assert await ids(db, q(checkin="lt_7d", status="attention")) == {"flagged"}
        assert await ids(db, q(equals={"os": "Windows 11 Pro"}, status="offline_30d")) == set()

    run(db_kind, tmp_path, body)


def test_search_text_is_data_not_syntax(db_kind: str, tmp_path: Path) -> None:
    async def body(db: AsyncSession) -> None:
        q = search.MachineQuery
        assert await ids(db, q(q="100%")) == {"odd"}
        assert await ids(db, q(q="%")) == {"odd"}, "% matches only a literal percent sign"
        assert await ids(db, q(q="_")) >= {"odd"} and "off29" not in await ids(db, q(q="_"))
        assert await ids(db, q(q="wild\\card")) == {"odd"}
        assert await ids(db, q(q="'; drop table machines;--")) == {"odd"}
        assert await ids(db, q(q="ünïcödé 🚀")) == {"odd"}
        assert await ids(db, q(q="\x00")) == set()
        with pytest.raises(search.BadQuery):
            await ids(db, q(q="x" * 201))
        with pytest.raises(search.BadQuery):
            await ids(db, q(status="nope"))
        assert len(await ids(db, q())) == len(FLEET), "the table is still there"

    run(db_kind, tmp_path, body)


def test_keyset_pages_cover_everything_once(db_kind: str, tmp_path: Path) -> None:
    async def body(db: AsyncSession) -> None:
        seen: list[str] = []
        cursor = None
        while True:
            rows = await search.fetch_page(db, [], cursor, 4)
            seen += [m.id for m in rows]
            if len(rows) < 4:
                break
            cursor = search.encode_cursor(rows[-1])
        assert sorted(seen) == sorted(m.id for m in FLEET) and len(seen) == len(set(seen))
        online_first = [m.online for m in FLEET if m.id in seen[:8]]
        assert all(online_first[:1])
        with pytest.raises(search.BadQuery):
            search.decode_cursor("not-a-cursor")

    run(db_kind, tmp_path, body)


def test_audit_chain_shows_tampering(db_kind: str, tmp_path: Path) -> None:
    async def body(db: AsyncSession) -> None:
        for n in range(5):
            await chain.record(db, EVERYONE, "machine.attention", "machine:flagged", {"n": n})
        await db.commit()
        assert await chain.verify(db) is None
        third = (await db.scalars(select(AuditEntry.id).order_by(AuditEntry.id))).all()[2]
        await db.execute(update(AuditEntry).where(AuditEntry.id == third).values(details={"n": 99}))
        await db.commit()
        db.expire_all()
        assert await chain.verify(db) == third

    run(db_kind, tmp_path, body)


def test_version_key() -> None:
    assert version_key("2.5.0") == 2_005_000
    assert version_key("v2.10") > version_key("2.9.9")
    assert version_key("dev") == version_key("") == 0
