"""Who may send which clipboard and typing message (server/desktop/clipboard.py)."""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

import msgspec

from guruconnect.protocol import encode
from guruconnect.protocol.clipboard import (
    ClipboardChunk,
    ClipboardError,
    ClipboardFiles,
    ClipboardFormat,
    ClipboardOffer,
    ClipboardRequest,
    CopiedFile,
    TypeCancel,
    TypeProgress,
    TypeText,
)
from guruconnect.protocol.codec import decode_to_worker, decode_viewer_outbound
from guruconnect.server.auth.principal import Principal
from guruconnect.server.auth.roles import Scope
from guruconnect.server.desktop.clipboard import (
    entitled,
    from_worker,
    over_limit_message,
    refusal,
    relay_for,
)
from guruconnect.server.desktop.outbox import Outbox
from guruconnect.server.desktop.session import DesktopSession, Viewer, WorkerLink


def viewer(name: str, *scopes: Scope) -> Viewer:
    principal = Principal(1, name, "x", frozenset(scopes), ("*",), "session")

    async def send(_: bytes) -> None:
        pass

    async def close(_: int, __: str) -> None:
        pass

    return Viewer(principal, Outbox(send), close)


def test_only_the_controller_with_control_scope_may_write_or_type() -> None:
    async def main() -> None:
        session = DesktopSession("m1")
        alice = viewer("alice", Scope.MACHINES_READ, Scope.MACHINES_CONTROL)
        bob = viewer("bob", Scope.MACHINES_READ, Scope.MACHINES_CONTROL)
        eve = viewer("eve", Scope.MACHINES_READ)
        for v in (alice, bob, eve):
            session.add_viewer(v)
        assert session.controller is alice
        digest = hashlib.sha256(b"x").digest()
        offer = ClipboardOffer(transfer=1, formats=[ClipboardFormat("text", 1, digest)])
        typed = TypeText(job=1, text="x")
        assert refusal(session, alice, offer) is None
        assert refusal(session, alice, typed) is None
        assert refusal(session, bob, offer) == "view only: another technician has control"
        assert refusal(session, bob, typed) == "view only: another technician has control"
        assert refusal(session, bob, ClipboardRequest(request=1)) is None
        assert refusal(session, bob, TypeCancel(job=1)) is None
        for message in (offer, typed, ClipboardRequest(request=1)):
            assert refusal(session, eve, message) == "no machines:control scope"
        chunk = ClipboardChunk(transfer=1, index=0, data=b"x")
        assert refusal(session, alice, chunk) == "a clipboard chunk without an accepted offer"
        assert entitled(session) == [alice, bob]

    asyncio.run(main())


def test_over_limit_messages_name_both_sizes() -> None:
    assert over_limit_message(1_200_000, 1_000_000, remote=False) == (
        "Your clipboard holds 1.2 MB: more than this server's clipboard limit of 1.0 MB. "
        "Nothing was transferred."
    )
    assert over_limit_message(500, 100, remote=True).startswith(
        "The remote machine copied 500 bytes"
    )


def test_typing_stops_when_its_technician_loses_control() -> None:
    async def main() -> None:
        session = DesktopSession("m1")
        sent: list[bytes] = []

        async def send(frame: bytes) -> None:
            sent.append(frame)

        async def close(_: int, __: str) -> None:
            pass

        session.attach_worker(WorkerLink(Outbox(send), close))
        alice = viewer("alice", Scope.MACHINES_READ, Scope.MACHINES_CONTROL)
        session.add_viewer(alice)
        relay_for(session).jobs[1] = (alice, 7)
        progress = TypeProgress(job=1, typed=3, total=9)
        state: Any = None  # TypeProgress needs no settings or database
        before = session.worker.outbox.queued  # type: ignore[union-attr]
        await from_worker(state, session, progress, encode(progress))
        assert session.worker.outbox.queued == before  # type: ignore[union-attr]
        session.release_control(alice)
        queued = list(session.worker.outbox._control)  # type: ignore[union-attr]
        await from_worker(state, session, progress, encode(progress))
        cancel = list(session.worker.outbox._control)[len(queued) :]  # type: ignore[union-attr]
        assert [decode_to_worker(f) for f in cancel] == [TypeCancel(job=1)]

    asyncio.run(main())


def test_copied_files_reach_only_those_who_may_fetch_files() -> None:
    async def main() -> None:
        session = DesktopSession("m1")
        alice = viewer("alice", Scope.MACHINES_READ, Scope.MACHINES_CONTROL)
        bob = viewer("bob", Scope.MACHINES_READ, Scope.MACHINES_CONTROL)
        for v in (alice, bob):
            session.add_viewer(v)
        for v in (alice, bob):
            v.outbox._control.clear()  # the session's state messages
        state: Any = None  # nobody here may fetch files: nothing is audited
        files = ClipboardFiles(files=[CopiedFile(path="/srv/secret.txt", size=3)])
        await from_worker(state, session, files, encode(files))
        assert alice.outbox.queued == 0 and bob.outbox.queued == 0  # a copy: silently kept

        # Alice asked ("Get clipboard"): she hears why she gets no list, bob hears nothing.
        relay_for(session).requests[7] = (alice, 3)
        answer = msgspec.structs.replace(files, request=7)
        await from_worker(state, session, answer, encode(answer))
        assert bob.outbox.queued == 0 and alice.outbox.queued == 1
        error = decode_viewer_outbound(alice.outbox._control[0])
        assert isinstance(error, ClipboardError) and error.request == 3
        assert "needs the files permission" in error.message
        assert "/srv/secret.txt" not in error.message

    asyncio.run(main())
