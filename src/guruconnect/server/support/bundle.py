"""The Linux one-time support agent that the portal hands out: one self-extracting file.

    #!/bin/sh header      checks python3 (same minor version as ours, with Tk), extracts
                          to a private temp dir, runs ``python3 -m guruconnect.agent.support``
    marker line
    config line           JSON: server URL, certificate pin, join token, portal name
    payload               tar.xz: guruconnect.agent + guruconnect.protocol and the agent's
                          dependencies, copied from the server's own environment

The payload (tens of MB) is built once per server version and environment and cached
(``support_agent_cache_dir``, default ``<data_dir>/support-agent``); each download only
bakes the small config line in front of it and streams the cached file after it.
Nothing is installed and nothing needs root; the agent deletes the temp dir and the
downloaded file when the session ends (agent/support/cleanup.py).

Compiled extension modules (msgspec, numpy, PyAV...) are CPython-ABI specific, hence
"same minor version" and the same CPU architecture; the header says so in plain words
when they do not match.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import importlib.metadata as metadata
import importlib.util
import io
import json
import logging
import lzma
import marshal
import os
import platform
import re
import sys
import tarfile
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Protocol

from fastapi.responses import StreamingResponse

import guruconnect
from guruconnect.agent.support.cleanup import DIR_MARKER, SCRIPT_MAGIC
from guruconnect.agent.support.config import SupportConfig, encode_support_config
from guruconnect.server.config import Settings
from guruconnect.server.support.unpack import Wording, bootstrap

log = logging.getLogger("guruconnect.server.support")

MARKER = b"__GURUCONNECT_PAYLOAD__"
FILENAME = "guruconnect-support.sh"
CHUNK = 256 * 1024
PAYLOAD_FORMAT = 2  # bump when the payload's layout changes: cached payloads are rebuilt
XZ_PRESET = 1  # measured: 49 MB in ~60 s; preset 6 saves 7 MB but takes ~4x as long
# What of guruconnect itself the agent needs: never the server, the dashboard or the CLI.
OWN_PARTS = ("__init__.py", "py.typed", "agent", "protocol")
# Not needed at run time: sources of compiled code, type stubs, the packages' own tests.
SKIP_SUFFIXES = frozenset({".pyc", ".pyi", ".pxd", ".pyx", ".c", ".h", ".cpp"})
SKIP_DIRS = frozenset({"__pycache__", "tests", "testing"})
_REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


@dataclass(frozen=True)
class Payload:
    path: Path
    size: int
    sha256: str


@dataclass(frozen=True)
class BakedAgent:
    """One download: ``prefix`` (header + config) then the cached payload file."""

    prefix: bytes
    payload: Payload
    filename: str = FILENAME

    @property
    def size(self) -> int:
        return len(self.prefix) + self.payload.size

    async def chunks(self) -> AsyncIterator[bytes]:
        yield self.prefix
        with self.payload.path.open("rb") as f:
            while chunk := await asyncio.to_thread(f.read, CHUNK):
                yield chunk

    def read_all(self) -> bytes:
        return self.prefix + self.payload.path.read_bytes()


# --- what goes into the payload ------------------------------------------------------


def agent_distributions(root: str = "guruconnect") -> list[metadata.Distribution]:
    """The installed distributions the agent needs: guruconnect's own requirements
    without extras (the server's), followed transitively."""
    seen: dict[str, metadata.Distribution] = {}
    todo = list(_requirements(metadata.distribution(root)))
    while todo:
        name = todo.pop()
        key = _normal(name)
        if key in seen:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue  # a requirement for another platform (its marker did not hold)
        seen[key] = dist
        todo.extend(_requirements(dist))
    return sorted(seen.values(), key=lambda d: _normal(d.metadata["Name"]))


def _requirements(dist: metadata.Distribution) -> Iterator[str]:
    for requirement in dist.requires or []:
        _, _, marker = requirement.partition(";")
        if "extra" in marker:
            continue
        match = _REQUIREMENT_NAME.match(requirement)
        if match:
            yield match.group(1)


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _wanted(relative: Path) -> bool:
    return relative.suffix not in SKIP_SUFFIXES and not SKIP_DIRS.intersection(relative.parts)


def payload_files() -> list[tuple[str, Path]]:
    """(name inside the archive, file on disk), sorted for a reproducible archive."""
    files: dict[str, Path] = {}
    own = Path(guruconnect.__file__).parent
    for part in OWN_PARTS:
        source = own / part
        candidates = sorted(source.rglob("*")) if source.is_dir() else [source]
        for path in candidates:
            relative = path.relative_to(own.parent)
            if path.is_file() and _wanted(relative):
                files[relative.as_posix()] = path
    for dist in agent_distributions():
        for entry in dist.files or []:
            relative = Path(entry)
            if relative.parts[0] == ".." or not _wanted(relative):
                continue  # console scripts live outside site-packages
            path = Path(str(dist.locate_file(entry)))
            if path.is_file():
                files.setdefault(relative.as_posix(), path)
    return sorted(files.items())


@functools.cache
def payload_key() -> str:
    """Changes whenever the payload would: our version and code, the dependencies'
    versions, the interpreter's minor version and the architecture. Computed once per
    process (the installed code does not change under a running server)."""
    digest = hashlib.sha256()
    digest.update(f"{PAYLOAD_FORMAT}|{guruconnect.__version__}|{_python_tag()}".encode())
    digest.update(f"|{platform.machine()}".encode())
    for dist in agent_distributions():
        digest.update(f"|{dist.metadata['Name']}=={dist.version}".encode())
    for name, path in payload_files():
        if name.startswith("guruconnect/"):
            digest.update(name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def _python_tag() -> str:
    return f"py{sys.version_info.major}{sys.version_info.minor}"


def build_payload(target: Path) -> Payload:
    """Write the tar.xz to ``target`` (atomically) and describe it. Blocking: minutes
    of CPU on a small machine for the first build."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".payload-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as raw:
            with (
                lzma.open(raw, "wb", preset=XZ_PRESET) as xz,
                tarfile.open(fileobj=xz, mode="w", format=tarfile.PAX_FORMAT) as tar,
            ):
                for name, path in payload_files():
                    info = tar.gettarinfo(str(path), arcname=name)
                    info.uid = info.gid = 0
                    info.uname = info.gname = ""
                    info.mode = 0o755 if info.mode & 0o111 else 0o644
                    with path.open("rb") as f:
                        tar.addfile(info, f)
                    if name.endswith(".py"):
                        _add_bytecode(tar, name, path)
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    digest = hashlib.sha256()
    with target.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    payload = Payload(target, target.stat().st_size, digest.hexdigest())
    _meta_path(target).write_text(json.dumps({"size": payload.size, "sha256": payload.sha256}))
    return payload


def _add_bytecode(tar: tarfile.TarFile, name: str, source: Path) -> None:
    """Ship compiled bytecode next to each module. Without it every import compiles from
    source on the visitor's computer: the desktop worker (numpy, PyAV) then needs long
    enough to start that the viewer gives up on a slow machine. Unchecked-hash pycs are
    used as they are (no source mtime to match), which is right for files that never
    change; the "same minor version" rule already holds for the compiled extensions."""
    try:
        code = compile(source.read_bytes(), name, "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return  # e.g. a template that is not Python 3.11; imported from source, if ever
    data = importlib.util.MAGIC_NUMBER + (0b01).to_bytes(4, "little")  # hash-based, unchecked
    data += importlib.util.source_hash(source.read_bytes()) + marshal.dumps(code)
    module = PurePosixPath(name)
    tag = sys.implementation.cache_tag
    info = tarfile.TarInfo(str(module.parent / "__pycache__" / f"{module.stem}.{tag}.pyc"))
    info.size, info.mode = len(data), 0o644
    tar.addfile(info, io.BytesIO(data))


def _meta_path(payload: Path) -> Path:
    return payload.with_suffix(".json")


def _cached(target: Path) -> Payload | None:
    try:
        meta = json.loads(_meta_path(target).read_text())
        size = target.stat().st_size
    except (OSError, ValueError):
        return None
    if not isinstance(meta, dict) or meta.get("size") != size:
        return None
    digest = meta.get("sha256")
    return Payload(target, size, digest) if isinstance(digest, str) else None


def cache_dir(settings: Settings) -> Path:
    if settings.support_agent_cache_dir:
        return Path(settings.support_agent_cache_dir)
    return settings.data_dir / "support-agent"


def payload_path(settings: Settings, key: str | None = None) -> Path:
    key = key or payload_key()
    return cache_dir(settings) / f"linux-{platform.machine()}-{_python_tag()}-{key}.tar.xz"


_locks: dict[Path, asyncio.Lock] = {}


async def ensure_payload(settings: Settings) -> Payload:
    """The cached payload, built first if there is none for this version."""
    target = payload_path(settings, await asyncio.to_thread(payload_key))
    lock = _locks.setdefault(target, asyncio.Lock())
    async with lock:  # concurrent first downloads build it once
        cached = _cached(target)
        if cached is not None:
            return cached
        log.info("building the one-time support agent payload %s", target.name)
        payload = await asyncio.to_thread(build_payload, target)
        log.info("built %s: %d bytes", target.name, payload.size)
        await asyncio.to_thread(_remove_stale, target)
        return payload


def _remove_stale(current: Path) -> None:
    for old in current.parent.glob("linux-*.tar.xz"):
        if old != current:
            old.unlink(missing_ok=True)
            _meta_path(old).unlink(missing_ok=True)


async def warm_up(settings: Settings) -> None:
    """Build the payload ahead of the first download (e.g. at server start)."""
    try:
        await ensure_payload(settings)
    except OSError:
        log.exception("could not build the one-time support agent payload")


# --- per download ------------------------------------------------------------------


WORDING = Wording(
    who="GuruConnect support",
    damaged="download the agent again",
    temp_prefix="guruconnect-support-",
    config_name="config.json",
    require_tk=True,
    dir_marker=DIR_MARKER,
)


def header(payload: Payload) -> bytes:
    """The shell + Python bootstrap for one payload (the same for every download)."""
    script = _HEADER.format(
        magic=SCRIPT_MAGIC.decode().split("\n", 1)[1],
        major=sys.version_info.major,
        minor=sys.version_info.minor,
        machine=platform.machine(),
    )
    return script.replace(
        "{bootstrap}", bootstrap(payload.size, payload.sha256, MARKER, WORDING)
    ).encode()


def bake(payload: Payload, cfg: SupportConfig) -> BakedAgent:
    prefix = header(payload) + MARKER + b"\n" + encode_support_config(cfg) + b"\n"
    return BakedAgent(prefix, payload)


async def linux_agent(
    settings: Settings, *, server_url: str, fingerprint: str, join_token: str
) -> BakedAgent:
    """The one-time agent for one join token. Raises ValueError for a bad argument."""
    cfg = SupportConfig(
        server_url=server_url,
        server_fingerprint=fingerprint,
        join_token=join_token,
        portal_name=settings.portal_name,
    )
    payload = await ensure_payload(settings)
    return bake(payload, cfg)


class Downloadable(Protocol):
    """A baked file: the cached base streamed after its small per-request part."""

    @property
    def size(self) -> int: ...
    @property
    def filename(self) -> str: ...
    def chunks(self) -> AsyncIterator[bytes]: ...


def agent_response(agent: Downloadable, media_type: str = "application/x-sh") -> StreamingResponse:
    """The attachment answer for every baked download (agents and installers)."""
    return StreamingResponse(
        agent.chunks(),
        media_type=media_type,
        headers={
            "Content-Length": str(agent.size),
            "Content-Disposition": f'attachment; filename="{agent.filename}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


_HEADER = """#!/bin/sh
{magic}
# Joins one support session without installing anything and without root, asks before
# sharing the screen, and deletes itself when the session ends.
# Needs: Linux on {machine}, python3 {major}.{minor} with Tk (Debian/Ubuntu: python3-tk).
# Run it with:  sh guruconnect-support.sh
set -eu
script=$(cd "$(dirname -- "$0")" && pwd)/$(basename -- "$0")
if ! command -v python3 >/dev/null 2>&1; then
    echo "GuruConnect support: python3 is not installed on this computer." >&2
    exit 1
fi
dir=$(python3 - "$script" <<'GURUCONNECT_BOOTSTRAP'
{{bootstrap}}GURUCONNECT_BOOTSTRAP
) || exit 1
PYTHONPATH="$dir/lib" PYTHONNOUSERSITE=1
export PYTHONPATH PYTHONNOUSERSITE
cd "$dir"
exec python3 -m guruconnect.agent.support --config "$dir/config.json" \\
    --remove "$dir" --remove "$script" "$@"
exit 1
"""
