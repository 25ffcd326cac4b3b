"""The signed baked config inside a Windows EXE's Authenticode certificate table.

Authenticode's hash covers every byte of the file except the PE checksum, the security
data directory entry and the certificate table itself, so data placed inside the table
does not break the signature. Like ScreenConnect, the server appends the config to the
one ``WIN_CERTIFICATE`` that holds the PKCS#7 signature, after the DER blob (whose own
length says where it ends, so verifiers ignore what follows)::

    WIN_CERTIFICATE  dwLength | wRevision 0x0200 | wCertificateType 0x0002 (PKCS#7)
                     PKCS#7 SignedData (DER)
                     MAGIC | uint32 LE length | the config envelope
                     zero padding to 8 bytes

and fixes ``dwLength``, the security directory's size and the PE checksum. The agent
reads its own EXE with :func:`read_baked` and then verifies the envelope's Ed25519
signature (``protocol/installer.py``); this module only finds bytes and never trusts
them. Both sides share it, so it knows nothing of files beyond a seekable stream.

Windows' optional ``EnableCertPaddingCheck`` (MS13-098) rejects such trailing data;
docs/security.md says what that means for deployment.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import BinaryIO

MAGIC = b"GCBAKED1"
SECURITY_DIRECTORY = 4
WIN_CERT_REVISION_2 = 0x0200
WIN_CERT_TYPE_PKCS_SIGNED_DATA = 0x0002
MAX_BAKED_BYTES = 64 * 1024
MAX_TABLE_BYTES = 1024 * 1024
HEADER_BYTES = 4096


class CertTableError(Exception):
    """The file is not a signed PE with a certificate table this module understands."""


@dataclass(frozen=True)
class PeLayout:
    checksum_offset: int
    security_entry_offset: int  # file offset of the security directory's (address, size)
    table_offset: int  # 0 when the file is not signed
    table_size: int


def parse_headers(head: bytes) -> PeLayout:
    """Locate the checksum and certificate table from the first bytes of a PE file."""
    if len(head) < 64 or head[:2] != b"MZ":
        raise CertTableError("not a Windows executable (no MZ header)")
    (pe_offset,) = struct.unpack_from("<I", head, 0x3C)
    if pe_offset + 24 + 2 > len(head) or head[pe_offset : pe_offset + 4] != b"PE\0\0":
        raise CertTableError("not a Windows executable (no PE header)")
    (optional_size,) = struct.unpack_from("<H", head, pe_offset + 20)
    optional = pe_offset + 24
    (magic,) = struct.unpack_from("<H", head, optional)
    if magic == 0x10B:
        count_at, directories = optional + 92, optional + 96
    elif magic == 0x20B:
        count_at, directories = optional + 108, optional + 112
    else:
        raise CertTableError(f"unknown PE optional header magic {magic:#x}")
    entry = directories + 8 * SECURITY_DIRECTORY
    if entry + 8 > min(len(head), optional + optional_size):
        raise CertTableError("the PE header has no security directory")
    (count,) = struct.unpack_from("<I", head, count_at)
    if count <= SECURITY_DIRECTORY:
        raise CertTableError("the PE header has no security directory")
    table_offset, table_size = struct.unpack_from("<II", head, entry)
    return PeLayout(optional + 64, entry, table_offset, table_size)


def _der_length(blob: bytes) -> int:
    """Total length of the DER SEQUENCE at the start of ``blob``."""
    if len(blob) < 2 or blob[0] != 0x30:
        raise CertTableError("the certificate table does not start with a PKCS#7 SEQUENCE")
    first = blob[1]
    if first < 0x80:
        return 2 + first
    count = first & 0x7F
    if not 1 <= count <= 4 or len(blob) < 2 + count:
        raise CertTableError("the PKCS#7 blob has an invalid DER length")
    total = 2 + count + int.from_bytes(blob[2 : 2 + count], "big")
    if total > len(blob):
        raise CertTableError("the PKCS#7 blob is longer than its certificate entry")
    return total


def _split_table(table: bytes) -> tuple[bytes, bytes | None]:
    """(PKCS#7 DER, baked bytes or None) from a table holding one WIN_CERTIFICATE."""
    if len(table) < 8:
        raise CertTableError("the certificate table is truncated")
    length, revision, kind = struct.unpack_from("<IHH", table, 0)
    if revision != WIN_CERT_REVISION_2 or kind != WIN_CERT_TYPE_PKCS_SIGNED_DATA:
        raise CertTableError("the certificate table does not hold an Authenticode signature")
    if not 8 <= length <= len(table) or len(table) - length >= 8:
        raise CertTableError("the certificate table holds more than one entry or is damaged")
    body = table[8:length]
    pkcs7 = body[: _der_length(body)]
    rest = body[len(pkcs7) :]
    if not rest.strip(b"\0"):
        return pkcs7, None
    if not rest.startswith(MAGIC) or len(rest) < len(MAGIC) + 4:
        raise CertTableError("unknown data after the signature in the certificate table")
    (size,) = struct.unpack_from("<I", rest, len(MAGIC))
    start = len(MAGIC) + 4
    if size > MAX_BAKED_BYTES or start + size > len(rest) or rest[start + size :].strip(b"\0"):
        raise CertTableError("the baked data in the certificate table is damaged")
    return pkcs7, rest[start : start + size]


def read_baked(stream: BinaryIO) -> bytes:
    """The baked bytes of a signed EXE (the agent reading its own installer)."""
    stream.seek(0)
    layout = parse_headers(stream.read(HEADER_BYTES))
    if layout.table_offset == 0 or layout.table_size == 0:
        raise CertTableError("the executable is not signed: it carries no baked config")
    if layout.table_size > MAX_TABLE_BYTES:
        raise CertTableError("the certificate table is implausibly large")
    stream.seek(layout.table_offset)
    table = stream.read(layout.table_size)
    if len(table) != layout.table_size:
        raise CertTableError("the executable is truncated inside its certificate table")
    _, baked = _split_table(table)
    if baked is None:
        raise CertTableError("the executable's signature carries no baked config")
    return baked


def pe_checksum(data: bytes | bytearray, checksum_offset: int) -> int:
    """The PE image checksum (imagehlp's CheckSumMappedFile), the field itself as 0."""
    buffer = bytearray(data) if isinstance(data, bytes) else data
    saved = bytes(buffer[checksum_offset : checksum_offset + 4])
    buffer[checksum_offset : checksum_offset + 4] = b"\0\0\0\0"
    try:
        # Summing 16-bit words with end-around carry is the sum modulo 0xFFFF (with
        # 0xFFFF for a non-zero multiple); 2**16 == 1 (mod 0xFFFF) gives it in one go.
        value = int.from_bytes(buffer, "little")
    finally:
        buffer[checksum_offset : checksum_offset + 4] = saved
    folded = value % 0xFFFF
    if folded == 0 and value:
        folded = 0xFFFF
    return (folded + len(buffer)) & 0xFFFFFFFF


def bake(signed: bytes, baked: bytes) -> bytes:
    """A copy of the signed EXE with ``baked`` in its certificate table (replacing any
    earlier baked data). The Authenticode signature stays valid."""
    if not baked or len(baked) > MAX_BAKED_BYTES:
        raise ValueError(f"baked data must be 1 to {MAX_BAKED_BYTES} bytes")
    layout = parse_headers(signed[:HEADER_BYTES])
    if layout.table_offset == 0 or layout.table_size == 0:
        raise CertTableError("the stub is not signed: sign it before baking a config into it")
    if layout.table_offset + layout.table_size != len(signed):
        raise CertTableError("the certificate table is not at the end of the file")
    pkcs7, _ = _split_table(signed[layout.table_offset :])
    body = pkcs7 + MAGIC + struct.pack("<I", len(baked)) + baked
    body += b"\0" * (-(8 + len(body)) % 8)
    entry = struct.pack("<IHH", 8 + len(body), WIN_CERT_REVISION_2, WIN_CERT_TYPE_PKCS_SIGNED_DATA)
    out = bytearray(signed[: layout.table_offset])
    out += entry + body
    struct.pack_into(
        "<II", out, layout.security_entry_offset, layout.table_offset, len(entry) + len(body)
    )
    struct.pack_into("<I", out, layout.checksum_offset, pe_checksum(out, layout.checksum_offset))
    return bytes(out)
