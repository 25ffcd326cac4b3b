"""Building one installer file for one installer row: the signed config baked onto the
cached base, and the HTTP answer that streams it."""

from __future__ import annotations

import asyncio
import time
from typing import Literal

from fastapi.responses import StreamingResponse

from guruconnect.server.db.models import Installer
from guruconnect.server.installers import deb, service, shell
from guruconnect.server.installers.windows import baking, bases
from guruconnect.server.state import AppState
from guruconnect.server.support.bundle import BakedAgent, agent_response, ensure_payload

Kind = Literal["linux.sh", "linux.deb", "windows.msi", "windows.exe"]
KINDS: tuple[Kind, ...] = ("linux.sh", "linux.deb", "windows.msi", "windows.exe")
MEDIA = {
    "linux.sh": "application/x-sh",
    "linux.deb": "application/vnd.debian.binary-package",
    "windows.msi": "application/x-msi",
    "windows.exe": "application/vnd.microsoft.portable-executable",
}
Baked = BakedAgent | deb.BakedDeb | baking.BakedFile
WindowsUnavailable = bases.WindowsUnavailable


async def build(state: AppState, installer: Installer, kind: Kind) -> tuple[Baked, float]:
    """The file and the seconds spent baking it (the base comes from the cache).
    Raises WindowsUnavailable when this server cannot make Windows installers."""
    settings = state.settings
    # Bases are built once per release, then cached (minutes the first time).
    if kind == "linux.sh":
        payload = await ensure_payload(settings)
    elif kind == "linux.deb":
        data = await deb.ensure_data(settings)
    else:
        windows = await bases.ensure(settings, "msi" if kind == "windows.msi" else "setup")
    started = time.perf_counter()
    envelope = service.envelope(
        installer, settings.data_dir,
        server_url=settings.effective_public_url, fingerprint=state.cert_fingerprint,
    )  # fmt: skip
    baked: Baked
    if kind == "linux.sh":
        baked = shell.bake(payload, envelope)
    elif kind == "linux.deb":
        baked = deb.bake(data, envelope, deb.installed_size_kib(data))
    elif kind == "windows.msi":
        baked = await asyncio.to_thread(baking.msi_file, windows, envelope)
    else:
        baked = await asyncio.to_thread(baking.setup_exe, windows, envelope)
    return baked, time.perf_counter() - started


def response(baked: Baked, kind: Kind) -> StreamingResponse:
    return agent_response(baked, MEDIA[kind])
