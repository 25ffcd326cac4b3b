"""``guruconnect-agent``: the installed agent's own command (the wrapper in
``<prefix>/bin`` runs this module).

    guruconnect-agent [run]                          what the systemd unit starts
    guruconnect-agent --reconfigure --site "New York Office" --tag Laptop
    guruconnect-agent --uninstall

Reconfigure rewrites the config file; the running agent compares it at every heartbeat
and sends the change to the server (no restart).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path, PurePosixPath

from guruconnect.agent.install import args as cli_args


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] == "run":
        from guruconnect.agent.cli import main as agent_main

        return agent_main(["run", *argv[1:]])
    p = argparse.ArgumentParser(prog="guruconnect-agent", description=__doc__.split("\n")[0])
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--reconfigure", action="store_true", help="change this machine's metadata")
    mode.add_argument("--uninstall", action="store_true", help="remove the agent and its service")
    cli_args.add_metadata(p)
    try:
        args = p.parse_args(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 2
    from guruconnect.agent.install.installer import InstallError, Outcome, reconfigure, uninstall
    from guruconnect.agent.install.layout import Layout

    prefix = os.environ.get("GURU_AGENT_PREFIX")
    if not prefix:
        print("guruconnect-agent: error: run it through the installed wrapper", file=sys.stderr)
        return 2
    here = Path(prefix)
    changes = cli_args.overrides(args)
    # The wrapper knows its real location; treat its prefix as seen from "/" (a scratch
    # root only changes where the files are, and the record lists them relative to it).
    layout = Layout(Path("/"), PurePosixPath(here))
    try:
        if args.uninstall:
            record = here / "etc" / "install.json"
            root = _root_of(here, record)
            uninstall(Layout(root, PurePosixPath("/") / here.relative_to(root)), Outcome())
            return 0
        if not changes:
            print("guruconnect-agent: error: --reconfigure needs at least one of --name, "
                  "--site, --department, --device-type, --tag", file=sys.stderr)  # fmt: skip
            return 2
        reconfigure(layout, changes, Outcome())
    except InstallError as exc:
        print(f"guruconnect-agent: error: {exc}", file=sys.stderr)
        return 1
    return 0


def _root_of(here: Path, record: Path) -> Path:
    """The directory that stood for / at install time: the prefix recorded in
    install.json is a suffix of where the files really are."""
    import json

    try:
        recorded = PurePosixPath(json.loads(record.read_text())["prefix"])
    except (OSError, ValueError, KeyError):
        return Path("/")
    parts = here.parts
    depth = len(recorded.parts) - 1
    if tuple(parts[-depth:]) == recorded.parts[1:]:
        return Path(*parts[: len(parts) - depth]) if len(parts) > depth else Path("/")
    return Path("/")


if __name__ == "__main__":
    sys.exit(main())
