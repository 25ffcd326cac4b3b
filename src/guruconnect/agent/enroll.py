"""One-time enrollment: trade a token for an agent id, registering our public key.

The server's certificate is checked (or, on first use, recorded) right after the TLS
handshake and before a single byte of the request, so a wrong server never sees the
enrollment token.
"""

from __future__ import annotations

import http.client
import json
import logging
import socket
from typing import Annotated

import msgspec
from msgspec import Meta

import guruconnect
from guruconnect.agent.config import AgentConfig
from guruconnect.agent.identity import encode_seed, generate_seed, public_key_b64
from guruconnect.agent.tls import check_pin, client_context, fingerprint_of
from guruconnect.agent.urls import ENROLL_PATH, parse_server_url

log = logging.getLogger("guruconnect.agent")

MAX_RESPONSE_BYTES = 64 * 1024


class EnrollError(Exception):
    """Enrollment failed; ``status`` is the HTTP status when the server answered."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class _Enrolled(msgspec.Struct):
    agent_id: Annotated[str, Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
    company: Annotated[str, Meta(max_length=256)]
    site: Annotated[str, Meta(max_length=256)]
    name: Annotated[str, Meta(max_length=256)]


def enroll(
    server_url: str,
    token: str,
    *,
    name: str = "",
    company: str = "",
    site: str = "",
    department: str = "",
    device_type: str = "",
    tag: str = "",
    fingerprint: str | None = None,
    timeout: float = 15.0,
) -> AgentConfig:
    """Enroll with the server. Raises EnrollError, PinMismatch or ValueError (bad URL)."""
    server = parse_server_url(server_url)
    if not server.secure and fingerprint:
        raise EnrollError("--fingerprint needs an https:// server URL: http:// has no certificate")
    seed = generate_seed()
    body = json.dumps(
        {
            "token": token,
            "public_key": public_key_b64(seed),
            "hostname": socket.gethostname(),
            "name": name,
            "company": company,
            "site": site,
            "department": department,
            "device_type": device_type,
            "tag": tag,
            "agent_version": guruconnect.__version__,
        }
    ).encode()

    conn: http.client.HTTPConnection
    if server.secure:
        conn = http.client.HTTPSConnection(
            server.host, server.port, timeout=timeout, context=client_context()
        )
    else:
        log.warning("enrolling over plain http://: only safe behind a TLS-terminating proxy")
        conn = http.client.HTTPConnection(server.host, server.port, timeout=timeout)
    try:
        observed = _connect(conn, server.base_url, fingerprint if server.secure else None)
        status, payload = _post(conn, server.base_url, body)
    finally:
        conn.close()

    enrolled = _parse_answer(status, payload)
    return AgentConfig(
        server_url=server.base_url,
        agent_id=enrolled.agent_id,
        private_key=encode_seed(seed),
        server_fingerprint=observed,
        name=enrolled.name,
        company=enrolled.company,
        site=enrolled.site,
        department=department,
        device_type=device_type,
        tag=tag,
    )


def _connect(conn: http.client.HTTPConnection, url: str, pin: str | None) -> str:
    """Connect and return the server certificate's fingerprint ("" for plain http)."""
    try:
        conn.connect()
    except OSError as exc:
        raise EnrollError(f"cannot connect to {url}: {exc.strerror or exc}") from exc
    if not isinstance(conn, http.client.HTTPSConnection):
        return ""
    if pin:
        return check_pin(conn.sock, pin)
    # Trust on first use: the caller shows this value so the admin can compare it with
    # the one the server displays.
    observed = fingerprint_of(conn.sock)
    if not observed:
        raise EnrollError(f"{url} presented no TLS certificate")
    return observed


def _post(conn: http.client.HTTPConnection, url: str, body: bytes) -> tuple[int, bytes]:
    try:
        conn.request(
            "POST",
            ENROLL_PATH,
            body=body,
            headers={
                "Content-Type": "application/json",
                "Accept": "application/json",
                "User-Agent": f"guruconnect-agent/{guruconnect.__version__}",
            },
        )
        response = conn.getresponse()
        return response.status, response.read(MAX_RESPONSE_BYTES)
    except (OSError, http.client.HTTPException) as exc:
        reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        raise EnrollError(f"enrollment request to {url} failed: {reason}") from exc


def _parse_answer(status: int, payload: bytes) -> _Enrolled:
    if 200 <= status < 300:  # the server answers 201; any 2xx with the right body is fine
        try:
            return msgspec.json.decode(payload, type=_Enrolled)
        except msgspec.MsgspecError as exc:
            message = f"server sent an unexpected enrollment answer: {exc}"
            raise EnrollError(message, status) from exc
    raise EnrollError(f"server refused enrollment (HTTP {status}): {_detail(payload)}", status)


def _detail(payload: bytes) -> str:
    """The server's own explanation when it gave one (FastAPI's ``{"detail": ...}``)."""
    try:
        detail = json.loads(payload).get("detail")
    except (ValueError, AttributeError):
        detail = None
    if isinstance(detail, str) and detail:
        return detail[:500]
    if detail:  # e.g. FastAPI's validation errors: a list of objects
        return json.dumps(detail)[:500]
    text = payload.decode("utf-8", errors="replace").strip()
    return text[:200] or "no explanation given"
