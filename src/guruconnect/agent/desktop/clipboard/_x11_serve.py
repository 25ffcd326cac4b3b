"""Serving the CLIPBOARD we own (ICCCM): TARGETS, the formats of the item, INCR for
large ones. Pure event handling: the owner thread feeds it SelectionRequest and
PropertyNotify events of its connection."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from Xlib import X
from Xlib.protocol import event as xevent

from guruconnect.agent.desktop.clipboard import Item
from guruconnect.agent.desktop.clipboard._x11_read import KIND_TARGETS, Connection

log = logging.getLogger("guruconnect.agent.desktop.clipboard")

INCR_CHUNK = 64 * 1024
# Above this, data goes by INCR: a core request carries at most 256 KiB.
INCR_THRESHOLD = 200 * 1024


@dataclass
class _Incr:
    requestor: Any
    prop: int
    target: int
    data: bytes
    sent: int = 0


class SelectionServer:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.item: Item | None = None
        self._incr: dict[tuple[int, int], _Incr] = {}
        self._target_kind = {
            conn.atom(name): (kind, name) for kind, names in KIND_TARGETS.items() for name in names
        }
        self._targets = conn.atom("TARGETS")
        self._atom = conn.atom("ATOM")
        self._incr_atom = conn.atom("INCR")

    def handle(self, event: Any) -> None:
        if event.type == X.SelectionRequest:
            self._request(event)
        elif event.type == X.SelectionClear:
            self.item = None  # someone on the remote side copied: theirs now
        elif event.type == X.PropertyNotify and event.state == X.PropertyDelete:
            self._next_piece(event)

    def targets(self) -> list[int]:
        item = self.item or {}
        return [self._targets] + [a for a, (kind, _) in self._target_kind.items() if kind in item]

    def _request(self, req: Any) -> None:
        prop = req.property if req.property != X.NONE else req.target  # obsolete clients
        requestor = req.requestor
        ok = True
        try:
            if self.item is None:
                ok = False
            elif req.target == self._targets:
                requestor.change_property(prop, self._atom, 32, self.targets())
            elif req.target in self._target_kind:
                kind, name = self._target_kind[req.target]
                data = self.item.get(kind)
                if data is None:
                    ok = False
                else:
                    if name == "STRING":
                        data = data.decode(errors="replace").encode("latin-1", "replace")
                    self._send_data(requestor, prop, req.target, data)
            else:
                ok = False
        except Exception:  # a requestor that vanished must not end the owner thread
            log.warning("serving the clipboard to window %s failed", requestor, exc_info=True)
            ok = False
        notify = xevent.SelectionNotify(
            time=req.time,
            requestor=requestor,
            selection=req.selection,
            target=req.target,
            property=prop if ok else X.NONE,
        )
        requestor.send_event(notify, event_mask=0)
        self.conn.display.flush()

    def _send_data(self, requestor: Any, prop: int, target: int, data: bytes) -> None:
        if len(data) <= INCR_THRESHOLD:
            requestor.change_property(prop, target, 8, data)
            return
        # INCR: announce the size, then one piece each time the requestor deletes it.
        requestor.change_attributes(event_mask=X.PropertyChangeMask)
        requestor.change_property(prop, self._incr_atom, 32, [len(data)])
        self._incr[(requestor.id, prop)] = _Incr(requestor, prop, target, data)

    def _next_piece(self, event: Any) -> None:
        transfer = self._incr.get((event.window.id, event.atom))
        if transfer is None:
            return
        piece = transfer.data[transfer.sent : transfer.sent + INCR_CHUNK]
        transfer.sent += len(piece)
        try:
            transfer.requestor.change_property(transfer.prop, transfer.target, 8, piece)
        except Exception:
            log.warning("INCR transfer to window %s failed", event.window, exc_info=True)
            del self._incr[(event.window.id, event.atom)]
            return
        if not piece:  # the empty piece ends the transfer
            del self._incr[(event.window.id, event.atom)]
            transfer.requestor.change_attributes(event_mask=X.NoEventMask)
        self.conn.display.flush()
