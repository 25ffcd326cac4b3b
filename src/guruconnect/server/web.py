"""Serves the built dashboard: index.html for the app, /static for its assets."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, PlainTextResponse, Response

STATIC_DIR = Path(__file__).resolve().parent.parent / "web" / "static"

router = APIRouter(include_in_schema=False)


# The dashboard lives under /console: the server's public root is the end users' support
# portal, which must reveal nothing about the dashboard behind it.
DASHBOARD_PATH = "/console"


@router.get(DASHBOARD_PATH)
async def index() -> Response:
    page = STATIC_DIR / "index.html"
    if not page.is_file():
        return PlainTextResponse(
            "The dashboard has not been built. Run `make web` (or `make run`).", status_code=503
        )
    return FileResponse(page, headers={"cache-control": "no-cache"})


@router.get("/api/docs")
async def api_docs() -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url="/api/openapi.json",
        title="GuruConnect API",
        swagger_js_url="/static/swagger/swagger-ui-bundle.js",
        swagger_css_url="/static/swagger/swagger-ui.css",
        swagger_favicon_url="/static/swagger/favicon-32x32.png",
    )
