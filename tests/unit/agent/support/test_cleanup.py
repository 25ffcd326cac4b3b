"""Self-removal deletes exactly the agent's own files, once, and refuses anything else."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from guruconnect.agent.support.cleanup import (
    DIR_MARKER,
    SCRIPT_MAGIC,
    RemovalRefused,
    SelfRemoval,
    check_removable,
)


def agent_files(tmp_path: Path) -> tuple[Path, Path]:
    run = tmp_path / "guruconnect-support-x"
    (run / "lib" / "pkg").mkdir(parents=True)
    (run / DIR_MARKER).touch()
    (run / "lib" / "pkg" / "mod.py").write_text("x = 1\n")
    script = tmp_path / "guruconnect-support.sh"
    script.write_bytes(SCRIPT_MAGIC + b"\nexit 0\n")
    return run, script


def test_removes_the_extracted_dir_and_the_script(tmp_path: Path) -> None:
    run, script = agent_files(tmp_path)
    removal = SelfRemoval([run, script])
    removal.run()
    assert not run.exists() and not script.exists()
    removal.run()  # idempotent: the atexit call after an explicit one is harmless


def test_refuses_what_is_not_ours(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "notes.txt").write_text("keep me")
    with pytest.raises(RemovalRefused, match="not a directory the support agent extracted"):
        check_removable(home)
    with pytest.raises(RemovalRefused, match="not a GuruConnect support agent script"):
        check_removable(home / "notes.txt")
    with pytest.raises(RemovalRefused, match="does not exist"):
        check_removable(home / "missing")
    os.symlink(home, tmp_path / "link")
    with pytest.raises(RemovalRefused):
        check_removable(tmp_path / "link")  # a symlink to a dir is neither
    assert (home / "notes.txt").read_text() == "keep me"


def test_the_agent_refuses_a_foreign_path_before_doing_anything(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "guruconnect.agent.support", "--config", str(tmp_path / "c.json"),
         "--remove", str(victim)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert "refusing --remove" in done.stderr
    assert victim.is_dir()


def test_files_go_even_when_the_config_is_bad(tmp_path: Path) -> None:
    run, script = agent_files(tmp_path)
    (run / "config.json").write_text('{"server_url": "https://x"}')
    done = subprocess.run(
        [sys.executable, "-m", "guruconnect.agent.support", "--config", str(run / "config.json"),
         "--remove", str(run), "--remove", str(script)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert "is invalid: Object missing required field" in done.stderr
    assert not run.exists() and not script.exists()
