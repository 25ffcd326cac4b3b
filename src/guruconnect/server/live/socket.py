"""The dashboard WebSocket: batched live changes to machines, counts and saved searches.

At 100,000 machines a full snapshot per connection is too much, so the dashboard pages
the list over REST and this socket only says what changed: changed machines in batches
(latest state per machine wins within a batch), and hints to refetch the sidebar counts
and the saved searches. Authenticated at the handshake by the session cookie, from our
own Origin only; closed with SESSION_REVOKED when the user signs out or changes password.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from typing import Any

from fastapi import APIRouter, WebSocket
from starlette.websockets import WebSocketDisconnect

from guruconnect.protocol import CloseCode
from guruconnect.server.auth.principal import Principal
from guruconnect.server.auth.roles import Scope
from guruconnect.server.auth.websocket import accept_browser, authenticate_browser
from guruconnect.server.live.bus import AUTH, MACHINES, SAVED_SEARCHES, Event, Subscription
from guruconnect.server.state import get_state

log = logging.getLogger("guruconnect.live")
router = APIRouter()
RECHECK_SECONDS = 30.0
BATCH_SECONDS = 0.25  # a burst of thousands of changes arrives as a few frames, not thousands
MAX_BATCH = 2000


def _concerns(principal: Principal, event: Event) -> bool:
    if event.get("type") == "revoked":
        return event.get("user_id") == principal.user_id and event.get("session_id") in (
            None,
            principal.session_id,
        )
    if event.get("type") == "saved_searches_changed":
        return True
    return principal.sees_company(str(event.get("company", "")))


async def _drain_client(ws: WebSocket) -> None:
    """The dashboard sends nothing we act on; reading notices when it goes away."""
    with contextlib.suppress(WebSocketDisconnect):
        while True:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                return


class _Batch:
    def __init__(self) -> None:
        self.machines: dict[str, Any] = {}
        self.saved_searches = False

    def add(self, event: Event) -> None:
        if event["type"] == "machine":
            self.machines[event["machine"]["id"]] = event["machine"]
        elif event["type"] == "saved_searches_changed":
            self.saved_searches = True

    def frames(self) -> list[str]:
        out: list[str] = []
        items = list(self.machines.values())
        for start in range(0, len(items), MAX_BATCH):
            out.append(
                json.dumps({"type": "machines", "machines": items[start : start + MAX_BATCH]})
            )
        if items:
            out.append('{"type":"groups_changed"}')
        if self.saved_searches:
            out.append('{"type":"saved_searches_changed"}')
        self.machines.clear()
        self.saved_searches = False
        return out


async def _next_events(
    sub: Subscription, reader: asyncio.Task[None], within: float
) -> list[Event] | None:
    """Events available within ``within`` seconds (all queued ones); None: client left."""
    getter = asyncio.create_task(sub.queue.get())
    done, _ = await asyncio.wait(
        {getter, reader}, timeout=within, return_when=asyncio.FIRST_COMPLETED
    )
    if getter not in done:
        getter.cancel()
        return None if reader in done else []
    events = [getter.result()]
    while not sub.queue.empty():
        events.append(sub.queue.get_nowait())
    return events


@router.websocket("/ws/dashboard")
async def dashboard_socket(ws: WebSocket) -> None:
    state = get_state(ws)
    principal = await accept_browser(state, ws, Scope.MACHINES_READ)
    if principal is None:
        return
    state.metrics.dashboard_sockets.inc()
    reader = asyncio.create_task(_drain_client(ws))
    try:
        async with state.bus.subscribe([MACHINES, AUTH, SAVED_SEARCHES], maxsize=20000) as sub:
            await ws.send_text('{"type":"hello"}')
            batch = _Batch()
            flush_at: float | None = None
            recheck_at = time.monotonic() + RECHECK_SECONDS
            while True:
                now = time.monotonic()
                wait = min(recheck_at, flush_at or recheck_at) - now
                events = await _next_events(sub, reader, max(0.0, wait))
                if events is None:
                    return
                if sub.overflowed.is_set():
                    # Fell too far behind: the client refetches everything on reconnect.
                    await ws.close(CloseCode.TRY_AGAIN_LATER, "too slow; reconnect")
                    return
                for event in events:
                    if not _concerns(principal, event):
                        continue
                    if event["type"] == "revoked":
                        await ws.close(CloseCode.SESSION_REVOKED, "signed out")
                        return
                    batch.add(event)
                    flush_at = flush_at or time.monotonic() + BATCH_SECONDS
                now = time.monotonic()
                if flush_at is not None and now >= flush_at:
                    for frame in batch.frames():
                        await ws.send_text(frame)
                    flush_at = None
                if now >= recheck_at:
                    # Expiry, and revocations made by another process (the admin CLI),
                    # send no bus event: look at the session again now and then.
                    if await authenticate_browser(state, ws, Scope.MACHINES_READ) is None:
                        await ws.close(CloseCode.SESSION_REVOKED, "session ended")
                        return
                    recheck_at = now + RECHECK_SECONDS
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        reader.cancel()
        state.metrics.dashboard_sockets.dec()
