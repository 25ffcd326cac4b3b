"""Which agents are connected to this process, and their heartbeats awaiting a flush.

Heartbeats touch memory only; ``take_seen`` hands the batch to one periodic UPDATE,
so thousands of agents cost one write every few seconds, not one write each.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Protocol


class AgentChannel(Protocol):
    """What the rest of the server may do with an agent's socket: send a frame, close."""

    async def send(self, frame: bytes) -> None: ...

    async def close(self, code: int, reason: str) -> None: ...


@dataclass(slots=True)
class AgentLink:
    agent_id: str
    public_ip: str
    connection: AgentChannel
    connected_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))


class Presence:
    def __init__(self) -> None:
        self._links: dict[str, AgentLink] = {}
        self._seen: dict[str, dt.datetime] = {}
        self._offline: set[str] = set()

    def add(self, link: AgentLink) -> AgentLink | None:
        """Register a link; return the one it replaces (same agent connecting again)."""
        previous = self._links.get(link.agent_id)
        self._links[link.agent_id] = link
        return previous

    def remove(self, link: AgentLink) -> bool:
        """Forget this link if it is still the current one for its agent."""
        if self._links.get(link.agent_id) is link:
            del self._links[link.agent_id]
            return True
        return False

    def is_online(self, agent_id: str) -> bool:
        return agent_id in self._links

    def get(self, agent_id: str) -> AgentLink | None:
        return self._links.get(agent_id)

    def links(self) -> list[AgentLink]:
        return list(self._links.values())

    def seen(self, agent_id: str, when: dt.datetime) -> None:
        self._seen[agent_id] = when

    def take_seen(self) -> dict[str, dt.datetime]:
        batch, self._seen = self._seen, {}
        return batch

    def went_offline(self, agent_id: str) -> None:
        self._offline.add(agent_id)

    def take_offline(self) -> list[str]:
        """Agents to mark offline in the database: those that have not come back since."""
        batch, self._offline = self._offline, set()
        return sorted(a for a in batch if a not in self._links)

    def __len__(self) -> int:
        return len(self._links)
