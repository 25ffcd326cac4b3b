"""File-transfer messages: browsing, upload and download, shared by agent, server and browser.

Three sockets and one HTTP route carry them (docs/protocol.md, "File transfer"):

    control  /ws/agent          server -> agent    FilesOpen
    files    /ws/files-agent    agent <-> server   FilesHello, then FilesRequest / FilesReply
    browser  /ws/files/ID       browser <-> server FilesRequest (no downloads) / FilesReply,
                                                   DownloadProgress <- CancelDownload
    download GET /api/v1/machines/ID/files/download?path=...   (HTTP, Range)

Each browser socket and each HTTP download gets its own agent files socket, so a
request id is unique per socket and the server relays frames without renumbering.
Data moves in chunks of at most ``CHUNK_BYTES`` with a credit window: a sender never
has more than ``window`` bytes unacknowledged, so no hop buffers a whole file.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from guruconnect.protocol.desktop import SessionId, Token
from guruconnect.protocol.types import Short, Text

CHUNK_BYTES = 1024 * 1024
MAX_WINDOW = 64 * CHUNK_BYTES
DEFAULT_WINDOW = 16 * CHUNK_BYTES
MAX_FILES_FRAME_BYTES = CHUNK_BYTES + 64 * 1024
MAX_ENTRIES = 20_000

ReqId = Annotated[int, Meta(ge=0, le=2**31)]
Offset = Annotated[int, Meta(ge=0, le=2**62)]
RemotePath = Annotated[str, Meta(min_length=1, max_length=4096)]
Sha256 = Annotated[str, Meta(pattern=r"^[0-9a-f]{64}$")]
Window = Annotated[int, Meta(ge=CHUNK_BYTES, le=MAX_WINDOW)]
Nonce = Annotated[str, Meta(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
EntryKind = Literal["file", "dir", "link", "other"]
# ask: answer FileError("exists") so the technician decides; skip never reaches the agent.
Conflict = Literal["ask", "overwrite", "rename"]
ErrorCode = Literal[
    "bad_path",  # refused by the path rules (traversal, outside the roots, NUL, reserved name)
    "not_found",
    "exists",  # conflict="ask" and the target exists: prompt overwrite / rename / skip
    "not_a_file",
    "denied",  # permission denied by the operating system
    "no_space",  # disk full; the .part file is kept for resume
    "too_large",  # file size limit of the agent's process (RLIMIT_FSIZE / quota)
    "hash_mismatch",  # SHA-256 differs at the end; the .part file is removed
    "protocol",  # out-of-order chunk, unknown id, size overrun
    "io",
    "cancelled",
    "forbidden",  # the server refused the request (no machines:files scope)
]


class _Msg(msgspec.Struct, tag_field="type", omit_defaults=True):
    pass


# --- control socket, server -> agent ---------------------------------------------------


class FilesOpen(_Msg, tag="files_open"):
    """Open one files socket to /ws/files-agent with this session and one-time token."""

    session_id: SessionId
    token: Token


# --- files socket: the agent's first frame -------------------------------------------------


class FilesHello(_Msg, tag="files_hello"):
    session_id: SessionId
    token: Token


# --- requests (server -> agent; the browser sends all but the download ones) -------------


class ListRoots(_Msg, tag="list_roots"):
    id: ReqId


class ListDir(_Msg, tag="list_dir"):
    id: ReqId
    path: RemotePath


class Walk(_Msg, tag="walk"):
    """Every file under a folder, for folder download."""

    id: ReqId
    path: RemotePath


class UploadBegin(_Msg, tag="upload_begin"):
    id: ReqId
    path: RemotePath  # the target file
    size: Offset
    conflict: Conflict = "ask"
    mkdirs: bool = False  # create missing parent folders (folder upload)
    source: Literal["panel", "drop", "paste"] = "panel"  # for the audit: paste = clipboard


class UploadChunk(_Msg, tag="upload_chunk"):
    id: ReqId
    offset: Offset
    data: Annotated[bytes, Meta(max_length=CHUNK_BYTES)]


class UploadEnd(_Msg, tag="upload_end"):
    id: ReqId
    sha256: Sha256  # of the whole file, computed by the sender


class DownloadBegin(_Msg, tag="download_begin"):
    id: ReqId
    path: RemotePath
    offset: Offset = 0  # resume: start here (HTTP Range)
    window: Window = DEFAULT_WINDOW


class DownloadAck(_Msg, tag="download_ack"):
    """The receiver has taken everything before ``offset``: more credit for the sender."""

    id: ReqId
    offset: Offset


class Cancel(_Msg, tag="cancel"):
    """Stop a transfer; a cancelled upload's .part file is removed."""

    id: ReqId


