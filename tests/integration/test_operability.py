"""Health, metrics, structured logs and --help on every command."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

import pytest

from guruconnect.server.ops.logging import JsonFormatter
from tests.support.server import ServerProcess, cli


def test_healthz(server: ServerProcess) -> None:
    body = server.client().get("/healthz").json()
    assert body["status"] == "ok" and body["database"] == "ok"


def test_metrics_from_allowed_network(server: ServerProcess) -> None:
    r = server.client().get("/metrics")
    assert r.status_code == 200
    assert "guru_agents_connected" in r.text and "guru_login_failures_total" in r.text


def test_metrics_refused_elsewhere(server_factory: Callable[..., ServerProcess]) -> None:
    server = server_factory("sqlite", GURU_METRICS_ALLOWED_NETWORKS="10.0.0.0/8")
    assert server.client().get("/metrics").status_code == 403


def test_json_logs() -> None:
    record = logging.makeLogRecord(
        {
            "name": "guruconnect.x",
            "levelname": "WARNING",
            "msg": "closing agent %s",
            "args": ("a1",),
            "agent_id": "a1",
        }
    )
    entry = json.loads(JsonFormatter().format(record))
    assert entry["msg"] == "closing agent a1" and entry["agent_id"] == "a1"
    assert entry["level"] == "warning" and entry["ts"].endswith("Z")


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["server"],
        ["admin"],
        ["admin", "create-user"],
        ["admin", "reset-mfa"],
        ["admin", "list-users"],
        ["admin", "create-enrollment-token"],
        ["agent"],
        ["agent", "enroll"],
        ["agent", "run"],
        ["agent", "reconfigure"],
    ],
)
def test_help_everywhere(args: list[str]) -> None:
    done = cli(*args, "--help")
    assert done.returncode == 0, done.stderr
    assert "usage" in done.stdout.lower()


def test_bad_flags_are_explained(tmp_path: object) -> None:
    done = cli("server", "--bind", "nonsense")
    assert done.returncode == 2 and "HOST:PORT" in done.stderr
    done = cli("frobnicate")
    assert done.returncode == 2 and "unknown command" in done.stderr
    done = cli(
        "admin",
        "create-enrollment-token",
        "--company",
        "A",
        "--max-uses",
        "0",
        env={"GURU_DATA_DIR": str(tmp_path)},
    )
    assert done.returncode == 2 and "at least 1" in done.stderr
