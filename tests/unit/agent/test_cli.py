from __future__ import annotations

import asyncio
import json
import stat
from pathlib import Path

import pytest

from guruconnect.agent.cli import main
from guruconnect.agent.config import load_config, save_config

from .conftest import EnrollServer, ServerCert
from .test_config import make_config


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["enroll", "--server", "guru.example", "--token", "t"], "must start with https://"),
        (["enroll", "--server", "https://guru.example/x", "--token", "t"], "scheme://host"),
        (["enroll", "--server", "https://h:99999", "--token", "t"], "out of range"),
        (
            ["enroll", "--server", "https://h", "--token", "t", "--fingerprint", "zz"],
            "invalid certificate fingerprint",
        ),
        (["enroll", "--token", "t"], "the following arguments are required: --server"),
        (["run", "--max-backoff", "0"], "--max-backoff: must be between"),
        (["run", "--log-level", "LOUD"], "invalid choice"),
        (["bogus"], "invalid choice"),
    ],
)
def test_usage_errors_exit_2_with_a_reason(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["enroll", "--help"]) == 0
    assert "--fingerprint" in capsys.readouterr().out


def test_enroll_will_not_overwrite_without_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "agent.json"
    path.write_text("{}")
    argv = ["enroll", "--server", "https://127.0.0.1:1", "--token", "t", "--config", str(path)]
    assert main(argv) == 2
    assert "already exists" in capsys.readouterr().err
    assert path.read_text() == "{}"


@pytest.mark.asyncio
async def test_enroll_writes_a_private_config(
    tmp_path: Path,
    enroll_server: EnrollServer,
    server_cert: ServerCert,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "conf" / "agent.json"
    fingerprint = ":".join(server_cert.fingerprint[i : i + 2].upper() for i in range(0, 64, 2))
    argv = ["enroll", "--server", enroll_server.url, "--token", "t",
            "--fingerprint", fingerprint, "--config", str(path)]  # fmt: skip
    assert await asyncio.to_thread(main, argv) == 0
    out = capsys.readouterr().out
    assert (
        f"enrolled as ag_123 (Acme / HQ); server certificate sha256 {server_cert.fingerprint}"
        in out
    )
    assert load_config(path).agent_id == "ag_123"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.asyncio
async def test_enroll_failure_exits_1(
    tmp_path: Path,
    enroll_server: EnrollServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    enroll_server.status = 401
    enroll_server.answer = {"detail": "unknown enrollment token"}
    argv = ["enroll", "--server", enroll_server.url, "--token", "t",
            "--config", str(tmp_path / "agent.json")]  # fmt: skip
    assert await asyncio.to_thread(main, argv) == 1
    assert "unknown enrollment token" in capsys.readouterr().err
    assert not (tmp_path / "agent.json").exists()


def test_reconfigure_changes_only_what_was_given(tmp_path: Path) -> None:
    path = tmp_path / "agent.json"
    save_config(path, make_config(name="old", site="HQ"))
    assert main(["reconfigure", "--config", str(path), "--name", "new", "--tag", "vip"]) == 0
    cfg = load_config(path)
    assert (cfg.name, cfg.site, cfg.tag) == ("new", "HQ", "vip")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_reconfigure_needs_something_to_change(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["reconfigure", "--config", str(tmp_path / "agent.json")]) == 2
    assert "nothing to change" in capsys.readouterr().err


def test_run_with_a_broken_config_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "agent.json"
    path.write_text(json.dumps({"server_url": "https://h"}))
    assert main(["run", "--config", str(path)]) == 1
    assert "missing required field" in capsys.readouterr().err