FilesRequest = (
    ListRoots | ListDir | Walk | UploadBegin | UploadChunk | UploadEnd | DownloadBegin
    | DownloadAck | Cancel
)  # fmt: skip


class CancelDownload(_Msg, tag="cancel_download"):
    """Browser -> server: stop the HTTP download started with ``transfer=nonce``."""

    transfer: Nonce


BrowserFilesInbound = (
    ListRoots | ListDir | Walk | UploadBegin | UploadChunk | UploadEnd | Cancel | CancelDownload
)


# --- replies (agent -> server -> browser) -------------------------------------------------


class Entry(msgspec.Struct, omit_defaults=True):
    name: Annotated[str, Meta(max_length=1024)]
    kind: EntryKind
    size: Offset = 0
    mtime: float = 0.0  # Unix seconds


class Root(msgspec.Struct, omit_defaults=True):
    path: RemotePath
    label: Short = ""
    total: Offset = 0
    free: Offset = 0


class Roots(_Msg, tag="roots"):
    id: ReqId
    roots: Annotated[list[Root], Meta(max_length=256)]
    separator: Literal["/", "\\"] = "/"


class Listing(_Msg, tag="listing"):
    id: ReqId
    path: RemotePath  # the folder as the agent resolved it
    entries: Annotated[list[Entry], Meta(max_length=MAX_ENTRIES)]
    truncated: bool = False


class WalkFile(msgspec.Struct, omit_defaults=True):
    rel: RemotePath  # relative to the walked folder, "/"-separated
    size: Offset = 0


class WalkResult(_Msg, tag="walk_result"):
    id: ReqId
    path: RemotePath
    files: Annotated[list[WalkFile], Meta(max_length=MAX_ENTRIES)]
    dirs: Annotated[list[RemotePath], Meta(max_length=MAX_ENTRIES)] = []
    truncated: bool = False


class UploadReady(_Msg, tag="upload_ready"):
    id: ReqId
    path: RemotePath  # the final target (differs from the request after conflict="rename")
    offset: Offset = 0  # bytes already in <name>.part from an earlier attempt: resume here


class UploadAck(_Msg, tag="upload_ack"):
    id: ReqId
    offset: Offset  # bytes written so far


class DownloadReady(_Msg, tag="download_ready"):
    id: ReqId
    path: RemotePath
    size: Offset
    mtime: float


class DownloadChunk(_Msg, tag="download_chunk"):
    id: ReqId
    offset: Offset
    data: Annotated[bytes, Meta(max_length=CHUNK_BYTES)]


class TransferDone(_Msg, tag="transfer_done"):
    id: ReqId
    size: Offset
    sha256: Sha256  # of the whole file, checked on upload, reported on download


class FileError(_Msg, tag="file_error"):
    id: ReqId
    code: ErrorCode
    message: Text
    existing: Entry | None = None  # for "exists": what is there now


FilesReply = (
    Roots | Listing | WalkResult | UploadReady | UploadAck | DownloadReady | DownloadChunk
    | TransferDone | FileError
)  # fmt: skip


class DownloadProgress(_Msg, tag="download_progress"):
    """Server -> browser: how an HTTP download it started (``transfer``) is going."""

    transfer: Nonce
    done: Offset
    total: Offset
    state: Literal["running", "completed", "failed", "cancelled"] = "running"
    sha256: str = ""
    message: Text = ""


BrowserFilesOutbound = FilesReply | DownloadProgress
