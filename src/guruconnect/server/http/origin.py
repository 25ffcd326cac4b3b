"""Origin checks for WebSocket upgrades and cookie-authenticated writes."""

from __future__ import annotations

from starlette.requests import HTTPConnection


def origin_allowed(conn: HTTPConnection, allowed: frozenset[str]) -> bool:
    """A missing Origin is a non-browser client; a present one must be ours."""
    origin = conn.headers.get("origin")
    if origin is None:
        return True
    return origin.rstrip("/") in allowed


def browser_origin_required(conn: HTTPConnection, allowed: frozenset[str]) -> bool:
    """For endpoints only browsers use: an Origin must be present and ours."""
    origin = conn.headers.get("origin")
    return origin is not None and origin.rstrip("/") in allowed
