"""One typed, frozen configuration object.

Sources, later ones winning: built-in defaults, an optional TOML file (``--config`` or
``GURU_CONFIG``), ``GURU_*`` environment variables, then command-line flags.
Every field is documented in docs/configuration.md; a test keeps the two in step.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

ENV_PREFIX = "GURU_"


class ConfigError(ValueError):
    """A setting is missing, malformed or contradicts another one."""


@dataclasses.dataclass(frozen=True, slots=True)
class Settings:
    data_dir: Path = Path("var")
    bind: str = "127.0.0.1:8443"
    public_url: str = ""
    database_url: str = ""
    tls_cert_file: str = ""
    tls_key_file: str = ""
    behind_proxy: bool = False
    trusted_proxies: tuple[str, ...] = ()
    allowed_origins: tuple[str, ...] = ()
    require_mfa: bool = True
    session_lifetime_hours: int = 12
    session_idle_minutes: int = 120
    login_max_failures_per_ip: int = 20
    login_max_failures_per_user: int = 5
    login_failure_window_seconds: int = 900
    heartbeat_interval_seconds: int = 30
    inventory_interval_seconds: int = 900
    agent_auth_timeout_seconds: int = 10
    bootstrap_token_enabled: bool = True
    metrics_allowed_networks: tuple[str, ...] = ("127.0.0.0/8", "::1/128")
    log_level: str = "INFO"
    log_format: Literal["text", "json"] = "text"
    portal_name: str = "GuruConnect Support"
    portal_logo_path: str = ""
    support_join_max_failures_per_ip: int = 10
    support_join_max_failures_global: int = 100
    support_join_failure_window_seconds: int = 600
    support_reconnect_grace_seconds: int = 20
    support_expiry_sweep_seconds: int = 15  # how often expired codes are released
    support_agent_cache_dir: str = ""  # "" = <data_dir>/support-agent
    clipboard_max_bytes: int = 16 * 1024 * 1024
    # Installers (server/installers/): the "send link via email" relay.
    smtp_host: str = ""  # "" = email disabled
    smtp_port: int = 587
    smtp_starttls: bool = True
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_from: str = ""
    installer_url_max_failures_per_ip: int = 20
    # Windows EXE stubs are Authenticode-signed with this PEM pair; "" = a self-signed
    # test certificate made on first use in <data_dir>/codesign/.
    codesign_cert_file: str = ""
    codesign_key_file: str = ""
    # A prepared Windows runtime (python.exe, pythonservice.exe, Lib/...); "" = build it
    # once per release into the support agent cache.
    windows_runtime_dir: str = ""
    # How the Windows EXEs are compressed: "lzma" (solid; smallest, minutes per build once
    # per release) or "zlib" (seconds, about 1.5x the size; what the test suite uses).
    windows_exe_compression: Literal["lzma", "zlib"] = "lzma"
    # Offer the Windows one-time support EXE on the portal (its consent window is native
    # Win32, agent/support/window_win32.py). False: Linux only.
    support_windows_agent: bool = True

    # --- derived values -------------------------------------------------------------

    @property
    def host(self) -> str:
        return self.bind.rsplit(":", 1)[0].strip("[]")

    @property
    def port(self) -> int:
        return int(self.bind.rsplit(":", 1)[1])

    @property
    def tls_enabled(self) -> bool:
        return not self.behind_proxy

    @property
    def effective_public_url(self) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        scheme = "https" if self.tls_enabled else "http"
        host = self.host if self.host not in ("0.0.0.0", "::", "") else "127.0.0.1"
        if ":" in host:
            host = f"[{host}]"
        return f"{scheme}://{host}:{self.port}"

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'guruconnect.db').resolve()}"

    @property
    def origins(self) -> frozenset[str]:
        """Origins a browser may open our WebSockets from or post forms from."""
        base = {self.effective_public_url, *(o.rstrip("/") for o in self.allowed_origins)}
        if self.host in ("127.0.0.1", "localhost", "0.0.0.0", "::", "::1"):
            scheme = "https" if self.tls_enabled else "http"
            base |= {f"{scheme}://localhost:{self.port}", f"{scheme}://127.0.0.1:{self.port}"}
        return frozenset(base)


FIELDS: dict[str, dataclasses.Field[Any]] = {f.name: f for f in dataclasses.fields(Settings)}


def _coerce(name: str, raw: Any) -> Any:
    """Turn a TOML or environment value into the field's type, or explain why not."""
    default = FIELDS[name].default
    try:
        if isinstance(default, bool):
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off"):
                return False
            raise ValueError("expected true or false")
        if isinstance(default, int):
            if isinstance(raw, bool):
                raise ValueError("expected an integer")
            value = int(raw)
            if value < 0:
                raise ValueError("must not be negative")
            return value
        if isinstance(default, Path):
            return Path(str(raw))
        if isinstance(default, tuple):
            if isinstance(raw, list | tuple):
                return tuple(str(x).strip() for x in raw if str(x).strip())
            return tuple(x.strip() for x in str(raw).split(",") if x.strip())
        if not isinstance(raw, str):
            raise ValueError("expected a string")
        return raw
    except ValueError as exc:
        raise ConfigError(f"setting {name!r}: {exc} (got {raw!r})") from exc


