"""GuruConnect benchmarks: simulated agents against one real server, and one idle agent.

    .venv/bin/python bench/run.py            # the full run (~6-8 minutes on 2 cores)
    .venv/bin/python bench/run.py --quick    # a smoke run (~1-2 minutes)

Prints a table and writes bench/results/latest.json. See bench/README.md for how to
read the figures. Everything happens on 127.0.0.1, in temporary directories.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import datetime as dt
import json
import os
import platform
import re
import resource
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

import uvloop

import guruconnect
from admin_api import SimIdentity, enroll_agents, enrollment_token
from idle_agent import measure_idle_agent
from pg import postgres_url_from_env, scratch_database
from server_proc import ServerProcess, base_env, cpu_seconds, create_admin, hwm_kb, rss_kb
from sim_agents import PhaseClock, close_all, connect_all, heartbeat_storm, still_open

RESULTS = Path(__file__).resolve().parent / "results"
WARMUP_AGENTS = 20  # connected and dropped first, so "RSS before" is a warmed-up server
BENCH_HEARTBEAT_INTERVAL = 300  # server idle timeout 3x this: never fires during a run
IDLE_HEARTBEAT_INTERVAL = 30  # the production default, for the idle agent
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ ")
GOAL_AGENTS, GOAL_KB_PER_AGENT = 5000, 50.0
GOAL_IDLE_RSS_MB, GOAL_IDLE_CPU_PCT = 30.0, 0.5


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--quick", action="store_true", help="smoke run: 200/1000 agents, 10 s idle")
    p.add_argument("--agents", help="comma-separated agent counts (default 1000,5000)")
    p.add_argument("--tls-agents", type=int, help="agents for the TLS run (default 1000; 0: skip)")
    p.add_argument("--heartbeat-seconds", type=float, help="heartbeat window (default 10)")
    p.add_argument("--idle-seconds", type=float, help="idle agent window (default 60)")
    p.add_argument("--concurrency", type=int, default=200, help="handshakes in flight (200)")
    p.add_argument(
        "--no-compression", action="store_true",
        help="simulated agents do not offer permessage-deflate (the real agent does)",
    )  # fmt: skip
    p.add_argument("--skip-idle", action="store_true", help="skip the idle agent benchmark")
    p.add_argument(
        "--skip-desktop", action="store_true",
        help="skip the remote-desktop benchmark (bench/desktop/run.py)",
    )  # fmt: skip
    p.add_argument(
        "--skip-files", action="store_true",
        help="skip the file-transfer benchmark (bench/files/run.py)",
    )  # fmt: skip
    p.add_argument(
        "--skip-fleet", action="store_true",
        help="skip the 100,000-machine list/search benchmark (bench/fleet/run.py)",
    )  # fmt: skip
    p.add_argument(
        "--skip-support", action="store_true",
        help="skip the one-time support agent benchmark (bench/support/run.py)",
    )  # fmt: skip
    p.add_argument(
        "--skip-installers", action="store_true",
        help="skip the server-built installers benchmark (bench/installers/run.py)",
    )  # fmt: skip
    p.add_argument(
        "--skip-clipboard", action="store_true", help="skip bench/clipboard.py (X11 clipboard)"
    )
    p.add_argument("--skip-postgres", action="store_true", help="SQLite only")
    p.add_argument("--skip-sqlite", action="store_true", help="PostgreSQL only")
    p.add_argument("--output", type=Path, default=RESULTS / "latest.json", help="JSON results")
    args = p.parse_args(argv)
    quick = args.quick
    args.agent_counts = [
        int(x) for x in (args.agents or ("200,1000" if quick else "1000,5000")).split(",")
    ]
    if any(n < 1 or n > 20000 for n in args.agent_counts):
        p.error("--agents: each count must be between 1 and 20000")
    if args.tls_agents is None:
        args.tls_agents = 200 if quick else 1000
    if args.heartbeat_seconds is None:
        args.heartbeat_seconds = 5.0 if quick else 10.0
    if args.idle_seconds is None:
        args.idle_seconds = 10.0 if quick else 60.0
    if not 0 < args.heartbeat_seconds <= 600 or not 0 < args.idle_seconds <= 3600:
        p.error("windows must be positive and bounded (heartbeat <= 600 s, idle <= 3600 s)")
    return args


def raise_fd_limit() -> int:
    """Thousands of sockets on each side; the server subprocess inherits this limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


