"""The ``.deb``: ``ar`` of ``debian-binary``, ``control.tar.gz`` and ``data.tar.gz``.

``data.tar.gz`` (the agent under ``/opt/guruconnect``, the wrapper command and the
systemd unit) is made once per release from the support agent's cached payload and
cached beside it. Per request only ``control.tar.gz`` is made: control file and
maintainer scripts, the postinst carrying the signed baked config, which it hands to
``python3 -m guruconnect.agent.install --packaged`` (enroll, write the config, enable
the service; honours ``DPKG_ROOT``).
"""

from __future__ import annotations

import asyncio
import gzip
import io
import json
import os
import platform
import sys
import tarfile
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import guruconnect
from guruconnect.agent.install.layout import (
    DEFAULT_PREFIX,
    UNIT_NAME,
    Layout,
    unit_file,
    wrapper_script,
)
from guruconnect.server.config import Settings
from guruconnect.server.support.bundle import CHUNK, Payload, cache_dir, ensure_payload

PACKAGE = "guruconnect-agent"
FILENAME = "guruconnect-agent.deb"
SYSTEM_PYTHON = "/usr/bin/python3"
UNIT_DIR = PurePosixPath("/lib/systemd/system")
DEB_ARCH = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "armhf", "i686": "i386"}
GZIP_LEVEL = 1  # the payload inside is already dense; level 9 costs seconds for ~2%


def deb_arch() -> str:
    return DEB_ARCH.get(platform.machine(), platform.machine())


def _layout() -> Layout:
    return Layout(Path("/"), DEFAULT_PREFIX, UNIT_DIR)


# --- data.tar.gz: once per release ------------------------------------------------------


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes, mode: int) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), mode, int(time.time())
    tar.addfile(info, io.BytesIO(data))


def _add_dir(tar: tarfile.TarFile, name: str, seen: set[str]) -> None:
    if name in seen:
        return
    seen.add(name)
    info = tarfile.TarInfo(name)
    info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, int(time.time())
    tar.addfile(info)


