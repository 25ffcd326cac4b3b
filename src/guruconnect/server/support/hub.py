"""This process's live one-time agent sockets, their reconnect timers, and the portal's
failure limiters.

A socket that drops without EndSession gets ``support_reconnect_grace_seconds`` to come
back (a network blip) before the session is ended as "agent left"; a reconnect cancels
the timer. One node: a Redis-backed hub would replace this behind the same methods.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from guruconnect.server.agents.presence import AgentChannel, AgentLink
from guruconnect.server.auth.ratelimit import FailureLimiter
from guruconnect.server.config import Settings

SUPPORT_TARGET_PREFIX = "support-"


def desktop_target(session_id: str) -> str:
    """The id the desktop relay and the viewer use for a support session's screen."""
    return SUPPORT_TARGET_PREFIX + session_id


@dataclass(eq=False)
class GuestLink:
    session_id: str
    public_ip: str
    connection: AgentChannel
    consent_allowed: bool = False


@dataclass(slots=True)
class PortalLimiters:
    per_address: FailureLimiter
    everyone: FailureLimiter

    @classmethod
    def from_settings(cls, s: Settings) -> PortalLimiters:
        window = float(s.support_join_failure_window_seconds)
        return cls(
            per_address=FailureLimiter(s.support_join_max_failures_per_ip, window),
            everyone=FailureLimiter(s.support_join_max_failures_global, window),
        )


@dataclass
class SupportHub:
    limiters: PortalLimiters
    grace_seconds: float
    _links: dict[str, GuestLink] = field(default_factory=dict)
    _timers: dict[str, asyncio.Task[None]] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, s: Settings) -> SupportHub:
        return cls(PortalLimiters.from_settings(s), float(s.support_reconnect_grace_seconds))

    def attach(self, link: GuestLink) -> GuestLink | None:
        """Register the guest's socket; return the one it replaces. Cancels any timer."""
        self.cancel_timer(link.session_id)
        previous = self._links.get(link.session_id)
        self._links[link.session_id] = link
        return previous

    def detach(self, link: GuestLink) -> bool:
        """Forget this socket if it is still the current one for its session."""
        if self._links.get(link.session_id) is link:
            del self._links[link.session_id]
            return True
        return False

    def get(self, session_id: str) -> GuestLink | None:
        return self._links.get(session_id)

    def links(self) -> list[GuestLink]:
        return list(self._links.values())

    def desktop_link(self, target: str) -> AgentLink | None:
        """The agent link the desktop relay may send DesktopOpen to: only for a support
        target whose guest is connected and has allowed screen access."""
        if not target.startswith(SUPPORT_TARGET_PREFIX):
            return None
        link = self._links.get(target.removeprefix(SUPPORT_TARGET_PREFIX))
        if link is None or not link.consent_allowed:
            return None
        return AgentLink(target, link.public_ip, link.connection)

    async def send(self, session_id: str, frame: bytes) -> bool:
        link = self._links.get(session_id)
        return link is not None and await self.send_to(link, frame)

    @staticmethod
    async def send_to(link: GuestLink, frame: bytes) -> bool:
        try:
            await link.connection.send(frame)
        except Exception:  # a socket closing under us: its own handler cleans up
            return False
        return True

    def start_timer(
        self, session_id: str, on_expiry: Callable[[], Awaitable[None]], seconds: float
    ) -> None:
        self.cancel_timer(session_id)

        async def wait_then_run() -> None:
            await asyncio.sleep(seconds)
            self._timers.pop(session_id, None)
            await on_expiry()

        self._timers[session_id] = asyncio.create_task(wait_then_run())

    def cancel_timer(self, session_id: str) -> None:
        timer = self._timers.pop(session_id, None)
        if timer is not None and timer is not asyncio.current_task():
            timer.cancel()

    def has_timer(self, session_id: str) -> bool:
        return session_id in self._timers
