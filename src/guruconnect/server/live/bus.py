"""The event bus behind live updates, chosen by name.

``local`` serves one server process. A ``redis`` backend (for several nodes) plugs in
behind the same two methods; nothing else in the server knows which one runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterable
from typing import Any, Literal, Protocol

Event = dict[str, Any]
BusName = Literal["local"]

log = logging.getLogger("guruconnect.bus")

MACHINES = "machines"
AUTH = "auth"
SAVED_SEARCHES = "saved_searches"


class Subscription:
    """A bounded queue of events. A subscriber that falls behind is marked overflowed
    rather than slowing the publisher; its owner decides what to do (resync, close)."""

    def __init__(self, channels: frozenset[str], maxsize: int) -> None:
        self.channels = channels
        self.queue: asyncio.Queue[Event] = asyncio.Queue(maxsize)
        self.overflowed = asyncio.Event()

    def offer(self, event: Event) -> None:
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            self.overflowed.set()


class EventBus(Protocol):
    async def publish(self, channel: str, event: Event) -> None: ...

    def subscribe(
        self, channels: Iterable[str], maxsize: int = 1000
    ) -> contextlib.AbstractAsyncContextManager[Subscription]: ...


class LocalBus:
    def __init__(self) -> None:
        self._subs: set[Subscription] = set()

    async def publish(self, channel: str, event: Event) -> None:
        for sub in list(self._subs):
            if channel in sub.channels:
                sub.offer(event)

    @contextlib.asynccontextmanager
    async def subscribe(
        self, channels: Iterable[str], maxsize: int = 1000
    ) -> AsyncIterator[Subscription]:
        sub = Subscription(frozenset(channels), maxsize)
        self._subs.add(sub)
        try:
            yield sub
        finally:
            self._subs.discard(sub)

    @property
    def subscriber_count(self) -> int:
        return len(self._subs)


def make_bus(name: BusName) -> EventBus:
    if name == "local":
        return LocalBus()
    raise ValueError(f"unknown bus backend {name!r}")
