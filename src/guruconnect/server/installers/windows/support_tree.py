"""What the one-time support EXE ships: the Windows runtime minus what an attended,
run-once agent never loads. Built as hard links (no copying), except the standard
library's zip, which is rewritten.

Left out, with the reason:
- PyAV and numpy (two thirds of the runtime): the one-time agent's desktop worker sends
  JPEG tiles from raw bytes when they are missing (agent/desktop/stream.py ``plain``);
  only the unattended agent streams H.264.
- pywin32's service host, IDE, docs, demos, tests and COM (the support agent is not a
  service and asks WMI nothing; the clipboard and the window use win32api/win32gui and
  ctypes), SQLite, Pillow's optional AVIF/WebP/colour-management/font modules (imported
  only when such a file is opened), and every package's own tests.
- From python313.zip: the REPL, pydoc and its data, unittest, pdb and the other
  development tools. The zip is rewritten *stored* (uncompressed): NSIS compresses the
  whole EXE with solid LZMA, which does far better on the plain bytecode than on the
  zip's deflated members (3.7 MB as shipped, 2.4 MB stored then LZMA).

tests/integration/test_windows_support_agent.py runs the agent, its window and its link
from exactly this tree under Wine.
"""

from __future__ import annotations

import os
import shutil
import zipfile
from pathlib import Path

SKIP_NAMES = frozenset({
    # PyAV and numpy with their DLLs; the interpreter's signature catalog (not read at run time)
    "av", "av.libs", "numpy", "numpy.libs", "python.cat",
    # pywin32 parts nothing of the one-time agent loads
    "pythonservice.exe", "PyWin32.chm", "pythonwin", "adodbapi", "isapi", "win32com",
    "win32comext", "pythoncom313.dll", "Demos",
    # SQLite; tests, build hooks and caches of every package
    "sqlite3.dll", "_sqlite3.pyd", "test", "tests", "testing", "__pycache__", "_pyinstaller",
})  # fmt: skip
SKIP_PREFIXES = ("_avif.", "_webp.", "_imagingcms.", "_imagingft.", "av-", "numpy-")
# Top-level names in python3XX.zip (packages or modules, without .pyc).
SKIP_STDLIB = frozenset({
    "_pyrepl", "pydoc", "pydoc_data", "unittest", "doctest", "pdb", "idlelib", "turtle",
    "turtledemo", "tkinter", "lib2to3", "ensurepip", "venv", "test", "mailbox", "imaplib",
    "nntplib", "poplib", "smtplib", "ftplib", "xmlrpc", "wsgiref", "dbm", "sqlite3",
    "curses", "tabnanny", "pyclbr", "trace", "profile", "cProfile", "pstats", "timeit",
})  # fmt: skip


def support_tree(runtime: Path, target: Path) -> Path:
    """``target``: the runtime's files the one-time agent uses (the shared runtime is
    never written to)."""
    shutil.copytree(runtime, target, ignore=_skip, copy_function=_link_or_copy)
    for stdlib in target.glob("python3*.zip"):
        repacked = stdlib.with_suffix(".tmp")
        _repack_stdlib(stdlib, repacked)
        stdlib.unlink()  # a hard link into the runtime: replaced, not written through
        repacked.rename(stdlib)
    return target


def _skip(directory: str, names: list[str]) -> set[str]:
    return {n for n in names if n in SKIP_NAMES or n.startswith(SKIP_PREFIXES)}


def _repack_stdlib(source: Path, target: Path) -> None:
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as new:
        for info in old.infolist():
            top = info.filename.split("/", 1)[0].removesuffix(".pyc")
            if top in SKIP_STDLIB:
                continue
            entry = zipfile.ZipInfo(info.filename, info.date_time)
            entry.external_attr = info.external_attr
            new.writestr(entry, old.read(info), zipfile.ZIP_STORED)


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:  # another file system
        shutil.copyfile(source, target)