# --- connection benchmark -------------------------------------------------------------


async def connection_run(
    data_dir: Path,
    env: dict[str, str],
    identities: list[SimIdentity],
    count: int,
    *,
    db: str,
    tls: bool,
    args: argparse.Namespace,
) -> dict[str, Any]:
    """One fresh server process: warm up, connect `count` agents, heartbeat, disconnect."""
    row: dict[str, Any] = {"db": db, "transport": "tls" if tls else "http", "agents": count}
    server = ServerProcess(data_dir, env, tls=tls)
    compression = not args.no_compression
    concurrency = args.concurrency
    try:
        await server.start()
        pid = server.pid

        def server_cpu() -> float:
            return cpu_seconds(pid)

        # Warm-up: first-use imports, pools and caches should not count as per-agent memory.
        warm = await connect_all(
            server.ws_url, identities[:WARMUP_AGENTS], tls=tls, compression=compression,
            concurrency=concurrency, timeout=60,
        )  # fmt: skip
        await heartbeat_storm(warm.conns, 1.0)
        await close_all(warm.conns, concurrency=concurrency, timeout=30)
        await server.wait_agents(0, timeout=30)
        await asyncio.sleep(1.0)
        row["rss_before_kb"] = rss_kb(pid)

        sample = identities[WARMUP_AGENTS : WARMUP_AGENTS + count]
        with PhaseClock(server_cpu) as clock:
            # Generous bound: 20 s plus 20 ms per agent.
            conn = await connect_all(
                server.ws_url, sample, tls=tls, compression=compression,
                concurrency=concurrency, timeout=20 + 0.02 * count,
            )  # fmt: skip
        connected = len(conn.conns)
        row["connected"] = connected
        row["connect_failures"] = dict(conn.failures)
        row["connect"] = vars(clock.phase)
        row["connects_per_s"] = connected / clock.phase.seconds
        row["server_counted"] = await server.wait_agents(connected, timeout=30)
        await asyncio.sleep(1.0)  # let go_online's database writes settle
        row["rss_connected_kb"] = rss_kb(pid)
        grown = row["rss_connected_kb"] - row["rss_before_kb"]
        row["kb_per_agent"] = grown / connected if connected else None

        with PhaseClock(server_cpu) as clock:
            storm = await heartbeat_storm(conn.conns, args.heartbeat_seconds)
        row["heartbeat"] = vars(clock.phase)
        row["heartbeats"] = storm.acks
        row["heartbeats_per_s"] = storm.per_second
        row["heartbeat_rtt_ms"] = {"p50": storm.rtt_ms(0.50), "p99": storm.rtt_ms(0.99)}
        row["heartbeat_failures"] = dict(storm.failures)
        row["rss_after_heartbeats_kb"] = rss_kb(pid)
        row["still_open_client"] = still_open(conn.conns)
        row["still_connected_server"] = await server.agents_connected()

        with PhaseClock(server_cpu) as clock:
            closing = await close_all(conn.conns, concurrency=concurrency, timeout=120)
            row["server_counted_after_close"] = await server.wait_agents(0, timeout=60)
        row["disconnect"] = vars(clock.phase)
        row["settle_after_disconnect_s"] = await server.wait_quiet(timeout=90)
        row["disconnect_failures"] = dict(closing)
        row["server_peak_rss_kb"] = hwm_kb(pid)
    except Exception as exc:
        row["error"] = f"{type(exc).__name__}: {exc}"
        row["traceback"] = traceback.format_exc()
        row["server_log_tail"] = server.log_tail(40)
    finally:
        row["server_alive_at_end"] = server.alive()
        row["server_exit_code"] = server.stop()
        row["server_problems"] = server.new_problems()[:50]
        if row["server_problems"] or "error" in row:
            # Keep the whole log of a row that went wrong; the temp dir is removed.
            RESULTS.mkdir(parents=True, exist_ok=True)
            kept = RESULTS / f"server-{db}-{row['transport']}-{count}.log"
            kept.write_text(server.log_text())
            row["server_log"] = str(kept)
    return row


