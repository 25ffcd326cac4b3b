"""Health and metrics endpoints, for load balancers and Prometheus."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response, status
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from sqlalchemy import text

from guruconnect import __version__
from guruconnect.server.http.client_ip import in_networks
from guruconnect.server.state import get_state

router = APIRouter(tags=["operations"])


class Health(BaseModel):
    status: str
    version: str
    database: str
    agents_connected: int


@router.get("/healthz", response_model=Health)
async def healthz(request: Request, response: Response) -> Health:
    state = get_state(request)
    try:
        async with state.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        db = "ok"
    except Exception as exc:  # any database failure means unhealthy, whatever its type
        db = f"error: {type(exc).__name__}"
    healthy = db == "ok" and not state.shutting_down
    response.status_code = 200 if healthy else 503
    return Health(
        status="ok" if healthy else "unavailable",
        version=__version__,
        database=db,
        agents_connected=len(state.presence),
    )


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    state = get_state(request)
    # Scrapers are machines on known networks, not users: allow by address.
    if not in_networks(state.client_ip(request), state.metrics_networks):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "metrics are not served to this address")
    return Response(
        generate_latest(get_state(request).metrics.registry), media_type=CONTENT_TYPE_LATEST
    )
