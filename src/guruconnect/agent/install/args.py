"""Command-line values shared by the installer and ``guruconnect-agent``: each bad value
gets a clear usage error from argparse (exit 2)."""

from __future__ import annotations

import argparse
from pathlib import Path, PurePosixPath

MAX_SHORT = 256
OVERRIDES = ("name", "site", "department", "device_type", "tag")


def short(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError("must not be empty")
    if len(text) > MAX_SHORT:
        raise argparse.ArgumentTypeError(f"at most {MAX_SHORT} characters, got {len(text)}")
    if any(ord(c) < 32 and c not in "\t\n" for c in text):
        raise argparse.ArgumentTypeError("must not contain control characters")
    return text


def prefix(text: str) -> PurePosixPath:
    path = PurePosixPath(text)
    if not path.is_absolute():
        raise argparse.ArgumentTypeError(f"must be an absolute path, got {text!r}")
    if ".." in path.parts or len(path.parts) < 3:
        raise argparse.ArgumentTypeError(
            f"must be a dedicated directory such as /opt/guruconnect, got {text!r}"
        )
    return path


def root(text: str) -> Path:
    path = Path(text)
    if not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} is not a directory")
    return path.resolve()


def add_metadata(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("metadata (override what the installer carries)")
    group.add_argument("--name", type=short, help="display name (default: the host name)")
    group.add_argument("--site", type=short, help="site, e.g. 'New York Office'")
    group.add_argument("--department", type=short, help="department")
    group.add_argument("--device-type", type=short, help="e.g. Workstation, Server, Laptop")
    group.add_argument("--tag", type=short, help="free-form tag, e.g. VIP")


def overrides(args: argparse.Namespace) -> dict[str, str]:
    return {f: getattr(args, f) for f in OVERRIDES if getattr(args, f) is not None}
