"""The agent's local configuration file: what enrollment produced, plus local tweaks.

The file holds the agent's private key, so it is only ever created with mode 0600
(inside a 0700 directory) and replaced atomically, never rewritten in place.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sys
from pathlib import Path
from typing import Annotated

import msgspec
from msgspec import Meta

from guruconnect.agent.identity import decode_seed
from guruconnect.agent.urls import ServerAddress, parse_server_url

Short = Annotated[str, Meta(max_length=256)]
ENV_CONFIG_PATH = "GURU_AGENT_CONFIG"


class ConfigError(Exception):
    """The config file is missing, unreadable or invalid; the message says which and why."""


class AgentConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    server_url: Annotated[str, Meta(pattern=r"^https?://")]
    agent_id: Annotated[str, Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
    private_key: str  # base64 of the 32-byte Ed25519 seed
    # "" only for an http:// server_url, where there is no certificate to pin.
    server_fingerprint: Annotated[str, Meta(pattern=r"^([0-9a-f]{64})?$")]
    name: Short = ""
    company: Short = ""
    site: Short = ""
    department: Short = ""
    device_type: Short = ""
    tag: Short = ""
    description: Annotated[str, Meta(max_length=4096)] = ""
    max_backoff: Annotated[float, Meta(gt=0, le=86400)] = 60.0
    # Folders a technician may browse and transfer in; empty: "/" or every drive.
    file_roots: Annotated[
        list[Annotated[str, Meta(min_length=1, max_length=4096)]], Meta(max_length=64)
    ] = []

    def __post_init__(self) -> None:
        # msgspec turns these ValueErrors into ValidationErrors when decoding; the
        # "- at `$.field`" suffix matches the wording of its own errors.
        try:
            address = parse_server_url(self.server_url)
        except ValueError as exc:
            raise ValueError(f"{exc} - at `$.server_url`") from exc
        if address.secure and not self.server_fingerprint:
            raise ValueError(
                "an https:// server_url needs a certificate pin - at `$.server_fingerprint`"
            )
        try:
            decode_seed(self.private_key)
        except ValueError as exc:
            raise ValueError(f"private key {exc} - at `$.private_key`") from exc

    @property
    def server(self) -> ServerAddress:
        return parse_server_url(self.server_url)

    @property
    def seed(self) -> bytes:
        return decode_seed(self.private_key)


def default_config_path() -> Path:
    override = os.environ.get(ENV_CONFIG_PATH)
    if override:
        return Path(override).expanduser()
    if sys.platform == "win32":
        from guruconnect.agent.windows_folders import program_data

        return program_data() / "GuruConnect" / "agent.json"
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        return Path("/etc/guruconnect/agent.json")
    return Path.home() / ".config" / "guruconnect" / "agent.json"


def _validated(data: bytes, source: Path) -> AgentConfig:
    try:
        return msgspec.json.decode(data, type=AgentConfig)
    except msgspec.ValidationError as exc:
        raise ConfigError(f"invalid config file {source}: {exc}") from exc
    except msgspec.DecodeError as exc:
        raise ConfigError(f"config file {source} is not valid JSON: {exc}") from exc


def load_config(path: Path | str) -> AgentConfig:
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            f"config file {path} does not exist; enroll first with 'guruconnect agent enroll'"
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror or exc}") from exc
    return _validated(data, path)


def ensure_config_dir(path: Path) -> None:
    """Create the config's directory (0700) and fail early if we could not write there."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create {path.parent}: {exc.strerror or exc}") from exc
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise ConfigError(f"cannot write config file {path}: {path.parent} is not writable")


def save_config(path: Path | str, cfg: AgentConfig) -> None:
    path = Path(path)
    data = msgspec.json.format(msgspec.json.encode(cfg), indent=2) + b"\n"
    # Round-trip first: Struct construction does not enforce field constraints, and a
    # config we could not load again would leave the agent unable to start.
    _validated(data, path)
    ensure_config_dir(path)
    fd, tmp_name = _create_private_temp(path)
    try:
        with os.fdopen(fd, "wb") as tmp:
            tmp.write(data)
            tmp.flush()
            os.fsync(tmp.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise
    _fsync_dir(path.parent)


def _create_private_temp(path: Path) -> tuple[int, str]:
    # O_EXCL with mode 0600 at creation: the key is never readable by others, not even
    # for the instant between creating and chmod-ing the file.
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        name = str(path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp")
        try:
            fd = os.open(name, flags, 0o600)
        except FileExistsError:
            continue
        except OSError as exc:
            raise ConfigError(f"cannot write config file {path}: {exc.strerror or exc}") from exc
        if hasattr(os, "fchmod"):
            os.fchmod(fd, 0o600)  # umask may have removed our own bits
        return fd, name
    raise ConfigError(f"cannot create a temporary file next to {path}")


def _fsync_dir(directory: Path) -> None:
    # Makes the rename durable across a power cut; not possible (nor needed) on Windows.
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
