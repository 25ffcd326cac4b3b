"""File-transfer benchmark: a 1 GB upload and download through a real server, on loopback.

    .venv/bin/python bench/files/run.py              # ~1 minute
    .venv/bin/python bench/files/run.py --size-mb 256

A real server and a real agent (its file root in a temporary folder) on this machine.
The client plays the browser: the upload goes over /ws/files/ID exactly as the file
panel sends it (1 MiB chunks, credit window, SHA-256 at the end), the download is the
HTTP GET the browser's download manager makes. Both are checked by SHA-256. Then the
folder download: the same big file plus 2,000 small ones as one streamed ZIP archive,
checked by every member's CRC.

Figures: MB/s (10^6 bytes per second, wall clock from the first request to the agent's
TransferDone / the last byte), CPU% of the server and of the agent over the transfer
(100% = one core, from /proc), and the server's RSS before, at its peak (sampled every
50 ms) and after: flat memory means no whole-file buffering. The target (>= 100 MB/s)
is printed, never asserted.

Prints a table and writes bench/results/files.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path[:0] = [str(REPO), str(REPO / "bench" / "desktop")]

from procstat import cpu_seconds  # noqa: E402
from tests.support.databases import database_url  # noqa: E402
from tests.support.files import files_agent, files_socket, make_file, upload  # noqa: E402
from tests.support.server import ServerProcess  # noqa: E402
from tests.support.users import sign_in  # noqa: E402

from guruconnect.protocol.files import TransferDone  # noqa: E402

RESULTS = REPO / "bench" / "results"
TARGET_MBPS = 100.0
SMALL_FILES = 2000  # in the folder download, beside the big file
SMALL_BYTES = 4096


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class Sampler:
    """Peak RSS of a process while a block runs (VmHWM cannot be reset without root)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_kb(self.pid))
            time.sleep(0.05)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def measure(size: int, server_pid: int, agent_pid: int, run: Callable[[], str]) -> dict[str, Any]:
    before = rss_kb(server_pid)
    cpu0, agent0 = cpu_seconds(server_pid), cpu_seconds(agent_pid)
    client0 = time.process_time()
    with Sampler(server_pid) as sampler:
        started = time.perf_counter()
        digest = run()
        seconds = time.perf_counter() - started
    client_cpu = time.process_time() - client0
    return {
        "bytes": size,
        "seconds": round(seconds, 2),
        "mb_per_s": round(size / seconds / 1e6, 1),
        "server_cpu_pct": round(100 * (cpu_seconds(server_pid) - cpu0) / seconds, 1),
        "agent_cpu_pct": round(100 * (cpu_seconds(agent_pid) - agent0) / seconds, 1),
        "client_cpu_pct": round(100 * client_cpu / seconds, 1),
        "server_rss_mb_before": round(before / 1024, 1),
        "server_rss_mb_peak": round(sampler.peak / 1024, 1),
        "server_rss_mb_after": round(rss_kb(server_pid) / 1024, 1),
        "sha256": digest,
    }


def bench(size_mb: int, work: Path) -> dict[str, Any]:
    size = size_mb * 1024 * 1024
    data = work / "server"
    data.mkdir()
    with database_url("sqlite", data) as url:
        server = ServerProcess(data, url, extra_env={"GURU_LOG_LEVEL": "WARNING"})
        server.start()
        try:
            admin = sign_in(server)
            root = work / "root"
            root.mkdir()
            home = work / "agent"
            home.mkdir()
            source = work / "source.bin"
            digest = make_file(source, size)
            with files_agent(server, admin, home, [root]) as agent:
                assert server.proc is not None and agent.proc is not None
                server_pid, agent_pid = server.proc.pid, agent.proc.pid

                def do_upload() -> str:
                    with files_socket(server, admin, agent.agent_id) as ws:
                        done = upload(ws, source, str(root / "up.bin"))
                    assert isinstance(done, TransferDone), done
                    return done.sha256

                def do_download() -> str:
                    import hashlib

                    h = hashlib.sha256()
                    path = f"/api/v1/machines/{agent.agent_id}/files/download"
                    with admin.client.stream("GET", path, params={"path": str(source)}) as r:
                        r.raise_for_status()
                        for block in r.iter_raw(1024 * 1024):
                            h.update(block)
                    return h.hexdigest()

                source_link = root / "source.bin"
                source_link.hardlink_to(source)
                source = source_link
                up = measure(size, server_pid, agent_pid, do_upload)
                (root / "up.bin").unlink()
                down = measure(size, server_pid, agent_pid, do_download)

                # A folder as one ZIP: the big file plus many small ones (per-file cost).
                tree = root / "tree"
                (tree / "small").mkdir(parents=True)
                (tree / "big.bin").hardlink_to(source)
                for n in range(SMALL_FILES):
                    (tree / "small" / f"{n:05}.txt").write_bytes(os.urandom(SMALL_BYTES))
                archive = work / "tree.zip"

                def do_folder() -> str:
                    path = f"/api/v1/machines/{agent.agent_id}/files/download-folder"
                    with (
                        admin.client.stream("GET", path, params={"path": str(tree)}) as r,
                        archive.open("wb") as out,
                    ):
                        r.raise_for_status()
                        for block in r.iter_raw(1024 * 1024):
                            out.write(block)
                    return ""

                folder_bytes = size + SMALL_FILES * SMALL_BYTES
                folder = measure(folder_bytes, server_pid, agent_pid, do_folder)
            for result in (up, down):
                result["hash_ok"] = result.pop("sha256") == digest
            folder.pop("sha256")
            with zipfile.ZipFile(archive) as zipped:  # every member's CRC, after the clock
                members = len(zipped.namelist())  # + big.bin, tree/ and tree/small/
                folder["hash_ok"] = zipped.testzip() is None and members == SMALL_FILES + 3
            folder["files"] = SMALL_FILES + 1
            return {"upload": up, "download": down, "folder_zip": folder}
        finally:
            server.close_clients()
            server.stop()


def render(results: dict[str, Any]) -> str:
    lines = [
        f"File transfer, {results['size_mb']} MiB through the server on loopback "
        f"(target >= {TARGET_MBPS:.0f} MB/s)",
        f"{'':10} {'MB/s':>7} {'s':>6} {'srv CPU%':>9} {'agent CPU%':>11} {'client CPU%':>12} "
        f"{'srv RSS MB before/peak/after':>30} {'hash':>5}",
    ]
    for name in ("upload", "download", "folder_zip"):
        r = results[name]
        rss = f"{r['server_rss_mb_before']}/{r['server_rss_mb_peak']}/{r['server_rss_mb_after']}"
        lines.append(
            f"{name:10} {r['mb_per_s']:7.1f} {r['seconds']:6.1f} {r['server_cpu_pct']:9.1f} "
            f"{r['agent_cpu_pct']:11.1f} {r['client_cpu_pct']:12.1f} {rss:>30} "
            f"{'ok' if r['hash_ok'] else 'BAD':>5}"
        )
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--size-mb", type=int, default=1024, help="file size in MiB (default 1024)")
    p.add_argument("--output", type=Path, default=RESULTS / "files.json")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="guru-files-bench-") as tmp:
        results = bench(args.size_mb, Path(tmp))
    results |= {
        "size_mb": args.size_mb,
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    print(render(results))
    ok = all(results[name]["hash_ok"] for name in ("upload", "download", "folder_zip"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
