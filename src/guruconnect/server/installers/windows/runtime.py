"""Assemble the Windows runtime directory, once per release and architecture.

    <cache_dir>/windows-amd64-<key>/
        python.exe, python313.dll ...   the python.org embeddable CPython, Authenticode-
                                        verified against the pinned root (authenticode.py)
        python313._pth                  python313.zip, ., Lib\\site-packages, import site
        pythonservice.exe, pywintypes313.dll, pythoncom313.dll
                                        pywin32's service host and its DLLs, next to
                                        python313.dll so the service finds all of them
        Lib\\site-packages\\             win_amd64 wheels (wheels.py) + guruconnect's
                                        agent and protocol packages (never the server)
        runtime.json                    what was built and verified

The key changes with anything that would change the directory (like the Linux payload's
key in server/support/bundle.py), so a cached directory is reused as it is. A build is
assembled under a temporary name and renamed into place, so a half-built runtime is never
used. Minutes of work cold (downloads); a cache hit is a stat and a small JSON read.

Numpy 2.x and simplejpeg are shipped for real Windows but crash under Wine 8 (missing
ucrtbase functions); the code paths tested under Wine do not import them.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

import guruconnect
from guruconnect.server.installers.windows import authenticode, embed, wheels
from guruconnect.server.installers.windows.errors import RuntimeBuildError

RUNTIME_FORMAT = 1  # bump when the layout changes: cached runtimes are rebuilt
ARCHITECTURES = ("amd64",)
OWN_PARTS = ("__init__.py", "py.typed", "agent", "protocol")
SKIP_SUFFIXES = frozenset({".pyc", ".pyi"})
SKIP_DIRS = frozenset({"__pycache__"})
# Files that must carry a valid "Python Software Foundation" signature. The
# vcruntime140 DLLs are signed by Microsoft under roots we do not pin: not checked.
REQUIRED_SIGNED = ("python.exe", "python{tag}.dll")
INFO_FILE = "runtime.json"
_lock = threading.Lock()


@dataclass(frozen=True)
class RuntimeInfo:
    arch: str
    key: str
    cpython_version: str
    embed_requirement: str
    verified: list[str]  # files whose PSF signature verified
    total_bytes: int
    file_count: int


def runtime_key(arch: str = "amd64") -> str:
    """Changes whenever the runtime directory would."""
    source = embed.embed_source(arch)
    digest = hashlib.sha256()
    digest.update(f"{RUNTIME_FORMAT}|{arch}|{source.requirement}|{source.sdist_sha256}".encode())
    digest.update(f"|{sorted(authenticode.PINNED_ROOTS)}|uv={wheels.uv_version()}".encode())
    for line in [*wheels.agent_requirements(), "--", *wheels.constraint_lines()]:
        digest.update(f"|{line}".encode())
    for name, path in _own_files():
        digest.update(b"|" + name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def build_runtime(target_dir: Path, arch: str = "amd64") -> Path:
    """The runtime directory for ``arch`` under ``target_dir``, built if not cached.
    Raises UnsupportedArchitecture, AuthenticodeError or RuntimeBuildError."""
    source = embed.embed_source(arch)  # refuses x86 and friends first
    key = runtime_key(arch)
    final = Path(target_dir) / f"windows-{arch}-{key}"
    with _lock:
        if _complete(final, key):
            return final
        final.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".build-{arch}-", dir=final.parent))
        try:
            _assemble(work, source, arch, key, final.parent / "downloads")
            try:
                work.rename(final)
            except OSError:
                if not _complete(final, key):  # another process won the race: use its
                    raise
        finally:
            shutil.rmtree(work, ignore_errors=True)
        _remove_stale(final)
        return final


def runtime_info(runtime: Path) -> RuntimeInfo:
    data = json.loads((runtime / INFO_FILE).read_text())
    return RuntimeInfo(**data)


def _complete(path: Path, key: str) -> bool:
    try:
        return bool(runtime_info(path).key == key)
    except (OSError, ValueError, TypeError):
        return False


def _assemble(work: Path, source: embed.EmbedSource, arch: str, key: str, downloads: Path) -> None:
    sdist = embed.download_sdist(source, downloads)
    embed.extract_interpreter(source, sdist, work)
    verified = _verify_interpreter(work, source)
    site_packages = work / "Lib" / "site-packages"
    requirements = wheels.agent_requirements()
    wheels.install_wheels(site_packages, requirements, wheels.constraint_lines(), arch=arch)
    _copy_own_code(site_packages)
    _place_service_host(work, site_packages, source.python_tag)
    _write_pth(work, source.python_tag)
    files = [p for p in work.rglob("*") if p.is_file()]
    info = RuntimeInfo(
        arch=arch,
        key=key,
        cpython_version=source.cpython_version,
        embed_requirement=source.requirement,
        verified=verified,
        total_bytes=sum(p.stat().st_size for p in files),
        file_count=len(files),
    )
    (work / INFO_FILE).write_text(json.dumps(asdict(info), indent=1))


def _verify_interpreter(root: Path, source: embed.EmbedSource) -> list[str]:
    """Check every PSF-signed binary of the interpreter: the required ones must exist."""
    names = [name.format(tag=source.python_tag) for name in REQUIRED_SIGNED]
    for name in names:
        if not (root / name).is_file():
            raise RuntimeBuildError(f"the embeddable CPython has no {name}")
    others = sorted(
        p.name
        for p in root.iterdir()
        if p.suffix in (".exe", ".dll", ".pyd") and not p.name.startswith("vcruntime")
    )
    checked = [*names, *(n for n in others if n not in names)]
    with tempfile.TemporaryDirectory(prefix="guru-roots-") as tmp:
        for name in checked:
            roots = authenticode.pinned_roots(root / name, Path(tmp) / f"{name}.pem")
            authenticode.verify(root / name, roots)
    return checked


def _own_files() -> list[tuple[str, Path]]:
    own = Path(guruconnect.__file__).parent
    files: list[tuple[str, Path]] = []
    for part in OWN_PARTS:
        source = own / part
        for path in sorted(source.rglob("*")) if source.is_dir() else [source]:
            relative = path.relative_to(own.parent)
            if (
                path.is_file()
                and path.suffix not in SKIP_SUFFIXES
                and not SKIP_DIRS.intersection(relative.parts)
            ):
                files.append((relative.as_posix(), path))
    return files


def _copy_own_code(site_packages: Path) -> None:
    for name, path in _own_files():
        target = site_packages / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)


def _place_service_host(root: Path, site_packages: Path, tag: str) -> None:
    """pythonservice.exe loads python3XX.dll and pywin32's DLLs from its own folder."""
    wanted = {
        site_packages / "win32" / "pythonservice.exe": root / "pythonservice.exe",
        site_packages / "pywin32_system32" / f"pywintypes{tag}.dll": root / f"pywintypes{tag}.dll",
        site_packages / "pywin32_system32" / f"pythoncom{tag}.dll": root / f"pythoncom{tag}.dll",
    }
    for source, target in wanted.items():
        if not source.is_file():
            raise RuntimeBuildError(f"pywin32 did not install {source.name}")
        shutil.copyfile(source, target)


def _write_pth(root: Path, tag: str) -> None:
    # Windows paths: the interpreter reads this file, relative to its own folder.
    lines = [f"python{tag}.zip", ".", "Lib\\site-packages", "import site"]
    (root / f"python{tag}._pth").write_text("\r\n".join(lines) + "\r\n")


def _remove_stale(current: Path) -> None:
    for old in current.parent.glob(f"windows-{current.name.split('-')[1]}-*"):
        if old != current and old.is_dir():
            shutil.rmtree(old, ignore_errors=True)


def directory_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def compressed_size(path: Path, preset: int = 6) -> int:
    """Bytes of the directory as one tar.xz (what an installer's LZMA payload costs)."""
    import lzma
    import tarfile

    class _Counter:
        size = 0

        def write(self, data: bytes) -> int:
            self.size += len(data)
            return len(data)

    counter = _Counter()
    with (
        lzma.open(counter, "wb", preset=preset) as xz,  # type: ignore[call-overload]
        tarfile.open(fileobj=xz, mode="w") as tar,
    ):
        tar.add(str(path), arcname=".")
    return counter.size
