"""Clipboard and paste-as-keystrokes through the relay: who may do what, and where it goes.

    viewer -> worker   ClipboardOffer/Chunk  only the controller, with machines:control;
                                             the item must fit clipboard_max_bytes
                       TypeText/TypeCancel   only the controller (cancel: who started it)
                       ClipboardRequest      any viewer with machines:control
    worker -> viewers  a remote copy         every viewer with machines:control
                       copied files (paths)  the same, and only with machines:files
                       an answer to a request, TypeProgress: only the viewer who asked

A technician's item goes only to the worker, and the worker never reports what it set
as a copy: one technician's clipboard never reaches another. Chunks are forwarded one
by one as they arrive (no whole-item buffering); the server counts them against the
offer and drops a transfer that breaks its own offer. A remote copy is paced by acks to
the worker (clipboard_fanout.py), so the media socket never waits for a viewer. The
audit log gets kind, size and SHA-256 of each item and the *length* of typed text,
never the text.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import msgspec

from guruconnect.protocol import encode
from guruconnect.protocol.clipboard import (
    ClipboardChunk,
    ClipboardError,
    ClipboardFiles,
    ClipboardOffer,
    ClipboardRequest,
    TypeCancel,
    TypeProgress,
    TypeText,
)
from guruconnect.server.audit import chain
from guruconnect.server.auth.roles import Scope
from guruconnect.server.desktop.clipboard_fanout import (
    DRAIN_LIMIT,
    QUEUE_LOW,
    Fanout,
    send,
    stop_worker,
)
from guruconnect.server.desktop.outbox import Outbox
from guruconnect.server.desktop.session import DesktopSession, Viewer
from guruconnect.server.state import AppState

log = logging.getLogger("guruconnect.desktop.clipboard")

FROM_VIEWER = (ClipboardOffer, ClipboardChunk, ClipboardRequest, TypeText, TypeCancel)
FROM_WORKER = (ClipboardOffer, ClipboardChunk, ClipboardFiles, ClipboardError, TypeProgress)
AUDITED_PATHS = 20  # of a copied-files list; the count is always there
# "Get clipboard" makes the worker read and send a whole item: one per viewer at a time.
REQUEST_GAP = 1.0


@dataclass(eq=False)
class _Transfer:
    """A technician's item on its way to the worker."""

    offer: ClipboardOffer
    recipients: list[Viewer]  # the sender
    received: int = 0
    next_index: int = 0


@dataclass(eq=False)
class ClipboardRelay:
    """Per desktop session: transfers in flight, open requests and typing jobs."""

    to_worker: _Transfer | None = None
    from_worker: Fanout | None = None  # the worker sends one item at a time
    requests: dict[int, tuple[Viewer, int]] = field(default_factory=dict)  # ours -> viewer's
    asked_at: dict[str, float] = field(default_factory=dict)  # viewer id -> last request
    jobs: dict[int, tuple[Viewer, int]] = field(default_factory=dict)  # ours -> viewer's
    refused: dict[str, int] = field(default_factory=dict)  # viewer id -> transfer over limit
    # (viewer id, message type) already in the audit log: a refused peer repeating itself
    # is logged each time but audited once, so it cannot flood the audit table.
    audited_refusals: set[tuple[str, str]] = field(default_factory=set)
    counter: int = 0

    def next_id(self) -> int:
        self.counter += 1
        return self.counter


_relays: weakref.WeakKeyDictionary[DesktopSession, ClipboardRelay] = weakref.WeakKeyDictionary()


def relay_for(session: DesktopSession) -> ClipboardRelay:
    relay = _relays.get(session)
    if relay is None:
        relay = _relays[session] = ClipboardRelay()
    return relay


def describe(offer: ClipboardOffer) -> dict[str, Any]:
    return {
        "kinds": [f.kind for f in offer.formats],
        "size": offer.total,
        "sha256": {f.kind: f.sha256.hex() for f in offer.formats},
    }


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB" if size >= 100_000 else f"{size} bytes"