async def bench_database(
    db: str, database_url: str, root: Path, args: argparse.Namespace
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    data_dir = root / db
    env = base_env(database_url, BENCH_HEARTBEAT_INTERVAL)
    total = max([*args.agent_counts, args.tls_agents]) + WARMUP_AGENTS
    password = await asyncio.to_thread(create_admin, data_dir, env)
    server = ServerProcess(data_dir, env, tls=False)
    await server.start()
    try:
        token = await enrollment_token(server.base_url, "bench", password)
        with PhaseClock(lambda: cpu_seconds(server.pid)) as clock:
            enrolled = await enroll_agents(server.base_url, token, total, timeout=600)
        enrollment = {
            "db": db,
            "agents": len(enrolled.identities),
            "failures": enrolled.failures,
            "first_error": enrolled.first_error,
            "per_s": enrolled.per_second,
            **vars(clock.phase),
            "server_problems": server.new_problems()[:50],
        }
    finally:
        server.stop()
    rate = enrolled.per_second
    print(f"  enrolled {len(enrolled.identities)} agents at {rate:.0f}/s", flush=True)
    ids = enrolled.identities
    runs: list[dict[str, Any]] = []
    plan = [(n, False) for n in args.agent_counts]
    if args.tls_agents:
        plan.append((args.tls_agents, True))
    for count, tls in plan:
        if count + WARMUP_AGENTS > len(ids):
            runs.append({"db": db, "agents": count, "error": "not enough enrolled agents"})
            continue
        label = f"{db} {'tls' if tls else 'http'} {count}"
        print(f"  connection run: {label} ...", flush=True)
        row = await connection_run(data_dir, env, ids, count, db=db, tls=tls, args=args)
        print("    " + (row.get("error") or _short_row(row)), flush=True)
        runs.append(row)
    return enrollment, runs


def _short_row(r: dict[str, Any]) -> str:
    return (
        f"{r['connected']}/{r['agents']} connected at {r['connects_per_s']:.0f}/s, "
        f"{r['kb_per_agent']:.1f} kB/agent, {r['heartbeats_per_s']:.0f} heartbeats/s"
    )


# --- idle agent -----------------------------------------------------------------------


async def bench_idle(root: Path, args: argparse.Namespace) -> dict[str, Any]:
    data_dir = root / "idle"
    env = base_env("", IDLE_HEARTBEAT_INTERVAL)
    password = await asyncio.to_thread(create_admin, data_dir, env)
    server = ServerProcess(data_dir, env, tls=True)  # agents run over TLS in production
    await server.start()
    try:
        token = await enrollment_token(server.base_url, "bench", password)
        workdir = root / "idle-agent"
        workdir.mkdir()
        result = await measure_idle_agent(server, token, workdir, env, seconds=args.idle_seconds)
        return {
            "seconds": result.seconds,
            "rss_start_kb": result.rss_start_kb,
            "rss_end_kb": result.rss_end_kb,
            "peak_rss_kb": result.hwm_kb,
            "cpu_seconds": result.cpu_seconds,
            "cpu_sched_seconds": result.cpu_sched_seconds,
            "cpu_pct": result.cpu_pct,
            "heartbeat_interval_s": IDLE_HEARTBEAT_INTERVAL,
            "agent_exit_code": result.exit_code,
            "agent_log_tail": result.log_tail,
            "server_problems": server.new_problems()[:50],
        }
    except Exception as exc:
        return {
            "error": f"{type(exc).__name__}: {exc}",
            "traceback": traceback.format_exc(),
            "server_log_tail": server.log_tail(40),
        }
    finally:
        server.stop()


# --- report ---------------------------------------------------------------------------


def _fmt(value: Any, spec: str = ".0f") -> str:
    return "-" if value is None else format(value, spec)


def render(results: dict[str, Any]) -> str:
    out: list[str] = []
    s = results["settings"]
    out.append(
        f"GuruConnect {results['version']} benchmarks - {results['started_at']} - "
        f"{results['machine']['cpus']} CPUs, Python {results['machine']['python']}"
    )
    out.append(
        f"server: 1 process (uvicorn + uvloop); clients: 1 process, {s['concurrency']} "
        f"handshakes in flight, permessage-deflate {'on' if s['compression'] else 'off'}; "
        f"heartbeat window {s['heartbeat_seconds']:.0f} s"
    )
    out.append("")
    out.append("Enrollment (setup, HTTP POST /api/v1/agents/enroll, 32 in flight)")
    out.append(f"  {'db':<10} {'agents':>7} {'per s':>7} {'srv CPU%':>9} {'failures':>9}")
    for e in results["enrollment"]:
        out.append(
            f"  {e['db']:<10} {e['agents']:>7} {e['per_s']:>7.0f} "
            f"{e['server_cpu_pct']:>9.0f} {e['failures']:>9}"
        )
    out.append("")
    out.append("Simulated agents (fresh server process per row)")
    head = (
        f"  {'db':<10} {'conn':<5} {'agents':>6} {'ok':>6} {'conn/s':>7} {'srvCPU%':>7} "
        f"{'cliCPU%':>7} | {'RSS0 MB':>7} {'RSS MB':>7} {'kB/agt':>6} | {'hb/s':>6} "
        f"{'p50 ms':>6} {'p99 ms':>7} {'srvCPU%':>7} {'cliCPU%':>7} | {'errors':>6}"
    )
    out.append(head)
    for r in results["connections"]:
        if "error" in r and "connect" not in r:
            out.append(f"  {r['db']:<10} {r.get('transport', ''):<5} {r['agents']:>6}  "
                       f"ERROR {r['error']}")  # fmt: skip
            continue
        c, h = r["connect"], r.get("heartbeat", {})
        errors = (
            sum(r["connect_failures"].values())
            + sum(r.get("heartbeat_failures", {}).values())
            + sum(r.get("disconnect_failures", {}).values())
        )
        rtt = r.get("heartbeat_rtt_ms", {})
        out.append(
            f"  {r['db']:<10} {r['transport']:<5} {r['agents']:>6} {r['connected']:>6} "
            f"{r['connects_per_s']:>7.0f} {c['server_cpu_pct']:>7.0f} "
            f"{c['client_cpu_pct']:>7.0f} | {r['rss_before_kb'] / 1024:>7.1f} "
            f"{r['rss_connected_kb'] / 1024:>7.1f} {_fmt(r['kb_per_agent'], '.1f'):>6} | "
            f"{_fmt(r.get('heartbeats_per_s')):>6} {_fmt(rtt.get('p50'), '.1f'):>6} "
            f"{_fmt(rtt.get('p99'), '.1f'):>7} {_fmt(h.get('server_cpu_pct')):>7} "
            f"{_fmt(h.get('client_cpu_pct')):>7} | {errors:>6}"
        )
        if "error" in r:
            out.append(f"      ERROR {r['error']}")
    idle = results.get("idle_agent")
    if idle:
        out.append("")
        out.append("Idle agent (real `guruconnect agent run`, TLS, heartbeat every 30 s)")
        if "error" in idle:
            out.append(f"  ERROR {idle['error']}")
        else:
            out.append(
                f"  window {idle['seconds']:.0f} s: RSS {idle['rss_start_kb'] / 1024:.1f} -> "
                f"{idle['rss_end_kb'] / 1024:.1f} MB (peak {idle['peak_rss_kb'] / 1024:.1f}), "
                f"CPU {idle['cpu_seconds']:.2f} s (ticks), {idle['cpu_sched_seconds']:.3f} s "
                f"(schedstat) = {idle['cpu_pct']:.3f}%"
            )
    out.append("")
    out.append("Goals (reported, not asserted)")
    for g in results["goals"]:
        out.append(f"  [{g['verdict']:^7}] {g['goal']}: {g['measured']}")
    problems: collections.Counter[str] = collections.Counter()
    for r in results["connections"]:
        for line in r.get("server_problems", []):
            # Drop the timestamp so repeats of one message collapse into a count.
            message = TIMESTAMP.sub("", line)
            problems[f"[{r['db']} {r.get('transport', '')} {r['agents']}] {message}"] += 1
    if problems:
        out.append("")
        out.append("Server problems seen (log lines above INFO; whole logs kept in bench/results)")
        for line, times in problems.most_common(20):
            out.append(f"  {times:>4}x {line}")
    return "\n".join(out)


def goals(results: dict[str, Any]) -> list[dict[str, str]]:
    verdicts: list[dict[str, str]] = []
    for r in results["connections"]:
        if r.get("transport") != "http" or r.get("kb_per_agent") is None:
            continue
        if r["agents"] < GOAL_AGENTS:
            continue
        ok = r["connected"] >= GOAL_AGENTS and r["kb_per_agent"] < GOAL_KB_PER_AGENT
        verdicts.append({
            "goal": f"{GOAL_AGENTS} agents on one server process, < {GOAL_KB_PER_AGENT:.0f} "
                    f"kB each ({r['db']})",
            "measured": f"{r['connected']} connected, {r['kb_per_agent']:.1f} kB/agent",
            "verdict": "met" if ok else "MISSED",
        })  # fmt: skip
    if not verdicts:
        verdicts.append({
            "goal": f"{GOAL_AGENTS} agents at < {GOAL_KB_PER_AGENT:.0f} kB each",
            "measured": "not run at that size", "verdict": "n/a",
        })  # fmt: skip
    idle = results.get("idle_agent")
    if idle and "error" not in idle:
        rss_mb = max(idle["rss_start_kb"], idle["rss_end_kb"]) / 1024
        verdicts.append({
            "goal": f"idle agent <= {GOAL_IDLE_RSS_MB:.0f} MB RSS",
            "measured": f"{rss_mb:.1f} MB",
            "verdict": "met" if rss_mb <= GOAL_IDLE_RSS_MB else "MISSED",
        })  # fmt: skip
        verdicts.append({
            "goal": f"idle agent < {GOAL_IDLE_CPU_PCT}% CPU",
            "measured": f"{idle['cpu_pct']:.3f}%",
            "verdict": "met" if idle["cpu_pct"] < GOAL_IDLE_CPU_PCT else "MISSED",
        })  # fmt: skip
    return verdicts


# --- main -----------------------------------------------------------------------------


async def main(args: argparse.Namespace) -> dict[str, Any]:
    started = time.perf_counter()
    results: dict[str, Any] = {
        "version": guruconnect.__version__,
        "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "fd_limit": raise_fd_limit(),
        },
        "settings": {
            "quick": args.quick,
            "agent_counts": args.agent_counts,
            "tls_agents": args.tls_agents,
            "heartbeat_seconds": args.heartbeat_seconds,
            "idle_seconds": args.idle_seconds,
            "concurrency": args.concurrency,
            "compression": not args.no_compression,
            "warmup_agents": WARMUP_AGENTS,
            "server_heartbeat_interval_s": BENCH_HEARTBEAT_INTERVAL,
        },
        "enrollment": [],
        "connections": [],
    }
    pg_url = "" if args.skip_postgres else postgres_url_from_env()
    with tempfile.TemporaryDirectory(prefix="guru-bench-") as tmp:
        root = Path(tmp)
        if not args.skip_sqlite:
            print("SQLite:", flush=True)
            enrollment, runs = await bench_database("sqlite", "", root, args)
            results["enrollment"].append(enrollment)
            results["connections"].extend(runs)
        if pg_url:
            print("PostgreSQL:", flush=True)
            async with scratch_database(pg_url) as url:
                enrollment, runs = await bench_database("postgresql", url, root, args)
            results["enrollment"].append(enrollment)
            results["connections"].extend(runs)
        else:
            print("PostgreSQL: skipped (set GURU_TEST_POSTGRES_URL or GURU_BENCH_POSTGRES_URL)")
        if not args.skip_idle:
            print(f"Idle agent: {args.idle_seconds:.0f} s window ...", flush=True)
            results["idle_agent"] = await bench_idle(root, args)
    results["goals"] = goals(results)
    results["total_seconds"] = time.perf_counter() - started
    return results


