"""Prometheus metrics, in a registry of our own so tests can build many apps."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge


@dataclass
class Metrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        self.agents_connected = Gauge(
            "guru_agents_connected", "Agents connected to this node", registry=r
        )
        self.agent_frames = Counter(
            "guru_agent_frames", "Frames received from agents", ["type"], registry=r
        )
        self.agent_rejections = Counter(
            "guru_agent_connections_closed_by_server",
            "Agent connections the server closed, by close code",
            ["code"],
            registry=r,
        )
        self.dashboard_sockets = Gauge(
            "guru_dashboard_sockets", "Open dashboard WebSockets", registry=r
        )
        self.desktop_sessions = Gauge(
            "guru_desktop_sessions", "Remote-desktop sessions on this node", registry=r
        )
        self.desktop_frames = Counter(
            "guru_desktop_frames", "Screen frames relayed from agents", registry=r
        )
        self.desktop_refused = Counter(
            "guru_desktop_refused_inputs", "Viewer messages refused by authorization", registry=r
        )
        self.files_refused = Counter(
            "guru_files_refused", "File requests refused for lack of machines:files", registry=r
        )
        self.login_failures = Counter("guru_login_failures", "Failed sign-in attempts", registry=r)
