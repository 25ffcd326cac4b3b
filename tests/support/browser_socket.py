"""Opening a WebSocket the way the dashboard does: our Origin and the session cookie."""

from __future__ import annotations

from typing import Any

from websockets.sync.client import ClientConnection, connect

from tests.support.agents import OPEN_TIMEOUT, client_ssl
from tests.support.server import ServerProcess
from tests.support.users import SignedIn


def session_cookie(user: SignedIn) -> str:
    return f"guru_session={user.client.cookies['guru_session']}"


def browser_socket(
    server: ServerProcess,
    path: str,
    user: SignedIn | None,
    origin: str | None = None,
    **options: Any,
) -> ClientConnection:
    """``user`` None sends no cookie; ``origin`` replaces ours (for attack tests)."""
    headers = {"cookie": session_cookie(user)} if user is not None else {}
    return connect(
        f"{server.ws_url}{path}",
        ssl=client_ssl(),
        origin=origin or server.url,  # type: ignore[arg-type]
        additional_headers=headers,
        open_timeout=OPEN_TIMEOUT,
        **options,
    )