def over_limit_message(size: int, limit: int, remote: bool) -> str:
    what = "The remote machine copied" if remote else "Your clipboard holds"
    return (
        f"{what} {_megabytes(size)}: more than this server's clipboard limit of "
        f"{_megabytes(limit)}. Nothing was transferred."
    )


def _error(viewer: Viewer, message: str, transfer: int = 0, request: int = 0) -> None:
    viewer.outbox.control(
        encode(ClipboardError(transfer=transfer, message=message, request=request))
    )


async def _drain(outbox: Outbox, alive: Callable[[], bool]) -> bool:
    """Wait until ``outbox`` has room; False when it stays full for DRAIN_LIMIT.

    Only a technician's item to the worker waits here, in that technician's own socket
    loop: it holds back nobody else (the media loop and other viewers never wait)."""
    deadline = time.monotonic() + DRAIN_LIMIT
    while outbox.queued > QUEUE_LOW:
        if time.monotonic() > deadline or not alive():
            return False
        await asyncio.sleep(0.01)
    return True


async def audit(
    state: AppState, session: DesktopSession, viewer: Viewer, action: str, details: dict[str, Any]
) -> None:
    async with state.db() as db:
        details = {"session": session.session_id, **details}
        await chain.record(db, viewer.principal, action, f"machine:{session.machine_id}", details)
        await db.commit()


# --- from a viewer -----------------------------------------------------------------------


def refusal(session: DesktopSession, viewer: Viewer, message: msgspec.Struct) -> str | None:
    """Why ``viewer`` may not send ``message``, or None when it may."""
    if not viewer.may_control:
        return "no machines:control scope"
    if isinstance(message, ClipboardRequest | TypeCancel):
        return None
    if isinstance(message, ClipboardChunk):
        transfer = relay_for(session).to_worker
        if transfer is None or transfer.recipients[0] is not viewer:
            return "a clipboard chunk without an accepted offer"
    if session.controller is not viewer:
        return "view only: another technician has control"
    return None


async def from_viewer(
    state: AppState, session: DesktopSession, viewer: Viewer, message: msgspec.Struct
) -> None:
    relay = relay_for(session)
    if isinstance(message, ClipboardChunk) and relay.refused.get(viewer.id) == message.transfer:
        return  # the rest of an item already refused as over the limit: said once
    reason = refusal(session, viewer, message)
    if reason is not None:
        state.metrics.desktop_refused.inc()
        log.warning(
            "refused %s from %s on machine %s: %s",
            type(message).__name__, viewer.principal.username, session.machine_id, reason,
        )  # fmt: skip
        kind = type(message).__name__
        if not isinstance(message, ClipboardChunk):  # chunks follow a refused offer
            if (viewer.id, kind) not in relay.audited_refusals:
                relay.audited_refusals.add((viewer.id, kind))
                await audit(state, session, viewer, "desktop.clipboard_refused",
                            {"message": kind, "reason": reason})  # fmt: skip
            _error(viewer, f"Refused: {reason}.", getattr(message, "transfer", 0),
                   getattr(message, "request", 0))  # fmt: skip
        return
    if isinstance(message, ClipboardOffer):
        await _offer_to_worker(state, session, viewer, relay, message)
    elif isinstance(message, ClipboardChunk):
        await _chunk_to_worker(session, viewer, relay, message)
    elif isinstance(message, ClipboardRequest):
        now = time.monotonic()
        if now - relay.asked_at.get(viewer.id, -REQUEST_GAP) < REQUEST_GAP:
            _error(viewer, "Please wait a moment before asking again.", request=message.request)
            return
        relay.asked_at[viewer.id] = now
        ours = relay.next_id()
        relay.requests[ours] = (viewer, message.request)
        session.to_worker(encode(ClipboardRequest(request=ours)))
    elif isinstance(message, TypeText):
        ours = relay.next_id()
        relay.jobs[ours] = (viewer, message.job)
        chars = len(message.text)
        await audit(state, session, viewer, "desktop.type_text",
                    {"characters": chars, "interval_ms": message.interval_ms})  # fmt: skip
        log.info("%s types %d characters on %s", viewer.principal.username, chars,
                 session.machine_id)  # fmt: skip
        session.to_worker(
            encode(TypeText(job=ours, text=message.text, interval_ms=message.interval_ms))
        )
    elif isinstance(message, TypeCancel):
        for ours, (owner, job) in relay.jobs.items():
            if owner is viewer and job == message.job:
                session.to_worker(encode(TypeCancel(job=ours)))


