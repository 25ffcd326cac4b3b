"""Every route demands authentication, apart from an explicit allowlist.

The list of routes comes from the application itself, so a new route that forgets
its auth dependency fails here without anyone remembering to add a test for it.
"""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.routing import APIRoute, APIWebSocketRoute

from guruconnect.server.app import ROUTERS, create_app
from guruconnect.server.config import Settings
from tests.support.server import ServerProcess

# (method, path) pairs that answer without a signed-in user, and why.
PUBLIC = {
    ("POST", "/api/v1/auth/login"),  # how one signs in
    ("POST", "/api/v1/agents/enroll"),  # authenticated by the enrollment token in the body
    ("POST", "/api/v1/setup/bootstrap"),  # the one-time bootstrap token; 404 once an admin exists
    ("GET", "/healthz"),  # load balancers
    ("GET", "/metrics"),  # Prometheus, restricted by network instead
    ("GET", "/console"),  # the dashboard shell, which then signs in
    ("GET", "/"),  # the end users' support portal (support/portal.py)
    ("POST", "/portal/join"),  # the portal's code check without JavaScript; rate-limited
    ("POST", "/api/v1/portal/join"),  # the portal's code check; rate-limited, audited
    ("GET", "/portal/logo"),  # the configured portal logo
    ("GET", "/portal/agent/{join_token}/linux"),  # authenticated by the join token in the path
    ("GET", "/portal/agent/{join_token}/windows"),  # the same, for the Windows EXE
    ("GET", "/install/{url_token}/{kind}"),  # the tokenized installer URL; rate-limited
    ("GET", "/api/openapi.json"),
    ("GET", "/api/docs"),
}
PUBLIC_PREFIXES = ("/api/v1/setup/",)  # the catch-all that always answers 404
# Each authenticates in its handshake: agents by signature, browsers by session cookie
# and Origin, desktop workers by a one-time token (test_desktop_relay.py).
WEBSOCKETS = {
    "/ws/agent",
    "/ws/dashboard",
    "/ws/viewer/{machine_id}",
    "/ws/media",
    "/ws/support",  # join token (test_support_api.py)
    "/ws/support-live",  # cookie, Origin and support:sessions (test_support_api.py)
    "/ws/files/{machine_id}",  # cookie, Origin and machines:files (test_file_transfer.py)
    "/ws/files-agent",  # one-time token from FilesOpen (test_file_transfer.py)
}


def routes() -> list[tuple[str, str]]:
    create_app(Settings(data_dir=Path("/nonexistent")))  # must build with exactly these
    found: list[tuple[str, str]] = []
    for route in [r for router in ROUTERS for r in router.routes]:
        if isinstance(route, APIRoute):
            found += [(m, route.path) for m in sorted(route.methods)]
        elif isinstance(route, APIWebSocketRoute):
            assert route.path in WEBSOCKETS, f"new WebSocket {route.path}: test its handshake auth"
        else:
            raise AssertionError(f"unexpected route type {type(route).__name__}")
    return found


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def test_every_route_needs_authentication(server: ServerProcess) -> None:
    inventory = routes()
    assert len(inventory) > 15
    client = server.client()
    checked = 0
    for method, path in inventory:
        if (method, path) in PUBLIC or path.startswith(PUBLIC_PREFIXES) or "{rest" in path:
            continue
        response = client.request(method, concrete(path), json={})
        assert response.status_code == 401, (method, path, response.status_code, response.text)
        checked += 1
    assert checked >= 12


def test_allowlist_has_no_stale_entries() -> None:
    inventory = set(routes())
    for entry in PUBLIC - {("GET", "/api/openapi.json")}:
        assert entry in inventory, f"allowlisted {entry} no longer exists"


def test_openapi_and_docs_served(server: ServerProcess) -> None:
    client = server.client()
    spec = client.get("/api/openapi.json").json()
    assert "/api/v1/machines" in spec["paths"] and "/api/v1/auth/login" in spec["paths"]
    docs = client.get("/api/docs")
    assert docs.status_code == 200 and "/static/swagger/swagger-ui-bundle.js" in docs.text
    assert "cdn" not in docs.text.lower(), "docs must not load assets from the Internet"
    assert client.get("/static/swagger/swagger-ui-bundle.js").status_code == 200