def cli(argv: list[str]) -> int:
    args = parse_args(argv)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        results = runner.run(main(args))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print()
    print(render(results))
    print(f"\n({results['total_seconds']:.0f} s; JSON in {args.output})")
    failed = any("error" in r for r in results["connections"]) or "error" in results.get(
        "idle_agent", {}
    )
    if not args.skip_desktop:
        failed |= run_desktop_bench(args.quick) != 0
    if not args.skip_files:
        failed |= run_files_bench(args.quick) != 0
    if not args.skip_fleet:
        failed |= run_fleet_bench(args) != 0
    if not args.skip_support:
        failed |= run_support_bench(args.quick) != 0
    if not args.skip_installers:
        script = Path(__file__).resolve().parent / "installers" / "run.py"
        print("\nServer-built installers (bench/installers/run.py) ...", flush=True)
        extra = ["--bakes", "50"] if args.quick else []
        failed |= subprocess.run([sys.executable, str(script), *extra], check=False).returncode != 0
    if not args.skip_clipboard:
        script = Path(__file__).resolve().parent / "clipboard.py"
        print("\nClipboard and typing (bench/clipboard.py) ...", flush=True)
        extra = ["--mb", "4"] if args.quick else []
        failed |= subprocess.run([sys.executable, str(script), *extra], check=False).returncode != 0
    return 1 if failed else 0


