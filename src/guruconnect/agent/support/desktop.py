"""Screen sharing for the one-time agent: the unattended agent's desktop worker, gated
by the user's consent.

The worker (``python -m guruconnect.agent.desktop``, started by ``DesktopSupervisor``
exactly as agent/connection.py does) reads an agent config for the server address and
the certificate pin, and nothing else: it authenticates with the one-time token from
DesktopOpen. So we write it a config in the private run directory with this session's
server and pin; its agent id and key are throwaway values that the worker never uses
and that never leave the machine (the one-time agent has no enrolled identity).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from guruconnect.agent.config import AgentConfig, save_config
from guruconnect.agent.desktop.supervisor import DesktopSupervisor
from guruconnect.agent.identity import encode_seed, generate_seed
from guruconnect.agent.support.config import SupportConfig

log = logging.getLogger("guruconnect.agent.support")

WORKER_CONFIG_NAME = "desktop-worker.json"


def worker_config(cfg: SupportConfig) -> AgentConfig:
    return AgentConfig(
        server_url=cfg.server_url,
        agent_id="support-agent",
        private_key=encode_seed(generate_seed()),  # unused by the worker, see above
        server_fingerprint=cfg.server_fingerprint,
        name="one-time support agent",
    )


class ConsentRequired(Exception):
    """DesktopOpen arrived although the user has not allowed screen access."""


class SupportDesktop:
    """Starts and stops desktop workers, only ever while ``allowed`` is True."""

    def __init__(
        self, cfg: SupportConfig, run_dir: Path, supervisor: DesktopSupervisor | None = None
    ) -> None:
        config_path = run_dir / WORKER_CONFIG_NAME
        save_config(config_path, worker_config(cfg))
        self.supervisor = supervisor or DesktopSupervisor(config_path)
        self.allowed = False

    @property
    def active(self) -> bool:
        self.supervisor.reap()
        return bool(self.supervisor.workers)

    def open(self, session_id: str, token: bytes) -> None:
        # The server must not ask before Allow; if it does anyway, the screen stays private.
        if not self.allowed:
            raise ConsentRequired(
                "the server asked for the screen before the user allowed it; refused"
            )
        if not re.fullmatch(r"[A-Za-z0-9_-]{8,64}", session_id):
            raise ValueError(f"invalid desktop session id {session_id!r}")
        self.supervisor.open(session_id, token)

    def close(self, session_id: str) -> None:
        self.supervisor.close(session_id)

    async def withdraw(self) -> None:
        """Consent withdrawn or the session ended: every worker stops."""
        self.allowed = False
        await self.supervisor.close_all()
