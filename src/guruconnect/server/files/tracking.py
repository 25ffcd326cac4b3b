"""What every HTTP download from a machine does around its bytes: progress to the
technician's open file panels, cancellation from the panel (by the transfer's nonce),
and one audit entry however it ends."""

from __future__ import annotations

import time

from guruconnect.protocol import encode
from guruconnect.protocol.files import DownloadProgress
from guruconnect.server.auth.principal import Principal
from guruconnect.server.files import audit
from guruconnect.server.files.channel import Channel, RunningDownload
from guruconnect.server.state import AppState

PROGRESS_EVERY = 0.25


class DownloadTracker:
    def __init__(
        self,
        state: AppState,
        principal: Principal,
        machine_id: str,
        channel: Channel,
        record: audit.Transfer,
        nonce: str,
    ) -> None:
        self.state = state
        self.principal = principal
        self.machine_id = machine_id
        self.channel = channel
        self.record = record
        self.nonce = nonce
        self.position = record.offset  # bytes of the file (or archive members) sent
        self.digest = ""
        self.cancelled = False
        self._last_told = 0.0
        if nonce:
            running = RunningDownload(principal.user_id, machine_id, nonce, self.cancel)
            state.files.downloads[(principal.user_id, nonce)] = running

    def cancel(self) -> None:
        self.cancelled = True
        self.channel.finish()  # closes the agent socket; the pending read ends

    async def moved(self, count: int) -> None:
        self.position += count
        if time.monotonic() - self._last_told > PROGRESS_EVERY:
            self._last_told = time.monotonic()
            await self.tell()

    async def tell(self, state: str = "running", message: str = "") -> None:
        if self.nonce:
            progress = DownloadProgress(
                transfer=self.nonce, done=self.position, total=self.record.size,
                state=state, sha256=self.digest, message=message,  # type: ignore[arg-type]
            )  # fmt: skip
            await self.state.files.tell(self.principal.user_id, self.machine_id, encode(progress))

    async def ended(self, outcome: audit.Outcome, reason: str) -> None:
        """Release the socket, tell the panels, write the audit entry."""
        self.channel.finish()
        self.state.files.downloads.pop((self.principal.user_id, self.nonce), None)
        try:
            await self.tell(outcome, reason)
        finally:
            await audit.record(
                self.state, self.principal, self.machine_id, self.record, outcome,
                sha256=self.digest, moved=self.position - self.record.offset, reason=reason,
            )  # fmt: skip
