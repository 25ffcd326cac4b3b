"""The Linux one-time support agent: how big it is, how long the cached payload takes
to build, what each download costs the server, and how long the visitor's computer
spends unpacking it.

    .venv/bin/python bench/support/run.py [--downloads 200]

Prints a table and writes bench/results/support.json. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import secrets
import statistics
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

from guruconnect.server.config import Settings
from guruconnect.server.support import bundle

RESULTS = Path(__file__).resolve().parents[1] / "results"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def measure(root: Path, downloads: int) -> dict[str, Any]:
    settings = Settings(data_dir=root / "data", support_agent_cache_dir=str(root / "cache"))
    files = bundle.payload_files()
    unpacked = sum(path.stat().st_size for _, path in files)

    started = time.perf_counter()
    payload = await bundle.ensure_payload(settings)
    build_s = time.perf_counter() - started

    bake_ms: list[float] = []
    stream_ms: list[float] = []
    size = 0
    for _ in range(downloads):
        token = secrets.token_urlsafe(32)
        t0 = time.perf_counter()
        agent = await bundle.linux_agent(
            settings, server_url="https://support.example.com",
            fingerprint=secrets.token_hex(32), join_token=token,
        )  # fmt: skip
        t1 = time.perf_counter()
        size = 0
        async for chunk in agent.chunks():
            size += len(chunk)
        t2 = time.perf_counter()
        bake_ms.append((t1 - t0) * 1000)
        stream_ms.append((t2 - t1) * 1000)

    # What the bootstrap does on the visitor's computer (same code path: tarfile + lzma).
    data = payload.path.read_bytes()
    with tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:xz") as tar:
            tar.extractall(out, filter="data")
        extract_s = time.perf_counter() - t0

    return {
        "files": len(files),
        "unpacked_mb": unpacked / 1e6,
        "payload_mb": payload.size / 1e6,
        "download_mb": size / 1e6,
        "xz_preset": bundle.XZ_PRESET,
        "build_s": build_s,
        "downloads": downloads,
        "bake_ms_p50": statistics.median(bake_ms),
        "bake_ms_p99": percentile(bake_ms, 0.99),
        "stream_ms_p50": statistics.median(stream_ms),
        "extract_s": extract_s,
    }


def render(r: dict[str, Any]) -> str:
    return "\n".join([
        "One-time support agent (Linux)",
        f"  payload: {r['files']} files, {r['unpacked_mb']:.1f} MB unpacked -> "
        f"{r['payload_mb']:.1f} MB tar.xz (preset {r['xz_preset']}); "
        f"download {r['download_mb']:.1f} MB",
        f"  cold build (once per version): {r['build_s']:.1f} s",
        f"  per download ({r['downloads']}x): bake p50 {r['bake_ms_p50']:.2f} ms, "
        f"p99 {r['bake_ms_p99']:.2f} ms; "
        f"reading the cached payload p50 {r['stream_ms_p50']:.0f} ms",
        f"  unpacking on the visitor's computer: {r['extract_s']:.1f} s",
    ])  # fmt: skip


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--downloads", type=int, default=200, help="downloads to bake (200)")
    p.add_argument("--output", type=Path, default=RESULTS / "support.json")
    args = p.parse_args(argv)
    if not 1 <= args.downloads <= 100_000:
        p.error("--downloads must be between 1 and 100000")
    with tempfile.TemporaryDirectory(prefix="guru-bench-support-") as tmp:
        results = asyncio.run(measure(Path(tmp), args.downloads))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    print(render(results))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
