"""Building one installer file for one installer row: the signed config baked onto the
cached base, and the HTTP answer that streams it."""

from __future__ import annotations

import time
from typing import Literal

from fastapi.responses import StreamingResponse

from guruconnect.server.db.models import Installer
from guruconnect.server.installers import deb, service, shell
from guruconnect.server.state import AppState
from guruconnect.server.support.bundle import BakedAgent, Payload, ensure_payload

Kind = Literal["linux.sh", "linux.deb"]
KINDS: tuple[Kind, ...] = ("linux.sh", "linux.deb")
MEDIA = {"linux.sh": "application/x-sh", "linux.deb": "application/vnd.debian.binary-package"}


async def build(
    state: AppState, installer: Installer, kind: Kind
) -> tuple[BakedAgent | deb.BakedDeb, float]:
    """The file and the seconds spent baking it (the base comes from the cache)."""
    settings = state.settings
    # Built once per release, then cached (minutes the first time, nothing after).
    base = await (ensure_payload(settings) if kind == "linux.sh" else deb.ensure_data(settings))
    started = time.perf_counter()
    envelope = service.envelope(
        installer, settings.data_dir,
        server_url=settings.effective_public_url, fingerprint=state.cert_fingerprint,
    )  # fmt: skip
    baked: BakedAgent | deb.BakedDeb
    if isinstance(base, Payload):
        baked = shell.bake(base, envelope)
    else:
        baked = deb.bake(base, envelope, deb.installed_size_kib(base))
    return baked, time.perf_counter() - started


def response(baked: BakedAgent | deb.BakedDeb, kind: Kind) -> StreamingResponse:
    return StreamingResponse(
        baked.chunks(),
        media_type=MEDIA[kind],
        headers={
            "Content-Length": str(baked.size),
            "Content-Disposition": f'attachment; filename="{baked.filename}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
