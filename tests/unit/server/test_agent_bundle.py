"""The Linux one-time agent file: what goes into the payload, and the bootstrap header
(runs under the system python3, checks the download, extracts privately, hands over).

The whole file with the real agent in it is exercised end to end by
tests/integration/test_support_lifecycle.py; here the bootstrap runs over a small
payload whose ``guruconnect.agent.support`` only records how it was started, so the
header's contract (arguments, environment, checks) can be seen exactly.
"""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import tarfile
from pathlib import Path

import pytest

from guruconnect.agent.support.cleanup import DIR_MARKER, SCRIPT_MAGIC
from guruconnect.agent.support.config import SupportConfig, SupportConfigError
from guruconnect.server.support import bundle
from tests.support.system import ensure_system_python

RECORDER = """
import json, os, sys
with open(os.environ["RECORD_TO"], "w") as f:
    json.dump({"argv": sys.argv[1:], "cwd": os.getcwd(),
               "pythonpath": os.environ.get("PYTHONPATH"),
               "nousersite": os.environ.get("PYTHONNOUSERSITE")}, f)
"""
CFG = SupportConfig(server_url="https://support.example.com:8443",
                    server_fingerprint="cd" * 32, join_token="T" * 43)  # fmt: skip


def test_payload_holds_the_agent_and_its_libraries_but_no_server() -> None:
    names = [name for name, _ in bundle.payload_files()]
    for needed in ("guruconnect/agent/support/app.py", "guruconnect/protocol/support.py",
                   "guruconnect/agent/desktop/worker.py", "msgspec/__init__.py",
                   "websockets/__init__.py", "nacl/__init__.py"):  # fmt: skip
        assert needed in names
    assert not [n for n in names if n.startswith(("guruconnect/server/", "guruconnect/web/"))]
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    # The server's own libraries stay out.
    assert not [n for n in names if n.startswith(("fastapi/", "sqlalchemy/", "uvicorn/"))]


def small_payload(tmp_path: Path) -> bundle.Payload:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:xz") as tar:
        for name, text in [("guruconnect/__init__.py", ""), ("guruconnect/agent/__init__.py", ""),
                           ("guruconnect/agent/support/__init__.py", ""),
                           ("guruconnect/agent/support/__main__.py", RECORDER)]:  # fmt: skip
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    path = tmp_path / "payload.tar.xz"
    path.write_bytes(buffer.getvalue())
    return bundle.Payload(path, path.stat().st_size, hashlib.sha256(buffer.getvalue()).hexdigest())


@pytest.fixture
def system_python() -> None:
    ensure_system_python(tk=True)


def run_script(script: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    temp = tmp_path / "tmp"
    temp.mkdir(exist_ok=True)
    env = {"PATH": "/usr/bin:/bin", "TMPDIR": str(temp), "HOME": str(tmp_path),
           "RECORD_TO": str(tmp_path / "record.json")}  # fmt: skip
    return subprocess.run(["sh", str(script)], env=env, cwd=tmp_path, capture_output=True,
                          text=True, timeout=60, check=False)  # fmt: skip


def test_bootstrap_extracts_privately_and_hands_over(tmp_path: Path, system_python: None) -> None:
    agent = bundle.bake(small_payload(tmp_path), CFG)
    assert agent.prefix.startswith(SCRIPT_MAGIC)
    script = tmp_path / "Downloads" / "guruconnect-support.sh"
    script.parent.mkdir()
    script.write_bytes(agent.read_all())
    assert len(agent.read_all()) == agent.size

    done = run_script(script, tmp_path)
    assert done.returncode == 0, done.stderr
    record = json.loads((tmp_path / "record.json").read_text())
    run_dir = Path(record["argv"][1]).parent
    assert record["argv"] == ["--config", f"{run_dir}/config.json", "--remove", str(run_dir),
                              "--remove", str(script)]  # fmt: skip
    assert run_dir.parent == tmp_path / "tmp" and run_dir.name.startswith("guruconnect-support-")
    assert (run_dir.stat().st_mode & 0o777) == 0o700  # only the user can read the join token
    assert (run_dir / DIR_MARKER).is_file()
    assert json.loads((run_dir / "config.json").read_bytes()) == {
        "server_url": CFG.server_url, "server_fingerprint": CFG.server_fingerprint,
        "join_token": CFG.join_token, "portal_name": CFG.portal_name,
        "max_backoff": CFG.max_backoff,
    }  # fmt: skip
    assert record["pythonpath"] == f"{run_dir}/lib" and record["nousersite"] == "1"
    assert record["cwd"] == str(run_dir)


def test_a_damaged_download_is_refused_and_leaves_nothing(
    tmp_path: Path, system_python: None
) -> None:
    full = bundle.bake(small_payload(tmp_path), CFG).read_all()
    for damaged in (
        full[:-10],
        full[:-10] + b"0123456789",
        full.replace(b"__GURUCONNECT_PAYLOAD__", b"x"),
    ):
        script = tmp_path / "guruconnect-support.sh"
        script.write_bytes(damaged)
        done = run_script(script, tmp_path)
        assert done.returncode == 1
        assert "damaged" in done.stderr and "download the agent again" in done.stderr
        assert list((tmp_path / "tmp").iterdir()) == []
        assert not (tmp_path / "record.json").exists()


async def test_bad_values_are_refused_before_baking(tmp_path: Path) -> None:
    from guruconnect.server.config import Settings

    settings = Settings(data_dir=tmp_path, support_agent_cache_dir=str(tmp_path / "cache"))
    with pytest.raises(SupportConfigError, match="join_token"):
        bundle.bake(small_payload(tmp_path),
                    SupportConfig(server_url="https://x.example", server_fingerprint="ab" * 32,
                                  join_token="../../etc"))  # fmt: skip
    with pytest.raises(ValueError, match="certificate pin"):
        await bundle.linux_agent(settings, server_url="https://x.example", fingerprint="",
                                 join_token="T" * 43)  # fmt: skip
