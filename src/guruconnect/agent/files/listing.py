"""Browsing: the roots, one folder's entries, and every file under a folder (folder download).

Blocking file-system calls; the channel runs them in a thread.
"""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

from guruconnect.agent.files.paths import PathRefused, Roots, check_name
from guruconnect.protocol.files import (
    MAX_ENTRIES,
    Entry,
    EntryKind,
    Root,
    WalkFile,
)


def list_roots(roots: Roots) -> list[Root]:
    out: list[Root] = []
    for path in roots.paths:
        try:
            usage = shutil.disk_usage(path)
            out.append(Root(path=path, label=path, total=usage.total, free=usage.free))
        except OSError:
            out.append(Root(path=path, label=path))
    return out


def _kind(mode: int) -> EntryKind:
    if stat.S_ISLNK(mode):
        return "link"
    if stat.S_ISDIR(mode):
        return "dir"
    if stat.S_ISREG(mode):
        return "file"
    return "other"


def list_dir(folder: Path) -> tuple[list[Entry], bool]:
    """The folder's entries (symlinks reported as what they point to, if they can be
    followed) and whether the list was cut at MAX_ENTRIES."""
    entries: list[Entry] = []
    with os.scandir(folder) as it:
        for item in it:
            if len(entries) >= MAX_ENTRIES:
                return entries, True
            try:
                st = item.stat(follow_symlinks=True)
            except OSError:
                try:
                    st = item.stat(follow_symlinks=False)
                except OSError:
                    continue
            kind = _kind(st.st_mode)
            size = st.st_size if kind == "file" else 0
            entries.append(Entry(name=item.name, kind=kind, size=size, mtime=st.st_mtime))
    return entries, False


def walk(folder: Path) -> tuple[list[WalkFile], list[str], bool]:
    """Every regular file under ``folder`` (relative, "/"-separated), every sub-folder,
    and whether the walk stopped at MAX_ENTRIES. ``folder`` is already resolved inside
    a root. Symlinks are not followed, so a walk
    never leaves the folder; names the path rules refuse are skipped."""
    files: list[WalkFile] = []
    dirs: list[str] = []
    for top, subdirs, names in os.walk(folder, followlinks=False):
        rel_top = os.path.relpath(top, folder)
        prefix = "" if rel_top == "." else rel_top.replace(os.sep, "/") + "/"
        keep = []
        for name in sorted(subdirs):
            try:
                check_name(name)
            except PathRefused:
                continue
            keep.append(name)
            dirs.append(prefix + name)
        subdirs[:] = keep
        for name in sorted(names):
            try:
                check_name(name)
                st = os.lstat(os.path.join(top, name))
            except (PathRefused, OSError):  # refused or vanished: skip it
                continue
            if not stat.S_ISREG(st.st_mode):
                continue
            files.append(WalkFile(rel=prefix + name, size=st.st_size))
            if len(files) + len(dirs) >= MAX_ENTRIES:
                return files, dirs, True
    return files, dirs, False