def run_files_bench(quick: bool) -> int:
    """bench/files in its own process: a real server and agent moving 1 GB each way.
    It prints its own table and writes bench/results/files.json."""
    script = Path(__file__).resolve().parent / "files" / "run.py"
    extra = ["--size-mb", "256"] if quick else []
    print("\nFile transfer (bench/files/run.py) ...", flush=True)
    return subprocess.run([sys.executable, str(script), *extra], check=False).returncode


def run_desktop_bench(quick: bool) -> int:
    """bench/desktop in its own process: Playwright's sync API wants a thread without
    an event loop, and this one ran uvloop. It prints its own table and JSON."""
    script = Path(__file__).resolve().parent / "desktop" / "run.py"
    extra = ["--seconds", "5", "--clicks", "10"] if quick else []
    print("\nRemote desktop (bench/desktop/run.py) ...", flush=True)
    return subprocess.run([sys.executable, str(script), *extra], check=False).returncode


def run_fleet_bench(args: argparse.Namespace) -> int:
    """bench/fleet in its own process (its own event loop, server and databases). It
    prints its own table and writes bench/results/fleet.json."""
    script = Path(__file__).resolve().parent / "fleet" / "run.py"
    extra = ["--machines", "20000", "--repeat", "10", "--burst", "1000"] if args.quick else []
    extra += ["--skip-postgres"] if args.skip_postgres else []
    extra += ["--skip-sqlite"] if args.skip_sqlite else []
    print("\nFinding machines (bench/fleet/run.py) ...", flush=True)
    return subprocess.run([sys.executable, str(script), *extra], check=False).returncode


def run_support_bench(quick: bool) -> int:
    """bench/support in its own process: size, cold build and per-download bake time of
    the Linux one-time agent. Writes bench/results/support.json."""
    script = Path(__file__).resolve().parent / "support" / "run.py"
    extra = ["--downloads", "50"] if quick else []
    print("\nOne-time support agent (bench/support/run.py) ...", flush=True)
    return subprocess.run([sys.executable, str(script), *extra], check=False).returncode


if __name__ == "__main__":
    sys.exit(cli(sys.argv[1:]))
