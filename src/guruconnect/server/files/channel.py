"""Agent files sockets, one per browser file panel or HTTP download.

    open_channel: FilesOpen(session_id, token) on the agent's control socket
        -> the agent connects /ws/files-agent, FilesHello(session_id, token)
        -> agent_socket checks the token (hmac.compare_digest) and attaches
    the user side (browser relay or download) then reads and writes the agent socket
    directly until it calls ``finish()``; the agent socket's handler then closes it.

Also the registry of running HTTP downloads (by user and the browser's nonce), so the
browser's files socket can show their progress and cancel them.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from fastapi import WebSocket

from guruconnect.protocol import encode
from guruconnect.protocol.files import FilesOpen
from guruconnect.server.agents.presence import Presence

ATTACH_TIMEOUT = 15.0


class AgentUnavailable(Exception):
    """The machine is offline, or its agent did not open the files socket in time."""


@dataclass(eq=False)
class Channel:
    machine_id: str
    session_id: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    token: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    attached: asyncio.Future[WebSocket] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )
    finished: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def ws(self) -> WebSocket:
        return self.attached.result()

    async def send(self, frame: bytes) -> None:
        await self.ws.send_bytes(frame)

    def finish(self) -> None:
        self.finished.set()


Sender = Callable[[bytes], Awaitable[None]]


@dataclass(eq=False)
class RunningDownload:
    user_id: int
    machine_id: str
    nonce: str
    cancel: Callable[[], None]


class FileChannels:
    def __init__(self) -> None:
        self.pending: dict[str, Channel] = {}
        self.downloads: dict[tuple[int, str], RunningDownload] = {}
        # (user_id, machine_id) -> the senders of that user's open file panels
        self.watchers: dict[tuple[int, str], set[Sender]] = {}

    def take(self, session_id: str) -> Channel | None:
        return self.pending.pop(session_id, None)

    async def open(self, presence: Presence, machine_id: str) -> Channel:
        link = presence.get(machine_id)
        if link is None:
            raise AgentUnavailable("the machine is offline")
        channel = Channel(machine_id)
        self.pending[channel.session_id] = channel
        try:
            await link.connection.send(
                encode(FilesOpen(session_id=channel.session_id, token=channel.token))
            )
            async with asyncio.timeout(ATTACH_TIMEOUT):
                await asyncio.shield(channel.attached)
        except (TimeoutError, OSError, RuntimeError) as exc:
            raise AgentUnavailable("the agent did not open its files connection") from exc
        finally:
            self.pending.pop(channel.session_id, None)
        return channel

    def watch(self, user_id: int, machine_id: str, sender: Sender) -> None:
        self.watchers.setdefault((user_id, machine_id), set()).add(sender)

    def unwatch(self, user_id: int, machine_id: str, sender: Sender) -> None:
        senders = self.watchers.get((user_id, machine_id))
        if senders is not None:
            senders.discard(sender)
            if not senders:
                del self.watchers[(user_id, machine_id)]

    async def tell(self, user_id: int, machine_id: str, frame: bytes) -> None:
        for sender in list(self.watchers.get((user_id, machine_id), ())):
            try:
                await sender(frame)
            except Exception:
                self.unwatch(user_id, machine_id, sender)
