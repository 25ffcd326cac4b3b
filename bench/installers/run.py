"""Server-built Linux installers: how big the .sh and the .deb are, how long their cached
bases take to build once per release, and what baking one installer costs per request
(signing the config and assembling the file's head; the base is streamed after it).

    .venv/bin/python bench/installers/run.py [--bakes 200]

Prints a table and writes bench/results/installers.json. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from guruconnect.server.config import Settings
from guruconnect.server.db.models import Installer
from guruconnect.server.installers import deb, keys, service, shell
from guruconnect.server.support import bundle

RESULTS = Path(__file__).resolve().parents[1] / "results"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def installer_row(data_dir: Path, n: int) -> Installer:
    return Installer(
        id=f"bench{n}", company="Glaztech Industries", site=f"Site {n} \u2013 Zürich",
        department="Accounting", device_type="Laptop", tag="VIP", name_mode="machine",
        custom_name="",
        sealed_secrets=keys.seal(data_dir, {"enrollment_token": "gce_" + secrets.token_urlsafe(32),
                                            "url_token": "gci_" + secrets.token_urlsafe(32)}),
    )  # fmt: skip


async def measure(root: Path, bakes: int) -> dict[str, Any]:
    settings = Settings(data_dir=root / "data", support_agent_cache_dir=str(root / "cache"))
    t0 = time.perf_counter()
    payload = await bundle.ensure_payload(settings)
    payload_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    data = await deb.ensure_data(settings)
    deb_data_s = time.perf_counter() - t0
    kib = deb.installed_size_kib(data)

    results: dict[str, list[float]] = {"linux.sh": [], "linux.deb": []}
    sizes: dict[str, int] = {}
    for n in range(bakes):
        row = installer_row(settings.data_dir, n)
        for kind in results:
            t = time.perf_counter()
            envelope = service.envelope(row, settings.data_dir,
                                        server_url="https://rmm.example.com",
                                        fingerprint=secrets.token_hex(32))  # fmt: skip
            if kind == "linux.sh":
                baked: Any = shell.bake(payload, envelope)
            else:
                baked = deb.bake(data, envelope, kib)
            results[kind].append((time.perf_counter() - t) * 1000)
            sizes[kind] = baked.size
    return {
        "payload_build_s": payload_s,
        "deb_data_build_s": deb_data_s,
        "sh_mb": sizes["linux.sh"] / 1e6,
        "deb_mb": sizes["linux.deb"] / 1e6,
        "deb_installed_mb": kib * 1024 / 1e6,
        "bakes": bakes,
        "sh_bake_ms_p50": statistics.median(results["linux.sh"]),
        "sh_bake_ms_p99": percentile(results["linux.sh"], 0.99),
        "deb_bake_ms_p50": statistics.median(results["linux.deb"]),
        "deb_bake_ms_p99": percentile(results["linux.deb"], 0.99),
    }


def render(r: dict[str, Any]) -> str:
    return "\n".join([
        "Server-built Linux installers",
        f"  sizes: .sh {r['sh_mb']:.1f} MB, .deb {r['deb_mb']:.1f} MB "
        f"({r['deb_installed_mb']:.0f} MB installed)",
        f"  cold builds (once per release): payload {r['payload_build_s']:.1f} s, "
        f".deb data {r['deb_data_build_s']:.1f} s",
        f"  per installer ({r['bakes']}x): .sh bake p50 {r['sh_bake_ms_p50']:.2f} ms "
        f"p99 {r['sh_bake_ms_p99']:.2f} ms; .deb bake p50 {r['deb_bake_ms_p50']:.2f} ms "
        f"p99 {r['deb_bake_ms_p99']:.2f} ms",
    ])  # fmt: skip


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--bakes", type=int, default=200, help="installers to bake per kind (200)")
    p.add_argument("--output", type=Path, default=RESULTS / "installers.json")
    args = p.parse_args(argv)
    if not 1 <= args.bakes <= 100_000:
        p.error("--bakes must be between 1 and 100000")
    with tempfile.TemporaryDirectory(prefix="guru-bench-installers-") as tmp:
        results = asyncio.run(measure(Path(tmp), args.bakes))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    print(render(results))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
