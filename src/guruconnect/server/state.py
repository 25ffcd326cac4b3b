"""Everything a request handler may need from the running server, in one typed object."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import HTTPConnection

from guruconnect.server.agents.presence import Presence
from guruconnect.server.auth.ratelimit import FailureLimiter
from guruconnect.server.config import Settings
from guruconnect.server.db.engine import SessionFactory
from guruconnect.server.desktop.session import DesktopSessions
from guruconnect.server.files.channel import FileChannels
from guruconnect.server.http.client_ip import Network, client_ip, parse_networks
from guruconnect.server.live.bus import EventBus
from guruconnect.server.ops.metrics import Metrics
from guruconnect.server.support.hub import SupportHub


@dataclass(slots=True)
class Limiters:
    login_ip: FailureLimiter
    login_user: FailureLimiter
    totp_user: FailureLimiter
    enroll_ip: FailureLimiter
    bootstrap_ip: FailureLimiter

    @classmethod
    def from_settings(cls, s: Settings) -> Limiters:
        window = float(s.login_failure_window_seconds)
        return cls(
            login_ip=FailureLimiter(s.login_max_failures_per_ip, window),
            login_user=FailureLimiter(s.login_max_failures_per_user, window),
            totp_user=FailureLimiter(s.login_max_failures_per_user, window),
            enroll_ip=FailureLimiter(s.login_max_failures_per_ip, window),
            bootstrap_ip=FailureLimiter(5, window),
        )


@dataclass(slots=True)
class AppState:
    settings: Settings
    engine: AsyncEngine
    db: SessionFactory
    bus: EventBus
    limiters: Limiters
    support: SupportHub
    presence: Presence = field(default_factory=Presence)
    metrics: Metrics = field(default_factory=Metrics)
    desktops: DesktopSessions = field(default_factory=DesktopSessions)
    files: FileChannels = field(default_factory=FileChannels)
    proxies: tuple[Network, ...] = ()
    metrics_networks: tuple[Network, ...] = ()
    cert_fingerprint: str = ""
    shutting_down: bool = False

    def client_ip(self, conn: HTTPConnection) -> str:
        return client_ip(conn, self.proxies)

    @classmethod
    def build(
        cls, settings: Settings, engine: AsyncEngine, db: SessionFactory, bus: EventBus
    ) -> AppState:
        return cls(
            settings=settings,
            engine=engine,
            db=db,
            bus=bus,
            limiters=Limiters.from_settings(settings),
            support=SupportHub.from_settings(settings),
            proxies=parse_networks(settings.trusted_proxies),
            metrics_networks=parse_networks(settings.metrics_allowed_networks),
        )


def get_state(conn: HTTPConnection) -> AppState:
    state = conn.app.state.guru
    assert isinstance(state, AppState)
    return state
