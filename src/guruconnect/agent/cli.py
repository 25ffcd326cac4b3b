"""``guruconnect agent ...``: enroll this machine, run the agent, change its metadata.

Exit codes: 0 success, 1 the operation failed (server refused, config unusable),
2 the command line itself is wrong.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from pathlib import Path

import msgspec

from guruconnect.agent.config import (
    AgentConfig,
    ConfigError,
    default_config_path,
    ensure_config_dir,
    load_config,
    save_config,
)
from guruconnect.agent.enroll import EnrollError, enroll
from guruconnect.agent.tls import PinMismatch, normalize_fingerprint
from guruconnect.agent.urls import parse_server_url

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
MAX_SHORT = 256
MAX_TEXT = 4096
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def main(argv: list[str]) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has already printed usage and the reason
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    handlers = {"enroll": _enroll, "run": _run, "reconfigure": _reconfigure, "support": _support}
    handler = handlers[args.command]
    return handler(args)


# --- argument types: each raises ArgumentTypeError, which argparse reports as usage ----


def _server_url(text: str) -> str:
    try:
        return parse_server_url(text).base_url
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _fingerprint(text: str) -> str:
    try:
        return normalize_fingerprint(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _short(text: str) -> str:
    if len(text) > MAX_SHORT:
        raise argparse.ArgumentTypeError(f"at most {MAX_SHORT} characters, got {len(text)}")
    return text


def _text(text: str) -> str:
    if len(text) > MAX_TEXT:
        raise argparse.ArgumentTypeError(f"at most {MAX_TEXT} characters, got {len(text)}")
    return text


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 < value <= 86400:
        raise argparse.ArgumentTypeError(f"must be between 0 and 86400 seconds, got {text}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="guruconnect agent",
        description="The GuruConnect endpoint agent.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    config_help = f"config file (default: $GURU_AGENT_CONFIG, else {default_config_path()})"

    enroll_cmd = commands.add_parser(
        "enroll",
        help="register this machine with a server using an enrollment token",
        description="Register this machine with a GuruConnect server and write the agent "
        "config. Without --fingerprint the server's certificate is trusted on first use "
        "and its SHA-256 printed: compare it with the one the server's dashboard shows.",
    )
    enroll_cmd.add_argument(
        "--server", required=True, type=_server_url, metavar="URL",
        help="server address, https://host[:port]",
    )  # fmt: skip
    enroll_cmd.add_argument("--token", required=True, help="enrollment token from the dashboard")
    _metadata_options(enroll_cmd)
    enroll_cmd.add_argument("--company", type=_short, default="", help="company (client) name")
    enroll_cmd.add_argument(
        "--fingerprint", type=_fingerprint, metavar="SHA256HEX",
        help="expected SHA-256 of the server certificate (64 hex characters, colons allowed)",
    )  # fmt: skip
    enroll_cmd.add_argument("--config", type=Path, metavar="PATH", help=config_help)
    enroll_cmd.add_argument("--force", action="store_true", help="overwrite an existing config")

    run_cmd = commands.add_parser(
        "run",
        help="connect to the server and stay connected",
        description="Run the agent in the foreground until SIGTERM or Ctrl-C.",
    )
    run_cmd.add_argument("--config", type=Path, metavar="PATH", help=config_help)
    run_cmd.add_argument(
        "--max-backoff", type=_positive_seconds, metavar="SECONDS",
        help="longest wait between reconnection attempts (default: from config, 60)",
    )  # fmt: skip
    run_cmd.add_argument(
        "--log-level", type=str.upper, choices=LOG_LEVELS, default="INFO",
        help="logging verbosity (default: INFO)",
    )  # fmt: skip

    reconfigure_cmd = commands.add_parser(
        "reconfigure",
        help="change this machine's name, site, tags... in the local config",
        description="Rewrite the agent config. The server learns the new values the "
        "next time the agent connects (restart the agent service to apply them now).",
    )
    reconfigure_cmd.add_argument("--config", type=Path, metavar="PATH", help=config_help)
    _metadata_options(reconfigure_cmd, default=None)
    reconfigure_cmd.add_argument(
        "--description", type=_text, help="free text shown with the machine"
    )

    support_cmd = commands.add_parser(
        "support",
        help="run the one-time support agent (development; users get it from the portal)",
        description="Join one attended support session with a baked support config "
        "(server URL, certificate pin, join token), as the portal's download does.",
    )
    support_cmd.add_argument("--config", type=Path, required=True, metavar="FILE")
    support_cmd.add_argument(
        "--log-level", type=str.upper, choices=LOG_LEVELS, default="INFO",
        help="logging verbosity (default: INFO)",
    )  # fmt: skip
    return parser


def _support(args: argparse.Namespace) -> int:
    from guruconnect.agent.support.app import main as support_main  # Tk only when needed

    return support_main(["--config", str(args.config), "--log-level", args.log_level])


def _metadata_options(parser: argparse.ArgumentParser, default: str | None = "") -> None:
    parser.add_argument("--name", type=_short, default=default, help="display name")
    parser.add_argument("--site", type=_short, default=default, help="site within the company")
    parser.add_argument("--department", type=_short, default=default, help="department")
    parser.add_argument(
        "--device-type", type=_short, default=default, help="e.g. workstation, server"
    )
    parser.add_argument("--tag", type=_short, default=default, help="free-form tag")


def _error(message: str) -> None:
    print(f"guruconnect agent: error: {message}", file=sys.stderr)


# --- commands --------------------------------------------------------------------------


def _enroll(args: argparse.Namespace) -> int:
    path: Path = args.config or default_config_path()
    if path.exists() and not args.force:
        _error(f"{path} already exists: this machine is enrolled. Use --force to replace it.")
        return EXIT_USAGE
    try:
        # Before enrolling: a token spent on a config we cannot save is wasted.
        ensure_config_dir(path)
        cfg = enroll(
            args.server, args.token,
            name=args.name, company=args.company, site=args.site,
            department=args.department, device_type=args.device_type, tag=args.tag,
            fingerprint=args.fingerprint,
        )  # fmt: skip
        save_config(path, cfg)
    except (ConfigError, EnrollError, PinMismatch) as exc:
        _error(str(exc))
        return EXIT_FAILED
    fingerprint = cfg.server_fingerprint or "none (plain http)"
    print(
        f"enrolled as {cfg.agent_id} ({cfg.company} / {cfg.site}); "
        f"server certificate sha256 {fingerprint}"
    )
    print(f"config written to {path}")
    return EXIT_OK


def _run(args: argparse.Namespace) -> int:
    logging.basicConfig(
        level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    path: Path = args.config or default_config_path()
    try:
        cfg = load_config(path)
    except ConfigError as exc:
        _error(str(exc))
        return EXIT_FAILED
    if args.max_backoff is not None:
        cfg = msgspec.structs.replace(cfg, max_backoff=args.max_backoff)
    asyncio.run(_run_until_signalled(cfg, path.absolute()))
    return EXIT_OK


async def _run_until_signalled(cfg: AgentConfig, config_path: Path | None = None) -> None:
    from guruconnect.agent.connection import run_agent  # websockets only when running

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(signum, stop.set)
        except NotImplementedError:  # Windows event loops: plain handlers instead
            signal.signal(signum, lambda *_: loop.call_soon_threadsafe(stop.set))
    await run_agent(cfg, stop=stop, config_path=config_path)
    logging.getLogger("guruconnect.agent").info("stopped")


def _reconfigure(args: argparse.Namespace) -> int:
    path: Path = args.config or default_config_path()
    changes = {
        field: getattr(args, field)
        for field in ("name", "site", "department", "device_type", "tag", "description")
        if getattr(args, field) is not None
    }
    if not changes:
        _error("nothing to change: give at least one of --name, --site, --department, "
               "--device-type, --tag, --description")  # fmt: skip
        return EXIT_USAGE
    try:
        cfg = msgspec.structs.replace(load_config(path), **changes)
        save_config(path, cfg)
    except ConfigError as exc:
        _error(str(exc))
        return EXIT_FAILED
    print(f"{path} updated; restart the agent to send the change to the server")
    return EXIT_OK