async def _offer_to_worker(
    state: AppState,
    session: DesktopSession,
    viewer: Viewer,
    relay: ClipboardRelay,
    offer: ClipboardOffer,
) -> None:
    limit = state.settings.clipboard_max_bytes
    if offer.total > limit:
        log.info("clipboard item of %d bytes from %s over the limit", offer.total,
                 viewer.principal.username)  # fmt: skip
        relay.to_worker = None
        relay.refused[viewer.id] = offer.transfer
        _error(viewer, over_limit_message(offer.total, limit, remote=False), offer.transfer)
        return
    relay.refused.pop(viewer.id, None)
    relay.to_worker = _Transfer(offer, [viewer])
    await audit(state, session, viewer, "desktop.clipboard_to_remote", describe(offer))
    session.to_worker(encode(offer))


async def _chunk_to_worker(
    session: DesktopSession, viewer: Viewer, relay: ClipboardRelay, chunk: ClipboardChunk
) -> None:
    transfer = relay.to_worker
    assert transfer is not None
    if (
        chunk.transfer != transfer.offer.transfer
        or chunk.index != transfer.next_index
        or transfer.received + len(chunk.data) > transfer.offer.total
    ):
        relay.to_worker = None
        _error(viewer, "Clipboard transfer broke its offer; it was dropped.", chunk.transfer)
        return
    transfer.received += len(chunk.data)
    transfer.next_index += 1
    if transfer.received == transfer.offer.total:
        relay.to_worker = None
    worker = session.worker
    if worker is None:
        return
    if not await _drain(worker.outbox, lambda: session.worker is worker):
        relay.to_worker = None
        _error(viewer, "The remote machine is not taking the clipboard item.", chunk.transfer)
        return
    worker.outbox.control(encode(chunk))


# --- from the worker -----------------------------------------------------------------------


def entitled(session: DesktopSession) -> list[Viewer]:
    """Viewers who receive what the remote machine copied."""
    return [v for v in session.viewers.values() if v.may_control]


async def from_worker(
    state: AppState, session: DesktopSession, message: msgspec.Struct, raw: bytes
) -> None:
    relay = relay_for(session)
    if isinstance(message, ClipboardOffer):
        await _offer_to_viewers(state, session, relay, message, raw)
    elif isinstance(message, ClipboardChunk):
        _chunk_to_viewers(relay, message, raw)
    elif isinstance(message, ClipboardFiles):
        await _files_to_viewers(state, session, relay, message)
    elif isinstance(message, ClipboardError):
        fanout = relay.from_worker
        if fanout is not None and message.transfer == fanout.transfer:
            # The worker abandoned this item (no acks): its recipients hear why.
            relay.from_worker = None
            fanout.end(message.message)
            return
        asked = relay.requests.pop(message.request, None) if message.request else None
        if asked is None:
            for v in entitled(session):
                send(v, raw)
        elif asked[0].id in session.viewers:
            send(asked[0], encode(msgspec.structs.replace(message, request=asked[1])))
    elif isinstance(message, TypeProgress):
        owner = relay.jobs.get(message.job)
        if owner is None:
            return
        viewer, job = owner
        if message.state != "typing":
            del relay.jobs[message.job]
        elif session.controller is not viewer:
            # Control moved on (released, taken over, or the viewer left): stop typing.
            session.to_worker(encode(TypeCancel(job=message.job)))
        if viewer.id in session.viewers:
            send(viewer, encode(msgspec.structs.replace(message, job=job)))


