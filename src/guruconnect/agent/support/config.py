"""The one-time agent's baked config: which server, which certificate, which session.

The server writes it into each download (``server/support/bundle.py``); the bootstrap
extracts it next to the code as ``config.json``. Everything in it is checked here, so a
damaged or hand-edited file ends with one clear sentence instead of a traceback.
"""

from __future__ import annotations

import urllib.parse
from pathlib import Path
from typing import Annotated

import msgspec
from msgspec import Meta

from guruconnect.agent.urls import ServerAddress, parse_server_url

SUPPORT_SOCKET_PATH = "/ws/support"
# secrets.token_urlsafe(n) for any sensible n: URL-safe base64 without padding.
JOIN_TOKEN_PATTERN = r"^[A-Za-z0-9_-]{16,128}$"  # noqa: S105 - a pattern, not a secret


class SupportConfigError(Exception):
    """The baked config is missing, unreadable or invalid; the message says which and why."""


class SupportConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    server_url: Annotated[str, Meta(pattern=r"^https?://", max_length=2048)]
    # "" only for an http:// server_url (behind a TLS-terminating proxy, tests).
    server_fingerprint: Annotated[str, Meta(pattern=r"^([0-9a-f]{64})?$")]
    join_token: Annotated[str, Meta(pattern=JOIN_TOKEN_PATTERN)]
    # Shown in the window title; the portal's configured name.
    portal_name: Annotated[str, Meta(min_length=1, max_length=128)] = "GuruConnect Support"
    max_backoff: Annotated[float, Meta(gt=0, le=600)] = 15.0

    def __post_init__(self) -> None:
        # Raised as ValueError, which msgspec reports as a ValidationError with the field.
        try:
            address = parse_server_url(self.server_url)
        except ValueError as exc:
            raise ValueError(f"{exc} - at `$.server_url`") from exc
        if address.secure and not self.server_fingerprint:
            raise ValueError(
                "an https:// server_url needs a certificate pin - at `$.server_fingerprint`"
            )

    @property
    def server(self) -> ServerAddress:
        return parse_server_url(self.server_url)

    @property
    def websocket_url(self) -> str:
        url = urllib.parse.urlsplit(self.server.websocket_url)
        return url._replace(path=SUPPORT_SOCKET_PATH).geturl()


def parse_support_config(data: bytes, source: str = "the baked config") -> SupportConfig:
    try:
        return msgspec.json.decode(data, type=SupportConfig)
    except msgspec.ValidationError as exc:
        raise SupportConfigError(
            f"{source} is invalid: {exc}. Download the support agent again from the portal."
        ) from exc
    except msgspec.DecodeError as exc:
        raise SupportConfigError(
            f"{source} is not valid JSON ({exc}). Download the support agent again from the portal."
        ) from exc


def load_support_config(path: Path | str) -> SupportConfig:
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SupportConfigError(f"support config {path} does not exist") from None
    except OSError as exc:
        reason = exc.strerror or exc
        raise SupportConfigError(f"cannot read support config {path}: {reason}") from exc
    return parse_support_config(data, f"support config {path}")


def encode_support_config(cfg: SupportConfig) -> bytes:
    """Compact JSON on one line (the bundle keeps it on a single line). Validates first:
    Struct construction does not enforce field constraints."""
    data = msgspec.json.encode(cfg)
    parse_support_config(data)
    return data