def _parents(path: str) -> list[str]:
    # PurePosixPath drops the leading "./"; dpkg needs an entry for every directory.
    parts = [p for p in PurePosixPath(path).parts[:-1] if p not in (".", "/")]
    return ["./" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def build_data(payload: Payload, target: Path) -> Path:
    """Re-root the payload's files under the prefix and add wrapper and unit. Blocking."""
    layout = _layout()
    lib = "." + str(layout.lib)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".deb-data-", suffix=".tmp")
    seen: set[str] = set()
    total = 0
    try:
        with (
            os.fdopen(fd, "wb") as raw,
            gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=GZIP_LEVEL, mtime=0) as gz,
            tarfile.open(fileobj=gz, mode="w", format=tarfile.GNU_FORMAT) as out,
            tarfile.open(payload.path, mode="r:xz") as src,
        ):
            _add_dir(out, "./", seen)
            for name, data, mode in (
                ("." + str(layout.command), wrapper_script(SYSTEM_PYTHON).encode(), 0o755),
                ("." + str(layout.unit), unit_file(layout).encode(), 0o644),
            ):
                for parent in _parents(name):
                    _add_dir(out, parent, seen)
                _add_bytes(out, name, data, mode)
            for member in src:
                if not member.isfile():
                    continue
                name = f"{lib}/{member.name}"
                for parent in _parents(name):
                    _add_dir(out, parent, seen)
                member.name = name
                total += member.size
                member.uid = member.gid = 0
                member.uname = member.gname = "root"
                out.addfile(member, src.extractfile(member))
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _size_path(target).write_text(json.dumps({"kib": total // 1024 + 1}))
    return target


def _size_path(data: Path) -> Path:
    return data.with_name(data.name.removesuffix(".tar.gz") + ".json")


_locks: dict[Path, asyncio.Lock] = {}


async def ensure_data(settings: Settings) -> Path:
    payload = await ensure_payload(settings)
    target = cache_dir(settings) / f"deb-data-{deb_arch()}-{payload.sha256[:16]}.tar.gz"
    async with _locks.setdefault(target, asyncio.Lock()):
        if not target.exists():
            await asyncio.to_thread(build_data, payload, target)
            for old in target.parent.glob("deb-data-*"):
                if old not in (target, _size_path(target)):
                    old.unlink(missing_ok=True)
    return target


# --- control.tar.gz: per request ---------------------------------------------------------


def debian_version(version: str = guruconnect.__version__) -> str:
    # PEP 440 pre-releases sort before the release in dpkg only with "~".
    for marker in (".dev", "a", "b", "rc"):
        version = (
            version.replace(marker, "~" + marker.lstrip("."), 1) if marker in version else version
        )
    return version


def control_file(installed_kib: int) -> str:
    minor = f"{sys.version_info.major}.{sys.version_info.minor}"
    nxt = f"{sys.version_info.major}.{sys.version_info.minor + 1}"
    return (
        f"Package: {PACKAGE}\n"
        f"Version: {debian_version()}\n"
        f"Architecture: {deb_arch()}\n"
        "Maintainer: GuruConnect server <root@localhost>\n"
        f"Depends: python3 (>= {minor}), python3 (<< {nxt})\n"
        f"Installed-Size: {installed_kib}\n"
        "Section: admin\n"
        "Priority: optional\n"
        "Description: GuruConnect unattended remote support agent\n"
        " Built by a GuruConnect server for one installer configuration: it enrolls with\n"
        " the server and runs as the systemd service guruconnect-agent.service.\n"
    )


def postinst(envelope: bytes) -> str:
    if b"\n" in envelope or b"'" in envelope:
        raise ValueError("the baked config must be one line of JSON without quotes")
    return f"""#!/bin/sh
# Enrolls this machine with the baked (signed) config and starts the service.
set -e
[ "$1" = configure ] || exit 0
root="${{DPKG_ROOT:-}}"
baked=$(mktemp)
trap 'rm -f "$baked"' EXIT
cat > "$baked" <<'GURUCONNECT_BAKED'
{envelope.decode("ascii")}
GURUCONNECT_BAKED
PYTHONPATH="$root{DEFAULT_PREFIX}/lib" PYTHONNOUSERSITE=1 {SYSTEM_PYTHON} \\
    -m guruconnect.agent.install --packaged --baked "$baked" ${{root:+--root "$root"}}
"""


PRERM = f"""#!/bin/sh
set -e
# Only on removal: an upgrade keeps the service, and the new postinst restarts it.
[ "$1" = remove ] || exit 0
if [ -z "${{DPKG_ROOT:-}}" ] && [ -d /run/systemd/system ]; then
    systemctl disable --now {UNIT_NAME} >/dev/null 2>&1 || true
fi
"""

POSTRM = f"""#!/bin/sh
set -e
# The config holds the agent's private key: removed with the package's etc on purge.
if [ "$1" = purge ]; then
    rm -rf "${{DPKG_ROOT:-}}{DEFAULT_PREFIX}/etc"
fi
if [ -z "${{DPKG_ROOT:-}}" ] && [ -d /run/systemd/system ]; then
    systemctl daemon-reload >/dev/null 2>&1 || true
fi
"""


def control_tar(envelope: bytes, installed_kib: int) -> bytes:
    buffer = io.BytesIO()
    with (
        gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.GNU_FORMAT) as tar,
    ):
        _add_dir(tar, "./", set())
        _add_bytes(tar, "./control", control_file(installed_kib).encode(), 0o644)
        _add_bytes(tar, "./postinst", postinst(envelope).encode(), 0o755)
        _add_bytes(tar, "./prerm", PRERM.encode(), 0o755)
        _add_bytes(tar, "./postrm", POSTRM.encode(), 0o755)
    return buffer.getvalue()


# --- ar -------------------------------------------------------------------------------------


def ar_header(name: str, size: int) -> bytes:
    header = (
        f"{name + '/':<16}{int(time.time()):<12}{0:<6}{0:<6}{'100644':<8}{size:<10}`\n"
    ).encode("ascii")
    assert len(header) == 60
    return header


@dataclass(frozen=True)
class BakedDeb:
    head: bytes  # ar magic + debian-binary + control.tar.gz + data member header
    data: Path
    data_size: int
    filename: str = FILENAME

    @property
    def size(self) -> int:
        return len(self.head) + self.data_size + (self.data_size % 2)

    async def chunks(self) -> AsyncIterator[bytes]:
        yield self.head
        with self.data.open("rb") as f:
            while chunk := await asyncio.to_thread(f.read, CHUNK):
                yield chunk
        if self.data_size % 2:
            yield b"\n"

    def read_all(self) -> bytes:
        tail = b"\n" if self.data_size % 2 else b""
        return self.head + self.data.read_bytes() + tail


def bake(data: Path, envelope: bytes, installed_kib: int = 0) -> BakedDeb:
    control = control_tar(envelope, installed_kib)
    parts = [b"!<arch>\n", ar_header("debian-binary", 4), b"2.0\n"]
    parts += [ar_header("control.tar.gz", len(control)), control]
    if len(control) % 2:
        parts.append(b"\n")
    data_size = data.stat().st_size
    parts.append(ar_header("data.tar.gz", data_size))
    return BakedDeb(b"".join(parts), data, data_size)


def installed_size_kib(data: Path) -> int:
    """Recorded beside the data file when it was built (0 if that record is gone)."""
    try:
        return int(json.loads(_size_path(data).read_text())["kib"])
    except (OSError, ValueError, KeyError, TypeError):
        return 0