_AT_LEAST_ONE = (
    "session_lifetime_hours",
    "session_idle_minutes",
    "login_max_failures_per_ip",
    "login_max_failures_per_user",
    "login_failure_window_seconds",
    "heartbeat_interval_seconds",
    "inventory_interval_seconds",
    "agent_auth_timeout_seconds",
    "support_join_max_failures_per_ip",
    "support_join_max_failures_global",
    "support_join_failure_window_seconds",
    "support_reconnect_grace_seconds",
    "support_expiry_sweep_seconds",
    "smtp_port",
    "installer_url_max_failures_per_ip",
)
PORTAL_LOGO_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
                     ".gif": "image/gif", ".webp": "image/webp"}  # fmt: skip


def _validate(s: Settings) -> Settings:
    if ":" not in s.bind:
        raise ConfigError(f"setting 'bind': expected HOST:PORT, got {s.bind!r}")
    try:
        port = s.port
    except ValueError as exc:
        raise ConfigError(f"setting 'bind': port is not a number in {s.bind!r}") from exc
    if not 0 <= port <= 65535:
        raise ConfigError(f"setting 'bind': port {port} out of range")
    if bool(s.codesign_cert_file) != bool(s.codesign_key_file):
        raise ConfigError(
            "settings 'codesign_cert_file' and 'codesign_key_file' must be given together"
        )
    if bool(s.tls_cert_file) != bool(s.tls_key_file):
        raise ConfigError("settings 'tls_cert_file' and 'tls_key_file' must be given together")
    if s.behind_proxy and not s.trusted_proxies:
        raise ConfigError(
            "setting 'behind_proxy' serves plain HTTP and needs 'trusted_proxies' "
            "(the addresses of the TLS proxy in front of this server)"
        )
    for name in ("trusted_proxies", "metrics_allowed_networks"):
        for entry in getattr(s, name):
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError as exc:
                raise ConfigError(f"setting {name!r}: {entry!r} is not an address") from exc
    if s.windows_exe_compression not in ("lzma", "zlib"):
        raise ConfigError(
            "setting 'windows_exe_compression': expected lzma or zlib, "
            f"got {s.windows_exe_compression!r}"
        )
    if s.log_format not in ("text", "json"):
        raise ConfigError(f"setting 'log_format': expected text or json, got {s.log_format!r}")
    for name in _AT_LEAST_ONE:
        if getattr(s, name) < 1:
            raise ConfigError(f"setting {name!r} must be at least 1")
    if s.smtp_host and "@" not in s.smtp_from:
        raise ConfigError("setting 'smtp_from' must be an email address when smtp_host is set")
    if s.log_level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        raise ConfigError(
            f"setting 'log_level': expected DEBUG, INFO, WARNING or ERROR, got {s.log_level!r}"
        )
    if s.behind_proxy and not s.public_url:
        raise ConfigError(
            "setting 'behind_proxy' needs 'public_url' (the https:// address browsers use), "
            "so that sign-in and WebSocket Origin checks know our own origin"
        )
    if not s.portal_name.strip() or len(s.portal_name) > 128:
        raise ConfigError("setting 'portal_name' must be 1 to 128 characters")
    if s.portal_logo_path:
        logo = Path(s.portal_logo_path)
        if logo.suffix.lower() not in PORTAL_LOGO_TYPES:
            raise ConfigError(
                f"setting 'portal_logo_path': {logo} must be a {', '.join(PORTAL_LOGO_TYPES)} image"
            )
        if not logo.is_file():
            raise ConfigError(f"setting 'portal_logo_path': {logo} is not a readable file")
    for url in (s.public_url, *s.allowed_origins):
        if url and not url.startswith(("https://", "http://")):
            raise ConfigError(f"{url!r} must start with https:// or http://")
    return s


def load_settings(
    *,
    config_file: Path | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    path = config_file or (
        Path(env[f"{ENV_PREFIX}CONFIG"]) if env.get(f"{ENV_PREFIX}CONFIG") else None
    )
    if path is not None:
        try:
            document = tomllib.loads(path.read_text())
        except OSError as exc:
            raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {path} is not valid TOML: {exc}") from exc
        table = document.get("server", document)
        if "server" in document and len(document) > 1:
            others = ", ".join(sorted(k for k in document if k != "server"))
            raise ConfigError(f"config file {path}: settings outside [server]: {others}")
        for key, raw in table.items():
            if key not in FIELDS:
                raise ConfigError(f"config file {path}: unknown setting {key!r}")
            values[key] = _coerce(key, raw)
    for key in FIELDS:
        raw_env = env.get(ENV_PREFIX + key.upper())
        if raw_env is not None:
            values[key] = _coerce(key, raw_env)
    for key, raw in (overrides or {}).items():
        if raw is not None:
            values[key] = _coerce(key, raw)
    return _validate(Settings(**values))
