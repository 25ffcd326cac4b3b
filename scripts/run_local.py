"""`make run`: the server on its embedded defaults plus one local agent enrolled against it.

State lives in ./var: the SQLite database, the generated certificate, and the agent's
identity. Ctrl-C stops everything; running it again reuses what is there.
"""

from __future__ import annotations

import os
import shutil
import signal
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
BIND = os.environ.get("GURU_BIND", "127.0.0.1:8443")
URL = f"https://{BIND}"
AGENT_CONFIG = VAR / "agent" / "agent.json"
GURU = [sys.executable, "-m", "guruconnect"]


def healthy() -> bool:
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # our own self-signed certificate; the agent pins it
    try:
        with urllib.request.urlopen(f"{URL}/healthz", context=ctx, timeout=2) as r:
            return bool(r.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def start_display() -> tuple[subprocess.Popen[bytes] | None, dict[str, str]]:
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        print("  Xvfb not found: the local agent runs without a virtual display.")
        return None, {}
    display = ":87"
    proc = subprocess.Popen(
        [xvfb, display, "-screen", "0", "1920x1080x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return proc, {"DISPLAY": display}


def main() -> int:
    VAR.mkdir(exist_ok=True, mode=0o700)
    env = {**os.environ, "GURU_DATA_DIR": str(VAR)}
    server = subprocess.Popen([*GURU, "server", "--bind", BIND], env=env)
    procs: list[subprocess.Popen[bytes]] = [server]
    try:
        deadline = time.monotonic() + 60
        while not healthy():
            if server.poll() is not None or time.monotonic() > deadline:
                print("The server did not start; see the messages above.", file=sys.stderr)
                return 1
            time.sleep(0.3)
        if not AGENT_CONFIG.exists():
            token = subprocess.run(
                [
                    *GURU,
                    "admin",
                    "create-enrollment-token",
                    "--company",
                    "Local",
                    "--site",
                    "This computer",
                    "--max-uses",
                    "1",
                ],
                env=env,
                check=True,
                capture_output=True,
                text=True,
            ).stdout.strip()
            subprocess.run(
                [
                    *GURU,
                    "agent",
                    "enroll",
                    "--server",
                    URL,
                    "--token",
                    token,
                    "--config",
                    str(AGENT_CONFIG),
                    "--device-type",
                    "Workstation",
                ],
                env=env,
                check=True,
            )
        xvfb, display_env = start_display()
        if xvfb is not None:
            procs.append(xvfb)
        procs.append(
            subprocess.Popen(
                [*GURU, "agent", "run", "--config", str(AGENT_CONFIG)],
                env={**env, **display_env},
            )
        )
        print(
            f"\n  GuruConnect is running.\n  Dashboard: {URL}/console  (self-signed certificate)\n"
            "  First administrator, if you have none yet:\n"
            "    .venv/bin/guruconnect admin create-user admin --role admin "
            "--data-dir var --generate-password\n"
            "  (or use the bootstrap token printed above). Ctrl-C stops everything.\n",
            flush=True,
        )
        server.wait()
        return server.returncode or 0
    except KeyboardInterrupt:
        return 0
    finally:
        for proc in reversed(procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


if __name__ == "__main__":
    raise SystemExit(main())
