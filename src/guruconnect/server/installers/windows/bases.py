"""The heavy Windows artifacts, built once per release and cached; per request only the
small config is baked into a copy (:mod:`.baking`).

Cache layout, under ``<support agent cache>/windows/``::

    runtime/windows-amd64-<key>/   the runtime (``windows_runtime_dir`` overrides it)
    <key>/guruconnect.msi   unbaked MSI                       (each built on first need)
    <key>/setup.exe         signed setup EXE stub
    <key>/support.exe       signed one-time support EXE stub

``key`` covers the release version, the runtime's file list and sizes, the signing
certificate and the packaging code's format, so any of them changing rebuilds.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import guruconnect
from guruconnect.server.config import Settings
from guruconnect.server.installers.windows import codesign, layout, msi, nsis, runtime
from guruconnect.server.installers.windows.errors import WindowsRuntimeError
from guruconnect.server.support.bundle import cache_dir

log = logging.getLogger("guruconnect.installers")

Base = Literal["msi", "setup", "support"]
FORMAT = 4  # bump when the .wxs or the NSIS scripts change
ARCH = "amd64"
FILES: dict[Base, str] = {"msi": "guruconnect.msi", "setup": "setup.exe", "support": "support.exe"}


class WindowsUnavailable(Exception):
    """The Windows runtime or a packaging tool is missing; the message says what."""


@dataclass(frozen=True)
class Bases:
    directory: Path
    signer: codesign.Signer

    def path(self, base: Base) -> Path:
        return self.directory / FILES[base]


def windows_dir(settings: Settings) -> Path:
    return cache_dir(settings) / "windows"


def build_runtime(cache: Path) -> Path:
    """The embeddable CPython + wheels + agent (``runtime.py``), cached per release
    under ``cache``."""
    try:
        return runtime.build_runtime(cache, arch=ARCH)
    except (WindowsRuntimeError, OSError) as exc:
        raise WindowsUnavailable(f"building the Windows runtime failed: {exc}") from exc


def runtime_dir(settings: Settings) -> Path:
    if settings.windows_runtime_dir:
        given = Path(settings.windows_runtime_dir)
        if not (given / layout.PYTHON).is_file():
            raise WindowsUnavailable(f"windows_runtime_dir {given} holds no {layout.PYTHON}")
        return given
    return build_runtime(windows_dir(settings) / "runtime")


@functools.cache
def runtime_digest(runtime: Path) -> str:
    """Once per process and directory (a built runtime's name carries its own key; a
    ``windows_runtime_dir`` that changes needs a server restart to be repackaged)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in runtime.rglob("*") if p.is_file()):
        stat = path.stat()
        digest.update(f"{path.relative_to(runtime).as_posix()}|{stat.st_size}\n".encode())
        if path.suffix == ".py" and "guruconnect" in path.parts:
            digest.update(path.read_bytes())  # our own code changes without a new version
    return digest.hexdigest()


def key_for(runtime: Path, signer: codesign.Signer, compression: nsis.Compression) -> str:
    digest = hashlib.sha256()
    digest.update(f"{FORMAT}|{guruconnect.__version__}|{ARCH}|{compression}|".encode())
    digest.update(runtime_digest(runtime).encode())
    digest.update(signer.cert.read_bytes())
    return digest.hexdigest()[:16]


def build_one(
    runtime: Path,
    signer: codesign.Signer,
    directory: Path,
    base: Base,
    compression: nsis.Compression = "lzma",
) -> Path:
    """Build one base into ``directory`` (written under a temporary name, then renamed:
    a file that exists is complete). Blocking: seconds for the MSI, minutes per EXE."""
    version = layout.numeric_version()
    target = directory / FILES[base]
    directory.mkdir(parents=True, exist_ok=True)
    partial = directory / f".partial-{FILES[base]}"
    try:
        if base == "msi":
            msi.build_base(runtime, partial, version)
        else:
            unsigned = directory / f".unsigned-{FILES[base]}"
            build = nsis.build_setup if base == "setup" else nsis.build_support
            build(runtime, unsigned, version, compression)
            description = layout.PRODUCT if base == "setup" else "GuruConnect Support"
            try:
                codesign.sign(unsigned, partial, signer, description=description)
            finally:
                unsigned.unlink(missing_ok=True)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def ensure_sync(settings: Settings, *wanted: Base) -> Bases:
    """The bases directory for this release with (at least) ``wanted`` built in it."""
    runtime = runtime_dir(settings)
    signer = codesign.signer_for(settings)
    compression = settings.windows_exe_compression
    directory = windows_dir(settings) / key_for(runtime, signer, compression)
    missing = [b for b in wanted or FILES if not (directory / FILES[b]).exists()]
    for base in missing:
        log.info("building the Windows %s base in %s", base, directory)
        build_one(runtime, signer, directory, base, compression)
    if missing:
        for old in directory.parent.iterdir():  # earlier releases' bases
            if old.is_dir() and old != directory and old.name != "runtime":
                shutil.rmtree(old, ignore_errors=True)
    return Bases(directory, signer)


_lock = asyncio.Lock()


async def ensure(settings: Settings, *wanted: Base) -> Bases:
    """The cached bases, ``wanted`` built first if needed (concurrent first downloads
    build once; an MSI download never waits for the EXEs' compression)."""
    async with _lock:
        try:
            return await asyncio.to_thread(ensure_sync, settings, *wanted)
        except (msi.MsiError, nsis.NsisError, codesign.SigningError) as exc:
            raise WindowsUnavailable(str(exc)) from exc
