"""Per request: the small config baked into a copy of a cached base (seconds)."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from guruconnect.protocol.pe_certtable import bake as bake_pe
from guruconnect.server.installers.windows import codesign, layout, msi
from guruconnect.server.installers.windows.bases import Bases, WindowsUnavailable

MSI_FILENAME = "guruconnect-agent.msi"
SETUP_FILENAME = "guruconnect-agent-setup.exe"
SUPPORT_FILENAME = "guruconnect-support.exe"
MSI_DESCRIPTION = f"{layout.PRODUCT} installer"


@dataclass(frozen=True)
class BakedFile:
    data: bytes
    filename: str

    @property
    def size(self) -> int:
        return len(self.data)

    async def chunks(self) -> AsyncIterator[bytes]:
        yield self.data

    def read_all(self) -> bytes:
        return self.data


def setup_exe(bases: Bases, envelope: bytes) -> BakedFile:
    """The signed setup EXE with the signed envelope in its certificate table. Blocking."""
    return BakedFile(bake_pe(bases.path("setup").read_bytes(), envelope), SETUP_FILENAME)


def support_exe(bases: Bases, config: bytes) -> BakedFile:
    """The one-time support EXE with its join config in its certificate table."""
    return BakedFile(bake_pe(bases.path("support").read_bytes(), config), SUPPORT_FILENAME)


def msi_file(bases: Bases, envelope: bytes) -> BakedFile:
    """The MSI with the envelope in a private property, Authenticode-signed afterwards:
    unlike a PE's certificate table, every MSI stream is hashed, so the signature must
    come after the bake (about a second for 70 MB). Blocking."""
    with tempfile.TemporaryDirectory(dir=bases.directory.parent, prefix=".bake-") as work:
        baked = msi.bake(bases.path("msi"), envelope, Path(work) / "baked.msi")
        signed = Path(work) / "signed.msi"
        try:
            codesign.sign(baked, signed, bases.signer, description=MSI_DESCRIPTION)
        except codesign.SigningError as exc:
            raise WindowsUnavailable(f"cannot sign the MSI: {exc}") from exc
        return BakedFile(signed.read_bytes(), MSI_FILENAME)
