"""The application factory: wires settings, database, bus and routers into one ASGI app."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy import update

from guruconnect import __version__
from guruconnect.server import web
from guruconnect.server.agents import socket as agent_socket
from guruconnect.server.apikeys import routes as apikeys
from guruconnect.server.auth import routes as auth
from guruconnect.server.config import Settings
from guruconnect.server.db import migrate
from guruconnect.server.db.engine import make_engine, make_session_factory
from guruconnect.server.db.models import Machine
from guruconnect.server.db.types import utcnow
from guruconnect.server.desktop import media_socket, viewer_socket
from guruconnect.server.enrollment import routes as enrollment
from guruconnect.server.files import agent_socket as files_agent_socket
from guruconnect.server.files import browser_socket as files_socket
from guruconnect.server.files import download as files_download
from guruconnect.server.files import folder_download as files_folder_download
from guruconnect.server.http.headers import SecurityHeadersMiddleware
from guruconnect.server.installers import public as installers_public
from guruconnect.server.installers import routes as installers
from guruconnect.server.live import socket as live_socket
from guruconnect.server.live.bus import make_bus
from guruconnect.server.machines import routes as machines
from guruconnect.server.machines import service as machine_service
from guruconnect.server.ops import routes as ops
from guruconnect.server.searches import routes as searches
from guruconnect.server.setup import bootstrap
from guruconnect.server.setup import routes as setup
from guruconnect.server.state import AppState
from guruconnect.server.support import live as support_live
from guruconnect.server.support import portal as support_portal
from guruconnect.server.support import routes as support
from guruconnect.server.support import socket as support_socket
from guruconnect.server.support import startup as support_startup

log = logging.getLogger("guruconnect.server")
SEEN_FLUSH_SECONDS = 5.0


async def flush_presence(state: AppState) -> None:
    seen, offline = state.presence.take_seen(), state.presence.take_offline()
    async with state.db() as db:
        if seen:
            await machine_service.record_seen(db, seen)
        if offline:
            await machine_service.record_offline(db, offline)


async def _flush_periodically(state: AppState) -> None:
    while True:
        await asyncio.sleep(SEEN_FLUSH_SECONDS)
        try:
            await flush_presence(state)
        except Exception:  # a failed flush must not stop later ones
            log.exception("could not record heartbeats and disconnects")


def announce_bootstrap(state: AppState, token: str) -> None:
    url = state.settings.effective_public_url
    # Printed, not logged: it is for the person starting the server, once.
    print(
        "\n  No administrator exists yet. Create one with either:\n"
        "    guruconnect admin create-user NAME --role admin\n"
        "  or, once, with this bootstrap token:\n"
        f"    curl -k -X POST {url}/api/v1/setup/bootstrap -H 'content-type: application/json' \\\n"
        f'      -d \'{{"token": "{token}", "username": "admin", "password": "..."}}\'\n',
        flush=True,
    )


# Every router the app serves. The route-inventory test walks this same tuple to prove
# each route demands authentication, so a router added here cannot escape that test.
ROUTERS: tuple[APIRouter, ...] = (
    auth.router,
    apikeys.router,
    machines.router,
    searches.router,
    enrollment.tokens,
    enrollment.agents,
    setup.router,
    ops.router,
    web.router,
    agent_socket.router,
    live_socket.router,
    viewer_socket.router,
    media_socket.router,
    support.router,
    support_portal.router,
    support_socket.router,
    support_live.router,
    files_socket.router,
    files_agent_socket.router,
    files_download.router,
    files_folder_download.router,
    installers.router,
    installers_public.router,
)


def create_app(settings: Settings, *, cert_fingerprint: str = "") -> FastAPI:
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = make_engine(settings.effective_database_url)
        await migrate.upgrade(engine)
        state = AppState.build(settings, engine, make_session_factory(engine), make_bus("local"))
        state.cert_fingerprint = cert_fingerprint
        app.state.guru = state
        async with state.db() as db:
            # One node: no agent is connected before we start listening.
            await db.execute(update(Machine).where(Machine.online.is_(True)).values(online=False))
            await db.commit()
        if settings.bootstrap_token_enabled:
            async with state.db() as db:
                token = await bootstrap.issue_if_needed(db)
            if token:
                announce_bootstrap(state, token)
        await support_startup.adopt_orphans(state)
        flusher = asyncio.create_task(_flush_periodically(state))
        expirer = asyncio.create_task(support_startup.expire_periodically(state))
        log.info("GuruConnect %s serving at %s", __version__, settings.effective_public_url)
        try:
            yield
        finally:
            state.shutting_down = True
            flusher.cancel()
            expirer.cancel()
            await support_startup.close_all(state)
            for link in state.presence.links():
                await link.connection.close(1001, "server shutting down")
            for link in state.presence.links():
                state.presence.remove(link)
                state.presence.seen(link.agent_id, utcnow())
                state.presence.went_offline(link.agent_id)
            await flush_presence(state)
            await engine.dispose()

    app = FastAPI(
        title="GuruConnect",
        version=__version__,
        lifespan=lifespan,
        openapi_url="/api/openapi.json",
        docs_url=None,  # served by web.api_docs from our own assets
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
        # No silent 307 to a slash-less twin: one spelling per route, nothing else.
        redirect_slashes=False,
    )
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=web.STATIC_DIR, check_dir=False), name="static")
    app.add_middleware(SecurityHeadersMiddleware, hsts=settings.tls_enabled)
    return app
