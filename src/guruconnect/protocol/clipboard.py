"""Clipboard and paste-as-keystrokes messages, carried on the viewer and media sockets.

A clipboard item is one copy: up to one format of each kind (text, html, png). It
travels as an offer (formats, their sizes and SHA-256) followed by chunks whose data,
concatenated, is the formats' bytes in offer order. The receiver checks sizes and
hashes; the server relays chunks one by one and never holds a whole item. A remote copy
is paced by the server (ClipboardAck): the worker sends at most ACK_WINDOW chunks past
the last one acknowledged, so the server never has to wait for a viewer to read.

    viewer -> server -> worker    ClipboardOffer, ClipboardChunk   (set the remote clipboard)
    worker -> server -> viewers   ClipboardOffer, ClipboardChunk   (the remote machine copied)
    worker -> server -> viewers   ClipboardFiles                   (it copied files: paths only)
    server -> worker              ClipboardAck                     (pacing that copy)
    viewer -> server -> worker    ClipboardRequest                 ("get clipboard")
    server -> viewer              ClipboardError                   (refused, over the limit)
    viewer -> server -> worker    TypeText, TypeCancel             (paste as keystrokes)
    worker -> server -> viewer    TypeProgress
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

ClipboardKind = Literal["text", "html", "png"]
CHUNK_BYTES = 64 * 1024  # well under the viewer socket's 256 KiB frame limit
# Chunks of a remote copy the worker may send past the last ClipboardAck (512 KiB).
ACK_WINDOW = 8
MAX_COPIED_FILES = 500  # paths in one ClipboardFiles; a frame stays far below 256 KiB
MAX_TYPE_CHARS = 20_000  # characters per TypeText; a frame stays far below 256 KiB
TransferId = Annotated[int, Meta(ge=1, le=2**31 - 1)]
Digest = Annotated[bytes, Meta(min_length=32, max_length=32)]
ItemSize = Annotated[int, Meta(ge=0, le=2**40)]


class _Msg(msgspec.Struct, tag_field="type", omit_defaults=True):
    pass


class ClipboardFormat(msgspec.Struct):
    kind: ClipboardKind
    size: ItemSize
    sha256: Digest


class ClipboardOffer(_Msg, tag="clipboard_offer"):
    """A new clipboard item; its chunks follow with the same ``transfer``.

    ``request`` is non-zero when the item answers a ClipboardRequest (the server then
    sends it to the viewer that asked, and to no one else)."""

    transfer: TransferId
    formats: Annotated[list[ClipboardFormat], Meta(min_length=1, max_length=3)]
    request: Annotated[int, Meta(ge=0, le=2**31 - 1)] = 0

    @property
    def total(self) -> int:
        return sum(f.size for f in self.formats)


class ClipboardChunk(_Msg, tag="clipboard_chunk"):
    transfer: TransferId
    index: Annotated[int, Meta(ge=0)]
    data: Annotated[bytes, Meta(max_length=CHUNK_BYTES)]


class ClipboardAck(_Msg, tag="clipboard_ack"):
    """Server -> worker, pacing a remote copy: chunks up to ``index`` are queued for every
    viewer still receiving it and those viewers have room, so the worker may send chunks
    up to ``index + ACK_WINDOW``. ``stop``: nobody receives this transfer any more (the
    viewers left or were too slow, or it is over the limit); send no more of it."""

    transfer: TransferId
    index: Annotated[int, Meta(ge=0)]
    stop: bool = False


class ClipboardRequest(_Msg, tag="clipboard_request"):
    """ "Get clipboard": offer me what the remote clipboard holds now."""

    request: Annotated[int, Meta(ge=1, le=2**31 - 1)]


class ClipboardError(_Msg, tag="clipboard_error"):
    """A clipboard item that was refused or failed; ``message`` is for the user."""

    transfer: Annotated[int, Meta(ge=0)]
    message: Annotated[str, Meta(max_length=300)]
    request: Annotated[int, Meta(ge=0)] = 0


class CopiedFile(msgspec.Struct, omit_defaults=True):
    path: Annotated[str, Meta(min_length=1, max_length=4096)]  # absolute, on the machine
    kind: Literal["file", "dir"] = "file"
    size: ItemSize = 0  # of a file; 0 for a folder


class ClipboardFiles(_Msg, tag="clipboard_files"):
    """Files copied on the remote machine (a file manager's copy). Only their paths
    travel here; the viewer fetches them through the file download endpoints, which
    need machines:files and audit each transfer. ``request`` as in ClipboardOffer."""

    files: Annotated[list[CopiedFile], Meta(min_length=1, max_length=MAX_COPIED_FILES)]
    truncated: bool = False  # more were copied than MAX_COPIED_FILES
    request: Annotated[int, Meta(ge=0, le=2**31 - 1)] = 0


class TypeText(_Msg, tag="type_text"):
    """Type ``text`` on the remote keyboard, one character every ``interval_ms``."""

    job: TransferId
    text: Annotated[str, Meta(min_length=1, max_length=MAX_TYPE_CHARS)]
    interval_ms: Annotated[int, Meta(ge=0, le=1000)] = 20


class TypeCancel(_Msg, tag="type_cancel"):
    job: TransferId


class TypeProgress(_Msg, tag="type_progress"):
    job: TransferId
    typed: Annotated[int, Meta(ge=0)]
    total: Annotated[int, Meta(ge=0)]
    state: Literal["typing", "done", "cancelled", "failed"] = "typing"
    skipped: Annotated[int, Meta(ge=0)] = 0  # characters the remote keyboard could not type


# Unions, registered in protocol/desktop.py.
ClipboardFromViewer = ClipboardOffer | ClipboardChunk | ClipboardRequest | TypeText | TypeCancel
ClipboardToViewer = ClipboardOffer | ClipboardChunk | ClipboardFiles | ClipboardError | TypeProgress
ClipboardFromWorker = (
    ClipboardOffer | ClipboardChunk | ClipboardFiles | ClipboardError | TypeProgress
)
ClipboardToWorker = (
    ClipboardOffer | ClipboardChunk | ClipboardAck | ClipboardRequest | TypeText | TypeCancel
)
