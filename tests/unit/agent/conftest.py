"""Shared test helpers: a real self-signed server certificate and a real enrollment
endpoint speaking HTTP over TLS (asyncio), so enrollment runs against actual sockets."""

from __future__ import annotations

import asyncio
import datetime
import hashlib
import json
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import pytest_asyncio
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


@dataclass(frozen=True)
class ServerCert:
    cert_file: Path
    key_file: Path
    fingerprint: str  # sha256 hex of the DER certificate

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert_file, self.key_file)
        return context


def make_cert(directory: Path, common_name: str = "localhost") -> ServerCert:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    der = cert.public_bytes(serialization.Encoding.DER)
    return ServerCert(cert_file, key_file, hashlib.sha256(der).hexdigest())


@pytest.fixture(scope="session")
def server_cert(tmp_path_factory: pytest.TempPathFactory) -> ServerCert:
    return make_cert(tmp_path_factory.mktemp("server-cert"))


@pytest.fixture(scope="session")
def other_cert(tmp_path_factory: pytest.TempPathFactory) -> ServerCert:
    return make_cert(tmp_path_factory.mktemp("other-cert"), "impostor")


@dataclass
class EnrollServer:
    """Answers POSTs with a fixed status and JSON body; records every connection's bytes."""

    status: int = 201
    answer: object = field(
        default_factory=lambda: {
            "agent_id": "ag_123",
            "company": "Acme",
            "site": "HQ",
            "name": "pc1",
        }
    )
    received: list[bytes] = field(default_factory=list)
    finished: asyncio.Event = field(default_factory=asyncio.Event)
    port: int = 0

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def request_json(self) -> dict[str, object]:
        body = self.received[-1].split(b"\r\n\r\n", 1)[1]
        parsed = json.loads(body)
        assert isinstance(parsed, dict)
        return parsed

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        data = b""
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            data = head + await reader.readexactly(length)
            body = json.dumps(self.answer).encode()
            writer.write(
                f"HTTP/1.1 {self.status} X\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
                + body
            )
            await writer.drain()
        except asyncio.IncompleteReadError as exc:
            data = exc.partial
        except (ConnectionError, ssl.SSLError):
            pass
        finally:
            self.received.append(data)
            writer.close()
            self.finished.set()


@pytest_asyncio.fixture
async def enroll_server(server_cert: ServerCert) -> AsyncIterator[EnrollServer]:
    endpoint = EnrollServer()
    server = await asyncio.start_server(
        endpoint.handle, "127.0.0.1", 0, ssl=server_cert.server_context()
    )
    endpoint.port = server.sockets[0].getsockname()[1]
    async with server:
        yield endpoint
