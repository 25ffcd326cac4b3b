"""The worker's clipboard sync and typing, on their own: item framing, hash checks,
and how text becomes keystrokes (the X side is tested in test_clipboard_x11.py and end
to end)."""

from __future__ import annotations

import asyncio

import msgspec
import pytest

from guruconnect.agent.desktop.clipboard import Item
from guruconnect.agent.desktop.clipboard import sync as sync_module
from guruconnect.agent.desktop.clipboard.sync import ClipboardSync, offer_for, split_item
from guruconnect.agent.desktop.typing import keystrokes
from guruconnect.protocol.clipboard import (
    ACK_WINDOW,
    CHUNK_BYTES,
    ClipboardAck,
    ClipboardChunk,
    ClipboardError,
    ClipboardOffer,
    ClipboardRequest,
)


class MemoryClipboard:
    """An in-memory clipboard standing in for the X server (tested for real elsewhere)."""

    def __init__(self) -> None:
        self.item: Item | None = None
        self.remote: Item | None = None

    def set(self, item: Item) -> None:
        self.item = item

    def read(self) -> Item | None:
        return self.remote

    def watch(self, on_copy: object, on_error: object) -> None:
        pass

    def close(self) -> None:
        pass


def test_offer_and_split_round_trip() -> None:
    item: Item = {"png": b"\x89PNG" * 10, "text": "é".encode()}
    offer, body = offer_for(item, 7)
    assert [f.kind for f in offer.formats] == ["text", "png"]  # fixed order
    assert offer.total == len(body) == 42
    assert split_item(offer, body) == item
    with pytest.raises(ValueError, match="SHA-256"):
        split_item(offer, body[:-1] + b"!")


def run_sync(messages: list[msgspec.Struct], board: MemoryClipboard) -> list[msgspec.Struct]:
    sent: list[msgspec.Struct] = []
    syncs: list[ClipboardSync] = []

    async def send(message: msgspec.Struct) -> None:
        sent.append(message)
        if isinstance(message, ClipboardChunk):  # a server whose viewers keep up
            syncs[0].ack(ClipboardAck(transfer=message.transfer, index=message.index))

    async def main() -> None:
        sync = ClipboardSync(board, send)
        syncs.append(sync)
        for m in messages:
            if isinstance(m, ClipboardOffer):
                await sync.offer(m)
            elif isinstance(m, ClipboardChunk):
                await sync.chunk(m)
            elif isinstance(m, ClipboardRequest):
                await sync.request(m)

    asyncio.run(main())
    return sent


def chunks(transfer: int, body: bytes) -> list[msgspec.Struct]:
    return [
        ClipboardChunk(transfer=transfer, index=i, data=body[at : at + CHUNK_BYTES])
        for i, at in enumerate(range(0, len(body), CHUNK_BYTES))
    ]


def test_a_complete_item_is_set_and_a_broken_one_is_not() -> None:
    board = MemoryClipboard()
    item: Item = {"png": bytes(range(256)) * 600}
    offer, body = offer_for(item, 1)
    assert run_sync([offer, *chunks(1, body)], board) == []
    assert board.item == item

    board = MemoryClipboard()
    parts = chunks(1, body)
    sent = run_sync([offer, parts[1], parts[0]], board)  # out of order
    assert board.item is None
    assert isinstance(sent[0], ClipboardError) and "order" in sent[0].message


def test_get_clipboard_answers_the_request_or_says_why_not() -> None:
    board = MemoryClipboard()
    sent = run_sync([ClipboardRequest(request=5)], board)
    assert isinstance(sent[0], ClipboardError) and sent[0].request == 5
    board.remote = {"text": b"remote"}
    sent = run_sync([ClipboardRequest(request=6)], board)
    offer = sent[0]
    assert isinstance(offer, ClipboardOffer) and offer.request == 6
    assert sent[1] == ClipboardChunk(transfer=offer.transfer, index=0, data=b"remote")


def test_text_becomes_keystrokes() -> None:
    strokes = list(keystrokes("aB é😀\t\r\nx\x07"))
    assert strokes == [
        ("", "a"), ("", "B"), ("", " "), ("", "é"), ("", "😀"),
        ("Tab", "Tab"), ("Enter", "Enter"), ("", "x"), None,
    ]  # fmt: skip


def test_a_remote_copy_goes_no_further_than_the_server_acknowledged() -> None:
    board = MemoryClipboard()
    sent: list[msgspec.Struct] = []

    async def send(message: msgspec.Struct) -> None:
        sent.append(message)

    async def settle() -> None:
        for _ in range(20):
            await asyncio.sleep(0)

    def chunks_sent() -> list[int]:
        return [m.index for m in sent if isinstance(m, ClipboardChunk)]

    async def main() -> None:
        sync = ClipboardSync(board, send)
        item: Item = {"text": b"x" * (CHUNK_BYTES * 20)}
        task = asyncio.create_task(sync.send_item(item))
        await settle()
        offer = sent[0]
        assert isinstance(offer, ClipboardOffer)
        assert chunks_sent() == list(range(ACK_WINDOW))  # the window, then it waits
        sync.ack(ClipboardAck(transfer=offer.transfer + 1, index=10))  # not this item
        sync.ack(ClipboardAck(transfer=offer.transfer, index=3))
        await settle()
        assert chunks_sent() == list(range(4 + ACK_WINDOW))
        sync.ack(ClipboardAck(transfer=offer.transfer, index=0, stop=True))
        await asyncio.wait_for(task, 1)
        assert chunks_sent() == list(range(4 + ACK_WINDOW))  # stopped: nothing more
        assert sync.copies_sent == 0

        sent.clear()
        task = asyncio.create_task(sync.send_item(item))
        await settle()
        transfer = sent[0].transfer  # type: ignore[attr-defined]
        for index in range(0, 20, 4):
            sync.ack(ClipboardAck(transfer=transfer, index=index))
            await settle()
        assert chunks_sent() == list(range(20)) and not task.done()  # the last ack is due
        sync.ack(ClipboardAck(transfer=transfer, index=19))
        await asyncio.wait_for(task, 1)
        assert sync.copies_sent == 1

    asyncio.run(main())


def test_a_copy_the_server_stops_acknowledging_is_abandoned(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sync_module, "ACK_TIMEOUT", 0.05)
    board = MemoryClipboard()
    sent: list[msgspec.Struct] = []

    async def send(message: msgspec.Struct) -> None:
        sent.append(message)

    async def main() -> None:
        sync = ClipboardSync(board, send)
        await asyncio.wait_for(sync.send_item({"png": b"p" * (CHUNK_BYTES * 9)}, request=4), 5)

    asyncio.run(main())
    assert [type(m).__name__ for m in sent] == (
        ["ClipboardOffer"] + ["ClipboardChunk"] * ACK_WINDOW + ["ClipboardError"]
    )
    error = sent[-1]
    assert isinstance(error, ClipboardError) and error.request == 4
    assert error.transfer == sent[0].transfer and "abandoned" in error.message  # type: ignore[attr-defined]
