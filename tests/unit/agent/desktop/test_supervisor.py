"""The worker command line the supervisor builds reads back as the same session id."""

from __future__ import annotations

from pathlib import Path

import pytest

from guruconnect.agent.desktop.__main__ import _parser
from guruconnect.agent.desktop.supervisor import DesktopSupervisor


# Session ids are secrets.token_urlsafe(16): one in 64 starts with "-" (seen as a
# worker exiting with a usage error, and the viewer closing with 4410 a minute later).
@pytest.mark.parametrize(
    "session_id", ["-g0CJA_bCgJpxt9R44NqGQ", "--help_bCgJpxt9R44Nq", "abcDEF12_-x"]
)
def test_every_session_id_reaches_the_worker_unchanged(session_id: str, tmp_path: Path) -> None:
    supervisor = DesktopSupervisor(tmp_path / "agent.json", extra_args=["--log-level", "WARNING"])
    command = supervisor.command(session_id)
    assert command[1:3] == ["-m", "guruconnect.agent.desktop"]
    args = _parser().parse_args(command[3:])
    assert args.session == session_id
    assert args.config == tmp_path / "agent.json" and args.log_level == "WARNING"
