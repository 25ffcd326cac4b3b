"""The one-time agent's process: the window (Tk; native Win32 on Windows) in the main
thread, the link in an asyncio thread, signals turned into "end the session", and
self-removal on every way out.

Exit codes: 0 the session ran and ended, 1 it could not start (config, no display,
no Tk), 2 the command line is wrong.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import queue
import signal
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Protocol

from guruconnect.agent.support.cleanup import DIR_MARKER, RemovalRefused, SelfRemoval
from guruconnect.agent.support.config import (
    SupportConfig,
    SupportConfigError,
    load_support_config,
    parse_support_config,
)
from guruconnect.agent.support.state import LINK_DONE
from guruconnect.protocol.support import ChatSend, Consent

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
LINK_JOIN_TIMEOUT = 15.0
log = logging.getLogger("guruconnect.agent.support")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python3 -m guruconnect.agent.support",
        description="GuruConnect one-time support agent: joins one support session, asks "
        "before sharing the screen, offers chat, and removes itself afterwards.",
    )
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--config", type=Path, metavar="FILE", help="baked config")
    source.add_argument(
        "--config-exe", type=Path, metavar="EXE",
        help="the signed Windows EXE whose certificate table carries the config",
    )  # fmt: skip
    p.add_argument(
        "--remove", type=Path, action="append", default=[], metavar="PATH",
        help="delete this extracted directory or downloaded script when the session ends "
        "(only accepted for the support agent's own files)",
    )  # fmt: skip
    p.add_argument(
        "--log-level", type=str.upper, default="INFO",
        choices=("DEBUG", "INFO", "WARNING", "ERROR"),
    )  # fmt: skip
    return p


def main(argv: list[str] | None = None) -> int:
    try:
        args = parser().parse_args(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    logging.basicConfig(
        level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        removal = SelfRemoval(list(args.remove))
    except RemovalRefused as exc:
        log.error("refusing --remove: %s", exc)
        return EXIT_USAGE
    try:
        try:
            cfg = (
                load_support_config(args.config)
                if args.config is not None
                else config_from_exe(args.config_exe)
            )
        except SupportConfigError as exc:
            log.error("%s", exc)
            return EXIT_FAILED
        run_dir = Path(tempfile.mkdtemp(prefix="guruconnect-support-run-"))
        (run_dir / DIR_MARKER).touch()
        removal.paths.append(run_dir)
        return run(cfg, run_dir)
    finally:
        removal.run()


def config_from_exe(path: Path) -> SupportConfig:
    """The Windows one-time agent: its config is in its own EXE's certificate table."""
    from guruconnect.protocol.pe_certtable import CertTableError, read_baked

    try:
        with path.open("rb") as f:
            blob = read_baked(f)
    except OSError as exc:
        raise SupportConfigError(f"cannot read {path}: {exc.strerror}") from exc
    except CertTableError as exc:
        raise SupportConfigError(f"{path} carries no usable config: {exc}") from exc
    return parse_support_config(blob, source=str(path))


class Window(Protocol):
    """window.py (Tk) and window_win32.py (Win32) both offer this."""

    def request_end(self) -> None: ...

    def mainloop(self) -> None: ...


class WindowUnavailable(Exception):
    """No window can open here (no Tk, no display); the message says why."""


def open_window(
    title: str,
    events: queue.Queue[object],
    submit: Callable[[Consent | ChatSend], None],
    end: Callable[[], None],
) -> Window:
    """The platform's window: native Win32 on Windows (the embeddable CPython has no
    Tk), Tk elsewhere."""
    if sys.platform == "win32":
        from guruconnect.agent.support.window_win32 import Win32SupportWindow

        try:
            return Win32SupportWindow(title, events, submit, end)
        except OSError as exc:
            raise WindowUnavailable(f"cannot open the window: {exc}") from exc
    try:
        import tkinter as tk
    except ImportError:
        raise WindowUnavailable(
            "Python's Tk support is missing; on Debian or Ubuntu it is the package python3-tk"
        ) from None
    from guruconnect.agent.support.window import SupportWindow

    try:
        root = tk.Tk(className="GuruConnectSupport")
    except tk.TclError as exc:
        raise WindowUnavailable(
            f"cannot open the window (is there a graphical display?): {exc}"
        ) from exc
    return SupportWindow(root, title, events, submit, end)


def run(cfg: SupportConfig, run_dir: Path) -> int:
    from guruconnect.agent.support.desktop import SupportDesktop
    from guruconnect.agent.support.link import SupportLink

    events: queue.Queue[object] = queue.Queue()
    desktop = SupportDesktop(cfg, run_dir)
    link = SupportLink(cfg, desktop, events.put)

    def link_thread() -> None:
        try:
            asyncio.run(link.run())
        except Exception:
            log.exception("the support link failed")
        finally:
            events.put(LINK_DONE)

    try:
        window = open_window(cfg.portal_name, events, link.submit, link.end)
    except WindowUnavailable as exc:
        log.error("%s", exc)
        return EXIT_FAILED

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        # Runs in the main thread between window events (each window polls every 50 ms).
        log.info("%s: ending the session", signal.Signals(signum).name)
        window.request_end()

    signals = [signal.SIGTERM, signal.SIGINT]
    if sys.platform != "win32":  # Windows has no SIGHUP
        signals.append(signal.SIGHUP)
    for signum in signals:
        signal.signal(signum, on_signal)
    worker = threading.Thread(target=link_thread, name="support-link", daemon=True)
    worker.start()
    log.info("support agent started (pid %d)", os.getpid())
    try:
        window.mainloop()
    finally:
        link.end()  # the window went away some other way: the session ends with it
        worker.join(LINK_JOIN_TIMEOUT)
    return EXIT_OK
