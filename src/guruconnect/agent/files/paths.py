"""Every path a technician sends is checked here, on the agent, before any file is touched.

A path is accepted only if it is absolute, free of NUL and control characters, of
``..`` segments (with ``/`` or ``\\`` as separator, also percent-encoded, once or
twice), of reserved Windows device names (CON, NUL, COM1 ...), and if it resolves,
symlinks followed, inside one of the configured roots. The server checks nothing of
this: only the agent knows its file system, so only the agent can decide.
"""

from __future__ import annotations

import os
import re
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

WINDOWS = os.name == "nt"
_RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)(\..*)?$", re.I)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_WINDOWS_BAD = re.compile(r'[<>:"|?*]')
MAX_PATH_CHARS = 4096


class PathRefused(Exception):
    """The path breaks a rule; the message says which, for the technician."""


def default_roots() -> list[str]:
    """Every drive on Windows, ``/`` elsewhere: the agent's own permissions still apply."""
    if WINDOWS:
        import string

        return [f"{d}:\\" for d in string.ascii_uppercase if os.path.exists(f"{d}:\\")]
    return ["/"]


@dataclass(frozen=True)
class Roots:
    """The folders the technician may use, resolved once (symlinks followed)."""

    paths: tuple[str, ...]

    @classmethod
    def from_config(cls, configured: Sequence[str]) -> Roots:
        chosen = list(configured) or default_roots()
        return cls(tuple(os.path.realpath(p) for p in chosen))

    def containing(self, resolved: str) -> str | None:
        for root in self.paths:
            try:
                if os.path.commonpath([root, resolved]) == root:
                    return root
            except ValueError:  # different drives on Windows
                continue
        return None


def _segments(path: str) -> list[str]:
    return [s for s in re.split(r"[\\/]+", path) if s]


def check_syntax(path: str) -> None:
    """The rules that need no file system. Raises PathRefused."""
    if not path:
        raise PathRefused("empty path")
    if len(path) > MAX_PATH_CHARS:
        raise PathRefused(f"path longer than {MAX_PATH_CHARS} characters")
    if "\x00" in path:
        raise PathRefused("path contains a NUL byte")
    if _CONTROL.search(path):
        raise PathRefused("path contains a control character")
    decoded = path
    for _ in range(3):  # %2e%2e, and %252e%252e (encoded twice)
        decoded = urllib.parse.unquote(decoded)
        if "\x00" in decoded:
            raise PathRefused("path contains an encoded NUL byte")
        if ".." in _segments(decoded) and ".." not in _segments(path):
            raise PathRefused("path contains an encoded '..' segment")
    for segment in _segments(path):
        if segment in ("..", "."):
            raise PathRefused(f"path contains a '{segment}' segment: use a plain absolute path")
        if _RESERVED.match(segment.rstrip(" .")):
            raise PathRefused(f"'{segment}' is a reserved Windows device name")
    if not _is_absolute(path):
        raise PathRefused("path must be absolute (start at a root)")
    if WINDOWS:
        for segment in _segments(path)[1:]:
            if _WINDOWS_BAD.search(segment) or segment != segment.rstrip(" ."):
                raise PathRefused(f"'{segment}' is not a valid Windows file name")


def _is_absolute(path: str) -> bool:
    if WINDOWS:
        return bool(re.match(r"^[A-Za-z]:[\\/]", path))
    return path.startswith("/") and "\\" not in path


def check_name(name: str) -> None:
    """A single file name (upload of a dropped file, walk entries). Raises PathRefused."""
    if not name or name in (".", "..") or "/" in name or "\\" in name:
        raise PathRefused(f"invalid file name {name!r}")
    check_syntax(("C:\\" if WINDOWS else "/") + name)


def resolve(path: str, roots: Roots, *, must_exist: bool = True) -> Path:
    """The checked, resolved path inside a root. Raises PathRefused or FileNotFoundError.

    For a target that does not exist yet (an upload), the parent is resolved and must
    lie inside a root; the new name itself is checked for syntax."""
    check_syntax(path)
    resolved = os.path.realpath(path)
    if not must_exist and not os.path.lexists(path):
        parent, name = os.path.split(os.path.normpath(path))
        resolved = os.path.join(os.path.realpath(parent), name)
    elif must_exist and not os.path.exists(resolved):
        raise FileNotFoundError(path)
    if roots.containing(resolved) is None:
        if os.path.realpath(os.path.normpath(path)) != os.path.normpath(path):
            raise PathRefused("path leads through a symbolic link outside the allowed folders")
        raise PathRefused("path is outside the folders this agent allows")
    return Path(resolved)


def part_path(target: Path) -> Path:
    """Where an upload is written until its SHA-256 matches: ``<name>.part``."""
    return target.with_name(target.name + ".part")


def renamed(target: Path) -> Path:
    """The first free ``name (n).ext`` next to ``target``, for conflict="rename"."""
    stem, suffix = target.stem, target.suffix
    for n in range(1, 10_000):
        candidate = target.with_name(f"{stem} ({n}){suffix}")
        if not os.path.lexists(candidate) and not os.path.lexists(part_path(candidate)):
            return candidate
    raise PathRefused(f"no free name next to {target.name}")
