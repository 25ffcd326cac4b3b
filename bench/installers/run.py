"""Server-built installers: how big the .sh, the .deb, the MSI, the setup EXE and the
one-time support EXE are, how long their cached bases take to build once per release,
and what baking one installer costs per request (signing the config and assembling the
file; for the MSI a copy plus an msibuild update, for the EXEs the certificate table).

    .venv/bin/python bench/installers/run.py [--bakes 200] [--windows-bakes 20]
                                             [--windows-runtime DIR]

Without --windows-runtime the Windows runtime is built (server/installers/windows/
runtime.py); where it cannot be, the Windows part says why and is left out.

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
from guruconnect.server.installers.windows import baking, bases
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


def measure_windows(root: Path, bakes: int, runtime: Path | None) -> dict[str, Any]:
    settings = Settings(
        data_dir=root / "data",
        support_agent_cache_dir=str(root / "cache"),
        windows_runtime_dir=str(runtime) if runtime else "",
    )
    t0 = time.perf_counter()
    try:
        runtime_dir = bases.runtime_dir(settings)
    except bases.WindowsUnavailable as exc:
        return {"windows_skipped": str(exc)}
    runtime_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    built = bases.ensure_sync(settings)
    bases_s = time.perf_counter() - t0
    times: dict[str, list[float]] = {"msi": [], "exe": [], "support": []}
    sizes: dict[str, int] = {}
    for n in range(bakes):
        envelope = service.envelope(installer_row(settings.data_dir, n), settings.data_dir,
                                    server_url="https://rmm.example.com",
                                    fingerprint=secrets.token_hex(32))  # fmt: skip
        for kind, bake in (("msi", baking.msi_file), ("exe", baking.setup_exe),
                           ("support", baking.support_exe)):  # fmt: skip
            t = time.perf_counter()
            baked = bake(built, envelope)
            times[kind].append((time.perf_counter() - t) * 1000)
            sizes[kind] = baked.size
    runtime_bytes = sum(p.stat().st_size for p in runtime_dir.rglob("*") if p.is_file())
    return {
        "windows_runtime_build_s": runtime_s,
        "windows_runtime_mb": runtime_bytes / 1e6,
        "windows_bases_build_s": bases_s,
        "windows_bakes": bakes,
        **{f"{k}_mb": sizes[k] / 1e6 for k in times},
        **{f"{k}_bake_ms_p50": statistics.median(v) for k, v in times.items()},
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
        "Server-built Windows installers",
        *([f"  skipped: {r['windows_skipped']}"] if "windows_skipped" in r else [
            f"  sizes: MSI {r['msi_mb']:.1f} MB, setup EXE {r['exe_mb']:.1f} MB, one-time "
            f"support EXE {r['support_mb']:.2f} MB (runtime {r['windows_runtime_mb']:.1f} MB "
            "unpacked)",
            f"  cold builds (once per release): runtime {r['windows_runtime_build_s']:.1f} s, "
            f"MSI + signed EXE stubs {r['windows_bases_build_s']:.1f} s",
            f"  per installer ({r['windows_bakes']}x): MSI bake p50 "
            f"{r['msi_bake_ms_p50']:.1f} ms, EXE bake p50 {r['exe_bake_ms_p50']:.1f} ms, "
            f"support EXE bake p50 {r['support_bake_ms_p50']:.1f} ms",
        ]),
    ])  # fmt: skip


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--bakes", type=int, default=200, help="installers to bake per kind (200)")
    p.add_argument("--windows-bakes", type=int, default=20, help="Windows bakes per kind (20)")
    p.add_argument("--windows-runtime", type=Path, help="a prepared Windows runtime directory")
    p.add_argument("--output", type=Path, default=RESULTS / "installers.json")
    args = p.parse_args(argv)
    if not 1 <= args.bakes <= 100_000:
        p.error("--bakes must be between 1 and 100000")
    if not 1 <= args.windows_bakes <= 10_000:
        p.error("--windows-bakes must be between 1 and 10000")
    if args.windows_runtime and not (args.windows_runtime / "python.exe").is_file():
        p.error(f"--windows-runtime {args.windows_runtime} holds no python.exe")
    with tempfile.TemporaryDirectory(prefix="guru-bench-installers-") as tmp:
        results = asyncio.run(measure(Path(tmp), args.bakes))
        results |= measure_windows(Path(tmp), args.windows_bakes, args.windows_runtime)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    print(render(results))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
