"""The desktop worker process: ``python -m guruconnect.agent.desktop --session ID``.

Started by the agent (``supervisor``) with the session's 32-byte token as hex on the
first line of stdin, never on the command line where ``ps`` would show it.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
import signal
import sys
from pathlib import Path
from typing import BinaryIO

from guruconnect.agent.config import AgentConfig, ConfigError, default_config_path, load_config
from guruconnect.agent.connection import describe_failure
from guruconnect.agent.desktop import capture, clipboard
from guruconnect.agent.desktop import input as input_backends
from guruconnect.agent.desktop._backends import BackendUnavailable

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
_SESSION = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m guruconnect.agent.desktop",
        description="Serve one remote-desktop session (the agent starts this; the token "
        "is read from stdin as 64 hex characters).",
    )
    parser.add_argument("--config", type=Path, metavar="PATH", help="agent config file")
    parser.add_argument("--session", required=True, help="session id")
    parser.add_argument("--capture", choices=capture.NAMES, default=capture.default_backend())
    parser.add_argument(
        "--input", choices=input_backends.NAMES, default=input_backends.default_backend()
    )
    parser.add_argument(
        "--clipboard", choices=(*clipboard.NAMES, "none"), default=clipboard.default_backend()
    )
    parser.add_argument("--display", help="X display (default: $DISPLAY)")
    parser.add_argument(
        "--log-level", type=str.upper, default="INFO",
        choices=("DEBUG", "INFO", "WARNING", "ERROR"),
    )  # fmt: skip
    return parser


def read_token(stream: BinaryIO | None = None) -> bytes:
    """The token from the first line of stdin. Raises ValueError."""
    source = sys.stdin.buffer if stream is None else stream
    text = source.readline(200).decode("ascii", "replace").strip()
    try:
        token = bytes.fromhex(text)
    except ValueError:
        raise ValueError("the token on stdin is not hex") from None
    if len(token) != 32:
        raise ValueError(f"the token on stdin must be 32 bytes, got {len(token)}")
    return token


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=args.log_level,
        format=f"%(asctime)s %(levelname)s %(name)s[{args.session[:12]}]: %(message)s",
    )
    log = logging.getLogger("guruconnect.agent.desktop")
    if not _SESSION.match(args.session):
        log.error("invalid session id")
        return EXIT_USAGE
    try:
        token = read_token()
        cfg = load_config(args.config or default_config_path())
    except (ValueError, ConfigError) as exc:
        log.error("%s", exc)
        return EXIT_FAILED
    return asyncio.run(_run(cfg, args, token))


async def _run(cfg: AgentConfig, args: argparse.Namespace, token: bytes) -> int:
    from guruconnect.agent.desktop.worker import run_worker  # mss, Pillow, Xlib ...

    log = logging.getLogger("guruconnect.agent.desktop")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(signum, stop.set)
        except NotImplementedError:  # Windows event loops: plain handlers instead
            signal.signal(signum, lambda *_: loop.call_soon_threadsafe(stop.set))
    try:
        await run_worker(
            cfg, args.session, token,
            capture=args.capture, input_backend=args.input, display=args.display, stop=stop,
            clipboard_backend=None if args.clipboard == "none" else args.clipboard,
        )  # fmt: skip
    except BackendUnavailable as exc:
        log.error("%s", exc)
        return EXIT_FAILED
    except Exception as exc:
        reason = describe_failure(exc)
        if reason is None:
            log.exception("desktop session failed")
        else:
            log.error("%s", reason)
        return EXIT_FAILED
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
