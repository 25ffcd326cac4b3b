"""The installer's entry: ``python3 -m guruconnect.agent.install --baked FILE ...``.

Run by the ``.sh`` installer's bootstrap (with ``--lib-from`` the extracted payload) and
by the ``.deb``'s postinst (``--packaged``: dpkg has put the files in place).
Exit codes: 0 done, 1 failed (message on stderr), 2 bad command line.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path, PurePosixPath

from guruconnect.agent.install import args as cli_args
from guruconnect.agent.install.installer import (
    InstallError,
    Outcome,
    install,
    require_root,
    uninstall,
)
from guruconnect.agent.install.layout import DEFAULT_PREFIX, Layout
from guruconnect.protocol.installer import BakedConfigError, open_envelope


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="guruconnect-install",
        description="Install the GuruConnect agent as a systemd service, enrolled with the "
        "server and metadata this installer carries. Re-run with metadata flags to change "
        "them without reinstalling.",
    )
    p.add_argument("--baked", type=Path, required=True, help=argparse.SUPPRESS)
    p.add_argument("--lib-from", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--packaged", action="store_true", help=argparse.SUPPRESS)
    p.add_argument(
        "--prefix", type=cli_args.prefix, default=DEFAULT_PREFIX,
        help=f"install directory (default {DEFAULT_PREFIX})",
    )  # fmt: skip
    p.add_argument(
        "--root", type=cli_args.root, default=Path("/"),
        help="install into this directory as if it were / (no service is started)",
    )  # fmt: skip
    p.add_argument("--uninstall", action="store_true", help="remove the agent and its service")
    p.add_argument("--reconfigure", action="store_true", help="only change metadata")
    cli_args.add_metadata(p)
    return p


def main(argv: list[str] | None = None) -> int:
    p = parser()
    try:
        args = p.parse_args(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 2
    out = Outcome()
    unit_dir = "/lib/systemd/system" if args.packaged else "/etc/systemd/system"
    layout = Layout(args.root, args.prefix, PurePosixPath(unit_dir))
    changes = cli_args.overrides(args)
    try:
        require_root(layout)
        if args.uninstall:
            uninstall(layout, out)
            return 0
        if args.reconfigure and not changes:
            raise InstallError("--reconfigure needs at least one of --name, --site, "
                               "--department, --device-type, --tag")  # fmt: skip
        try:
            baked = open_envelope(args.baked.read_bytes())
        except OSError as exc:
            raise InstallError(f"cannot read the baked config: {exc.strerror}") from exc
        except BakedConfigError as exc:
            raise InstallError(str(exc)) from exc
        if args.reconfigure and not (layout.on_disk(layout.config)).exists():
            raise InstallError(f"--reconfigure: the agent is not installed under {args.prefix}")
        lib_from = None if args.packaged else args.lib_from
        if lib_from is None and not args.packaged:
            raise InstallError("internal: --lib-from or --packaged is required")
        install(layout, baked, changes, lib_from=lib_from, out=out)
    except InstallError as exc:
        print(f"GuruConnect installer: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
