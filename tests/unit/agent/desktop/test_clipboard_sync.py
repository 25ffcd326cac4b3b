"""The worker's clipboard sync and typing, on their own: item framing, hash checks,
and how text becomes keystrokes (the X side is tested in test_clipboard_x11.py and end
to end)."""

from __future__ import annotations

import asyncio

import msgspec
import pytest

from guruconnect.agent.desktop.clipboard import Item
from guruconnect.agent.desktop.clipboard.sync import ClipboardSync, offer_for, split_item
from guruconnect.agent.desktop.typing import keystrokes
from guruconnect.protocol.clipboard import (
    CHUNK_BYTES,
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

    async def send(message: msgspec.Struct) -> None:
        sent.append(message)

    async def main() -> None:
        sync = ClipboardSync(board, send)
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
