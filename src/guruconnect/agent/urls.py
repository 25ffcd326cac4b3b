"""The server address: one validated form, and the URLs derived from it."""

from __future__ import annotations

import urllib.parse
from typing import NamedTuple

ENROLL_PATH = "/api/v1/agents/enroll"
AGENT_SOCKET_PATH = "/ws/agent"


class ServerAddress(NamedTuple):
    secure: bool  # False only for a server behind a TLS-terminating proxy (tests, labs)
    host: str
    port: int

    @property
    def base_url(self) -> str:
        scheme = "https" if self.secure else "http"
        return f"{scheme}://{_netloc(self.host, self.port)}"

    @property
    def websocket_url(self) -> str:
        scheme = "wss" if self.secure else "ws"
        return f"{scheme}://{_netloc(self.host, self.port)}{AGENT_SOCKET_PATH}"


def _netloc(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def parse_server_url(url: str) -> ServerAddress:
    """Accept ``http(s)://host[:port]`` (a trailing slash is fine). Raises ValueError."""
    try:
        parts = urllib.parse.urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"invalid server URL {url!r}: {exc}") from exc
    if parts.scheme not in ("https", "http"):
        raise ValueError(
            f"invalid server URL {url!r}: must start with https:// (or http:// behind a TLS proxy)"
        )
    if not parts.hostname:
        raise ValueError(f"invalid server URL {url!r}: no host name")
    if parts.username is not None or parts.password is not None:
        raise ValueError(f"invalid server URL {url!r}: must not contain a user name or password")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(f"invalid server URL {url!r}: must be just scheme://host[:port]")
    secure = parts.scheme == "https"
    return ServerAddress(secure, parts.hostname, port or (443 if secure else 80))