def worker_left(session: DesktopSession) -> None:
    """The media socket closed: the transfer in flight from it ends."""
    relay = relay_for(session)
    if relay.from_worker is not None:
        relay.from_worker.end("The remote machine left before the clipboard item was complete.")
        relay.from_worker = None


async def _offer_to_viewers(
    state: AppState,
    session: DesktopSession,
    relay: ClipboardRelay,
    offer: ClipboardOffer,
    raw: bytes,
) -> None:
    if offer.request:
        asked = relay.requests.pop(offer.request, None)
        recipients = [asked[0]] if asked is not None and asked[0].id in session.viewers else []
        # The viewer knows its request by its own id, not the one we gave the worker.
        offer = msgspec.structs.replace(offer, request=asked[1] if asked else 0)
        raw = encode(offer)
    else:
        recipients = entitled(session)
    limit = state.settings.clipboard_max_bytes
    if offer.total > limit:
        message = over_limit_message(offer.total, limit, remote=True)
        for viewer in recipients:
            send(viewer, encode(ClipboardError(
                transfer=offer.transfer, message=message, request=offer.request)))  # fmt: skip
        recipients = []
    if relay.from_worker is not None:  # a new copy replaces an unfinished one
        relay.from_worker.end()
        relay.from_worker = None
    if offer.total > 0 and recipients:
        relay.from_worker = Fanout(session, offer, recipients)
    elif offer.total > 0:  # over the limit, or nobody to receive it: send no chunks
        stop_worker(session, offer.transfer)
    for viewer in recipients:
        await audit(state, session, viewer, "desktop.clipboard_from_remote", describe(offer))
        send(viewer, raw)


async def _files_to_viewers(
    state: AppState, session: DesktopSession, relay: ClipboardRelay, files: ClipboardFiles
) -> None:
    """Paths of files copied on the machine, for those who may fetch them (the download
    endpoints check machines:files again, and audit each transfer)."""
    if files.request:
        asked = relay.requests.pop(files.request, None)
        recipients = [asked[0]] if asked is not None and asked[0].id in session.viewers else []
        files = msgspec.structs.replace(files, request=asked[1] if asked else 0)
    else:
        recipients = entitled(session)
    count = len(files.files)
    for viewer in recipients:
        if not viewer.principal.can(Scope.MACHINES_FILES):
            log.info("copied files on %s not offered to %s: no machines:files",
                     session.machine_id, viewer.principal.username)  # fmt: skip
            if files.request:
                message = f"The remote machine copied {count} files or folders; fetching them "
                _error(viewer, message + "needs the files permission.", request=files.request)
            continue
        await audit(state, session, viewer, "desktop.clipboard_files_from_remote", {
            "count": count, "paths": [f.path for f in files.files[:AUDITED_PATHS]],
        })  # fmt: skip
        send(viewer, encode(files))


def _chunk_to_viewers(relay: ClipboardRelay, chunk: ClipboardChunk, raw: bytes) -> None:
    """Queue the chunk for the recipients; never waits (the media loop calls this)."""
    fanout = relay.from_worker
    if fanout is None or fanout.transfer != chunk.transfer:
        return  # over the limit, stopped, or nobody to receive it
    broken = fanout.chunk(chunk, raw)
    if broken is not None:
        log.warning("the worker broke clipboard transfer %d (%s); dropped", chunk.transfer, broken)
        relay.from_worker = None
        fanout.end("The remote machine sent a broken clipboard item; it was dropped.")
        stop_worker(fanout.session, chunk.transfer)
    # Complete: its pacer still acks the last chunk once the recipients have room.
