"""The agent as a Windows service, hosted by pywin32's ``pythonservice.exe``.

    python -m guruconnect.agent.service_windows install --config C:\\...\\agent.json
    python -m guruconnect.agent.service_windows start | stop | status | remove

``install`` registers ``GuruConnectAgent`` (automatic start, so it survives reboot) with
``pythonservice.exe`` from the runtime's folder as its binary, and stores the config
path as a service option. The service runs the normal connection loop
(``connection.run_agent``) until the service manager says stop; the loop then closes
its WebSocket with 1000 and the service reports STOPPED.

Exit codes as the agent CLI: 0 success, 1 the operation failed, 2 bad usage.
Tested under Wine (install, start, stop, remove: tests/integration/test_windows_agent.py;
as the MSI's service: test_windows_installers_wine.py); NOT RUN on real Windows here.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

SERVICE_NAME = "GuruConnectAgent"
DISPLAY_NAME = "GuruConnect Agent"
DESCRIPTION = "Keeps this computer reachable for remote support and management."
CONFIG_OPTION = "config"
PYTHON_CLASS = "guruconnect.agent.service_windows.AgentService"  # what pythonservice.exe loads
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
ERROR_SERVICE_DATABASE_LOCKED = 1055
LOG_NAME = "agent.log"
LOG_BYTES, LOG_BACKUPS = 5 * 1024 * 1024, 3
STATES = {1: "stopped", 2: "start pending", 3: "stop pending", 4: "running"}

if sys.platform == "win32":
    import logging
    import logging.handlers
    import threading
    import time

    import pywintypes
    import servicemanager
    import win32service
    import win32serviceutil

    from guruconnect.agent.config import AgentConfig, ConfigError, default_config_path, load_config

    log = logging.getLogger("guruconnect.agent.service")

    class AgentService(win32serviceutil.ServiceFramework):
        _svc_name_ = SERVICE_NAME
        _svc_display_name_ = DISPLAY_NAME
        _svc_description_ = DESCRIPTION

        def __init__(self, args: list[str]) -> None:
            super().__init__(args)
            self._loop: asyncio.AbstractEventLoop | None = None
            self._stop: asyncio.Event | None = None
            self._ready = threading.Event()

        def SvcStop(self) -> None:
            self.ReportServiceStatus(win32service.SERVICE_STOP_PENDING)
            self._ready.wait(10)
            if self._loop is not None and self._stop is not None:
                self._loop.call_soon_threadsafe(self._stop.set)

        def SvcDoRun(self) -> None:
            # Installed by this module or the MSI: a service option. By the setup EXE:
            # GURU_AGENT_CONFIG if set, else ProgramData as the shell resolves it.
            option = win32serviceutil.GetServiceCustomOption(SERVICE_NAME, CONFIG_OPTION)
            path = Path(option) if option else default_config_path()
            _log_to_file(path.parent / "logs" / LOG_NAME)
            log.info("service starting with %s", path)
            try:
                cfg = load_config(path)
            except ConfigError as exc:
                log.error("%s", exc)
                servicemanager.LogErrorMsg(f"GuruConnect agent: {exc}")
                self._ready.set()
                return
            self.ReportServiceStatus(win32service.SERVICE_RUNNING)
            try:
                asyncio.run(self._main(cfg, path))
            except Exception:
                log.exception("the agent stopped on an error")
                raise
            log.info("service stopped")

        async def _main(self, cfg: AgentConfig, path: Path) -> None:
            from guruconnect.agent.connection import run_agent

            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            self._ready.set()
            await run_agent(cfg, stop=self._stop, config_path=path)

    def _log_to_file(target: Path) -> None:
        """A service has no console: its log goes next to its config (ProgramData),
        rotated, where a technician or the remote shell can read it."""
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            handler: logging.Handler = logging.handlers.RotatingFileHandler(
                target, maxBytes=LOG_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8"
            )
        except OSError as exc:
            servicemanager.LogErrorMsg(f"GuruConnect agent: cannot write {target}: {exc}")
            return
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root = logging.getLogger()
        root.addHandler(handler)
        root.setLevel(logging.INFO)

    def _service_exe() -> str:
        """pythonservice.exe next to python3XX.dll: the runtime's root folder."""
        exe = Path(sys.executable).with_name("pythonservice.exe")
        if not exe.is_file():
            raise FileNotFoundError(f"{exe} is missing: is this the GuruConnect runtime?")
        return str(exe)

    def _install(config: Path) -> None:
        if not config.is_file():
            raise FileNotFoundError(f"{config} does not exist: enroll first")
        win32serviceutil.InstallService(
            PYTHON_CLASS,
            SERVICE_NAME,
            DISPLAY_NAME,
            startType=win32service.SERVICE_AUTO_START,
            exeName=_service_exe(),
            description=DESCRIPTION,
        )
        win32serviceutil.SetServiceCustomOption(SERVICE_NAME, CONFIG_OPTION, str(config))

    def _start(timeout: float) -> None:
        """StartService, retried while the service database is locked (another start is
        in progress: Windows documents retrying; Wine does it often just after boot)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                win32serviceutil.StartService(SERVICE_NAME)
                return
            except pywintypes.error as exc:
                if exc.winerror != ERROR_SERVICE_DATABASE_LOCKED or time.monotonic() > deadline:
                    raise
                time.sleep(0.5)

    def run_command(command: str, config: Path | None, timeout: float) -> str:
        if command == "install":
            if config is None:
                raise ValueError("install needs --config PATH (the enrolled agent config)")
            _install(config.resolve())
            # Not queried back: under Wine the new service shows only to a new process.
            return "installed"
        elif command == "start":
            _start(timeout)
            # pywin32 takes whole seconds (a float raises TypeError).
            win32serviceutil.WaitForServiceStatus(
                SERVICE_NAME, win32service.SERVICE_RUNNING, max(1, int(timeout))
            )
        elif command == "stop":
            win32serviceutil.StopServiceWithDeps(SERVICE_NAME, waitSecs=max(1, int(timeout)))
        elif command == "remove":
            win32serviceutil.RemoveService(SERVICE_NAME)
            return "removed"
        status = win32serviceutil.QueryServiceStatus(SERVICE_NAME)
        return STATES.get(int(status[1]), str(status[1]))

else:

    def run_command(command: str, config: Path | None, timeout: float) -> str:
        raise OSError("the Windows service commands need Windows")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m guruconnect.agent.service_windows",
        description="Install, start, stop or remove the GuruConnect agent Windows service.",
    )
    parser.add_argument("command", choices=("install", "start", "stop", "status", "remove"))
    parser.add_argument("--config", type=Path, help="the enrolled agent config (install)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    if args.timeout <= 0:
        print("error: --timeout must be positive", file=sys.stderr)
        return EXIT_USAGE
    try:
        state = run_command(args.command, args.config, args.timeout)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as exc:  # pywintypes.error carries the Windows reason
        print(f"error: {args.command} failed: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(f"{SERVICE_NAME}: {state}")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
