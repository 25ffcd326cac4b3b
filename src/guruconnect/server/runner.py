"""Start uvicorn with our TLS, socket limits and graceful shutdown."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import uvicorn

from guruconnect.protocol.desktop import MAX_MEDIA_FRAME_BYTES
from guruconnect.server.app import create_app
from guruconnect.server.config import Settings
from guruconnect.server.ops.logging import configure as configure_logging
from guruconnect.server.tls import ensure_self_signed, fingerprint_pem

log = logging.getLogger("guruconnect.server")


def tls_files(settings: Settings) -> tuple[Path, Path] | None:
    if not settings.tls_enabled:
        return None
    if settings.tls_cert_file:
        return Path(settings.tls_cert_file), Path(settings.tls_key_file)
    return ensure_self_signed(settings.data_dir / "tls", (settings.host,))


def serve(settings: Settings) -> None:
    configure_logging(settings.log_level, settings.log_format)
    settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    files = tls_files(settings)
    fingerprint = fingerprint_pem(files[0].read_bytes()) if files else ""
    if files:
        print(f"  Server certificate sha256 fingerprint: {fingerprint}", flush=True)
    else:
        log.warning(
            "serving plain HTTP behind a TLS proxy; trusted proxies: %s",
            ", ".join(settings.trusted_proxies),
        )
    app = create_app(settings, cert_fingerprint=fingerprint)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        ssl_certfile=str(files[0]) if files else None,
        ssl_keyfile=str(files[1]) if files else None,
        # Each socket's codec enforces its own, smaller limit with a clear close code;
        # this outer cap only has to admit the largest legitimate frame (a keyframe).
        ws_max_size=MAX_MEDIA_FRAME_BYTES + 4096,
        ws_ping_interval=None,
        # Agent frames are small and few; a deflate context costs tens of kB per socket,
        # which at thousands of agents is most of the server's memory (bench/README.md).
        ws_per_message_deflate=False,
        proxy_headers=False,  # we read X-Forwarded-For ourselves, from trusted proxies only
        server_header=False,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=5,
        loop="uvloop" if os.name == "posix" else "asyncio",
        backlog=4096,
    )
    uvicorn.Server(config).run()
