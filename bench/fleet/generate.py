"""A realistic, deterministic fleet of N machines, bulk-inserted straight into the database.

    .venv/bin/python bench/fleet/generate.py --database-url URL --machines 100000
    .venv/bin/python -m bench.fleet.generate --database-url URL --machines 100000

Runs the server's migrations first, then inserts with SQLAlchemy Core (executemany in
chunks). Every denormalized column is filled the way the server fills it: search_text by
``refresh_search_text`` itself, agent_version_key by ``version_key``.

Shape (seeded, so the same arguments give the same fleet):
- companies: N/50 (2,000 at 100,000), Zipf-sized (s = 1): the biggest MSP client has
  ~12,000 machines, rank 100 ~120, the long tail one to a handful;
- 1-20 sites per company (bigger companies more), ~8% of machines with no site;
- device types Workstation/Laptop/Server/VM; OS names weighted per device type;
- agent versions: ~85% current (guruconnect.__version__), a tail of older, ~1% unknown;
- ~60% online (last_seen within 2 minutes); offline ones last seen hours to years ago;
- hostnames like ACME-WS-0042 (per company and device type), private IPs per site
  subnet (10.x / 192.168.x), a public IP per site, MACs, serials, logged-on users.

The server marks every machine offline when it starts (one node: nobody is connected
yet). ``restore_online`` puts the generated online flags back afterwards, so "online"
filters are measured on a realistic 60/40 split.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import math
import random
import sys
import time
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from sqlalchemy import insert, text, update
from sqlalchemy.ext.asyncio import AsyncEngine

import guruconnect
from guruconnect.server.db import migrate
from guruconnect.server.db.engine import make_engine
from guruconnect.server.db.models import Machine
from guruconnect.server.machines.facts import refresh_search_text, version_key

CHUNK = 5000
ONLINE_WINDOW = dt.timedelta(minutes=2)  # online machines were seen this recently
OFFLINE_MIN_AGE = dt.timedelta(minutes=20)  # offline ones at least this long ago

WORDS_A = (  # noqa: SIM905
    "Acme Apex Blue Cedar Delta Summit Harbor Iron Maple North Oak Pine Quantum River "
    "Silver Stone Sun Valley West Alpine Bright Crest Eagle Falcon Granite Horizon Liberty "
    "Meadow Pioneer Redwood Sierra Titan Union Vista Willow Atlas Beacon Cobalt Evergreen"
).split()
WORDS_B = (  # noqa: SIM905
    "Dental Logistics Legal Medical Builders Foods Realty Motors Labs Capital Energy "
    "Printing Insurance Clinic Accounting Architects Hotels Schools Farms Plumbing Media "
    "Pharmacy Freight Robotics Textiles Brewing Marine Optics Security Consulting"
).split()
WORDS_C = ("", "", "Inc", "LLC", "Group", "Partners", "Co", "GmbH", "Ltd")
SITE_NAMES = (  # noqa: SIM905
    "HQ Main Office|Warehouse|Branch North|Branch South|Downtown|Plant 1|Plant 2|Clinic East|"
    "Clinic West|Data Center|Remote|Lab|Store 12|Store 31|Depot|Annex|Campus A|Campus B|"
    "Distribution|Call Center|Field Office"
).split("|")
DEPARTMENTS = (
    ("", 30), ("Accounting", 8), ("Sales", 10), ("Engineering", 10), ("IT", 6),
    ("Front Desk", 5), ("Operations", 9), ("HR", 4), ("Management", 4), ("Support", 7),
    ("Warehouse", 5), ("Marketing", 4),
)  # fmt: skip
DEVICE_TYPES = (("Workstation", 48), ("Laptop", 30), ("Server", 12), ("VM", 10))
TYPE_CODE = {"Workstation": "WS", "Laptop": "LT", "Server": "SRV", "VM": "VM"}
TAGS = (("", 88), ("VIP", 4), ("Critical", 4), ("Testing", 3), ("Kiosk", 1))
# (os_name, os_type, os_version, build) per device type, with weights.
WIN11 = ("Windows 11 Pro", "windows", "10.0.22631", "22631.3447")
WIN10 = ("Windows 10 Pro", "windows", "10.0.19045", "19045.4291")
WIN11E = ("Windows 11 Enterprise", "windows", "10.0.22631", "22631.3447")
SRV19 = ("Windows Server 2019", "windows", "10.0.17763", "17763.5696")
SRV22 = ("Windows Server 2022", "windows", "10.0.20348", "20348.2402")
SRV16 = ("Windows Server 2016", "windows", "10.0.14393", "14393.6897")
UBU22 = ("Ubuntu 22.04", "linux", "22.04", "5.15.0-105-generic")
UBU24 = ("Ubuntu 24.04", "linux", "24.04", "6.8.0-31-generic")
DEB12 = ("Debian 12", "linux", "12", "6.1.0-21-amd64")
MAC14 = ("macOS 14", "macos", "14.4.1", "23E224")
MAC13 = ("macOS 13", "macos", "13.6.6", "22G630")
OS_BY_TYPE: dict[str, tuple[tuple[tuple[str, str, str, str], int], ...]] = {
    "Workstation": ((WIN11, 45), (WIN10, 35), (WIN11E, 10), (UBU22, 6), (MAC14, 4)),
    "Laptop": ((WIN11, 50), (WIN10, 25), (MAC14, 15), (MAC13, 6), (UBU22, 4)),
    "Server": ((SRV22, 35), (SRV19, 35), (SRV16, 8), (UBU22, 12), (DEB12, 7), (UBU24, 3)),
    "VM": ((SRV22, 30), (SRV19, 20), (UBU22, 25), (DEB12, 15), (UBU24, 10)),
}
FIRST = ("james", "mary", "john", "patricia", "robert", "jennifer", "michael", "linda", "ana")
LAST = ("smith", "johnson", "brown", "garcia", "miller", "davis", "wilson", "anderson", "lee")
VENDOR_SERIAL = ("5CG", "PF", "C02", "MXL", "CZC", "J", "R9")


def older_versions(current: str) -> list[tuple[str, int]]:
    """The current version ~85%, then a tail of older releases, ~1% unknown ("")."""
    major, minor, patch = (int(x) for x in [*current.split("."), "0", "0"][:3])
    tail: list[str] = []
    m, n, p = major, minor, patch
    while len(tail) < 5:  # walk back: 0.1.0 -> 0.0.9 -> 0.0.8 ...
        if p > 0:
            p -= 1
        elif n > 0:
            n, p = n - 1, 9
        elif m > 0:
            m, n, p = m - 1, 9, 9
        else:
            break
        tail.append(f"{m}.{n}.{p}")
    weights = [8, 4, 1, 1, 0.5][: len(tail)]
    return [(current, 85), *zip(tail, weights, strict=True), ("", 1)]


@dataclass
class FleetStats:
    machines: int
    companies: int
    seconds: float = 0.0
    insert_seconds: float = 0.0
    migrate_seconds: float = 0.0
    analyze_seconds: float = 0.0
    generated_at: str = ""
    biggest: list[tuple[str, int]] = field(default_factory=list)
    online: int = 0
    per_device_type: dict[str, int] = field(default_factory=dict)

    @property
    def rows_per_s(self) -> float:
        return self.machines / self.insert_seconds if self.insert_seconds else 0.0


def _weighted(rng: random.Random, table: Any) -> Any:
    values, weights = zip(*table, strict=True)
    return rng.choices(values, weights)[0]


def company_sizes(n: int, companies: int) -> list[int]:
    """Zipf (s = 1) sizes summing to n, every company at least one machine."""
    harmonic = sum(1 / k for k in range(1, companies + 1))
    sizes = [max(1, math.floor(n / (k * harmonic))) for k in range(1, companies + 1)]
    # Hand the rounding remainder out from the top (or take it back from the top).
    diff, k = n - sum(sizes), 0
    while diff != 0:
        step = 1 if diff > 0 else -1
        if sizes[k % companies] + step >= 1:
            sizes[k % companies] += step
            diff -= step
        k += 1
    return sizes


def company_names(rng: random.Random, count: int) -> list[str]:
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < count:
        name = " ".join(
            w for w in (rng.choice(WORDS_A), rng.choice(WORDS_B), rng.choice(WORDS_C)) if w
        )
        if name in seen:
            name = f"{name} {len(names)}"
        seen.add(name)
        names.append(name)
    return names


def _code(name: str, used: set[str]) -> str:
    """ACME-style hostname prefix, unique per company."""
    base = "".join(c for c in name.split()[0].upper() if c.isalpha())[:4]
    code, i = base, 1
    while code in used:
        code = f"{base}{i}"
        i += 1
    used.add(code)
    return code


def _mac(rng: random.Random) -> str:
    return ":".join(f"{rng.randrange(256):02x}" for _ in range(6))


def generate_rows(n: int, seed: int, now: dt.datetime) -> tuple[list[dict[str, Any]], FleetStats]:
    rng = random.Random(seed)
    companies = max(10, n // 50)
    sizes = company_sizes(n, companies)
    names = company_names(rng, companies)
    versions = older_versions(guruconnect.__version__)
    used_codes: set[str] = set()
    rows: list[dict[str, Any]] = []
    stats = FleetStats(machines=n, companies=companies, generated_at=now.isoformat())
    stats.biggest = list(zip(names[:5], sizes[:5], strict=True))
    for ci, (company, size) in enumerate(zip(names, sizes, strict=True)):
        code = _code(company, used_codes)
        n_sites = max(1, min(20, round(1 + math.log2(size) * 1.4 * rng.random() + size / 800)))
        sites = rng.sample(SITE_NAMES, min(n_sites, len(SITE_NAMES)))
        # A site's network: big companies on 10.a.b.0/24 blocks, small ones 192.168.x.0/24.
        nets: list[str] = []
        for si in range(len(sites)):
            if size >= 50:
                nets.append(f"10.{(ci * 7 + si) % 250 + 1}.{(ci + si * 13) % 250 + 1}")
            else:
                nets.append(f"192.168.{(ci + si) % 250 + 1}")
        publics = [
            f"{rng.choice((24, 50, 68, 73, 98, 104, 174, 203))}.{rng.randrange(256)}."
            f"{rng.randrange(256)}.{rng.randrange(1, 255)}"
            for _ in sites
        ]
        counters: dict[str, int] = {}
        for _ in range(size):
            device = _weighted(rng, DEVICE_TYPES)
            counters[device] = counters.get(device, 0) + 1
            hostname = f"{code}-{TYPE_CODE[device]}-{counters[device]:04d}"
            si = rng.randrange(len(sites))
            site = "" if rng.random() < 0.08 else sites[si]
            os_name, os_type, os_version, os_build = _weighted(rng, OS_BY_TYPE[device])
            agent_version = _weighted(rng, versions)
            online = rng.random() < 0.60
            if online:
                last_seen = now - dt.timedelta(seconds=rng.uniform(0, ONLINE_WINDOW.seconds))
                up = dt.timedelta(
                    minutes=rng.uniform(1, 9) if rng.random() < 0.01 else rng.expovariate(1 / 4320)
                )
                boot_time = now - up - dt.timedelta(minutes=1)
            else:
                r = rng.random()
                if r < 0.60:  # hours to a month ago
                    age = dt.timedelta(hours=rng.uniform(0.4, 24 * 30))
                elif r < 0.85:  # a month to a year
                    age = dt.timedelta(days=rng.uniform(30, 365))
                else:  # forgotten: over a year
                    age = dt.timedelta(days=rng.uniform(366, 1500))
                last_seen = now - max(age, OFFLINE_MIN_AGE)
                boot_time = last_seen - dt.timedelta(hours=rng.expovariate(1 / 72))
            first_seen = last_seen - dt.timedelta(days=rng.uniform(0, 1100))
            host = 1 + rng.randrange(1, 254)
            private_ips = [f"{nets[si]}.{host}"]
            if device in ("Server", "VM") and rng.random() < 0.3:
                private_ips.append(f"{nets[si]}.{(host + 100) % 254 + 1}")
            macs = [_mac(rng) for _ in range(2 if device == "Laptop" else 1)]
            users: list[str] = []
            if device in ("Workstation", "Laptop") and (online or rng.random() < 0.5):
                users = [f"{code.lower()}\\{rng.choice(FIRST)[0]}{rng.choice(LAST)}"]
            guest = online and bool(users) and rng.random() < 0.4
            r = rng.random()
            last_host = (
                now - dt.timedelta(hours=rng.uniform(0, 24))
                if r < 0.02
                else now - dt.timedelta(days=rng.uniform(1, 60))
                if r < 0.12
                else None
            )
            attention = rng.random() < 0.005
            serial = (
                f"{rng.choice(VENDOR_SERIAL)}{rng.randrange(10**6, 10**7)}{rng.choice('ABCXYZ')}"
            )
            m = SimpleNamespace(
                id=f"{rng.getrandbits(128):032x}",
                public_key=rng.randbytes(32),
                name=hostname,
                hostname=hostname,
                company=company,
                site=site,
                department=_weighted(rng, DEPARTMENTS),
                device_type=device,
                tag=_weighted(rng, TAGS),
                description="",
                os_type=os_type,
                os_name=os_name,
                os_version=os_version,
                agent_version=agent_version,
                public_ip=publics[si],
                logged_on_users=users,
                inventory=None,
                enrolled_with=None,
                first_seen=first_seen,
                last_seen=last_seen,
                inventory_at=last_seen,
                online=online,
                os_build=os_build,
                serial_number=serial,
                service_tag=serial if device != "VM" else "",
                private_ips=private_ips,
                macs=macs,
                boot_time=boot_time,
                idle_seconds=rng.randrange(0, 300) if guest else -1,
                agent_version_key=version_key(agent_version),
                guest_present=guest,
                guest_last_connected=now - dt.timedelta(minutes=rng.uniform(0, 5))
                if guest
                else None,
                last_host_session_at=last_host,
                attention=attention,
                attention_note="flagged by bench" if attention else "",
                custom_attributes={},
                search_text="",
            )
            refresh_search_text(m)  # type: ignore[arg-type]  # duck-typed: same attributes
            rows.append(vars(m))
            stats.online += online
            stats.per_device_type[device] = stats.per_device_type.get(device, 0) + 1
    return rows, stats


async def generate(
    engine: AsyncEngine, n: int, *, seed: int = 42, analyze: bool = True
) -> FleetStats:
    """Migrate, generate and insert the fleet. ANALYZE on PostgreSQL, as autovacuum would."""
    started = time.perf_counter()
    await migrate.upgrade(engine)
    migrated = time.perf_counter()
    now = dt.datetime.now(dt.UTC)
    rows, stats = generate_rows(n, seed, now)
    stats.migrate_seconds = migrated - started
    t0 = time.perf_counter()
    async with engine.begin() as conn:
        for start in range(0, len(rows), CHUNK):
            await conn.execute(insert(Machine), rows[start : start + CHUNK])
    stats.insert_seconds = time.perf_counter() - t0
    if analyze and engine.dialect.name == "postgresql":
        t0 = time.perf_counter()
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("ANALYZE machines"))
        stats.analyze_seconds = time.perf_counter() - t0
    stats.seconds = time.perf_counter() - started
    return stats


async def restore_online(engine: AsyncEngine, generated_at: dt.datetime) -> int:
    """Set online again for the generated machines that were online (see module doc)."""
    async with engine.begin() as conn:
        result = await conn.execute(
            update(Machine)
            .where(Machine.last_seen >= generated_at - ONLINE_WINDOW - dt.timedelta(seconds=1))
            .where(Machine.last_seen <= generated_at)
            .values(online=True)
        )
    return int(result.rowcount or 0)


async def _main(args: argparse.Namespace) -> None:
    engine = make_engine(args.database_url)
    try:
        stats = await generate(engine, args.machines, seed=args.seed)
    finally:
        await engine.dispose()
    print(
        f"{stats.machines} machines in {stats.companies} companies: {stats.seconds:.1f} s "
        f"(migrate {stats.migrate_seconds:.1f} s, insert {stats.insert_seconds:.1f} s = "
        f"{stats.rows_per_s:.0f} rows/s, analyze {stats.analyze_seconds:.1f} s); "
        f"{stats.online} online; biggest: "
        + ", ".join(f"{name} ({size})" for name, size in stats.biggest[:3])
    )


def cli(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--database-url", required=True, help="SQLAlchemy async URL")
    p.add_argument("--machines", type=int, default=100_000)
    p.add_argument("--seed", type=int, default=42)
    args = p.parse_args(argv)
    if not 1 <= args.machines <= 1_000_000:
        p.error("--machines must be between 1 and 1,000,000")
    asyncio.run(_main(args))
    return 0


if __name__ == "__main__":
    sys.exit(cli(sys.argv[1:]))
