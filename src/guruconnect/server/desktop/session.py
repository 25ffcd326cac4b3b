"""One remote-desktop session per machine: its worker, its viewers, and who controls.

Lifecycle (an illegal transition raises):

    WAITING_WORKER --attach_worker--> STREAMING --last viewer leaves / worker gone--> ENDED
          \\----------------- last viewer leaves ----------------------------------> ENDED
"""

from __future__ import annotations

import enum
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from guruconnect.protocol import encode
from guruconnect.protocol.desktop import (
    KeyframeRequest,
    Monitor,
    Monitors,
    ReleaseAll,
    StreamSettings,
    ViewerState,
)
from guruconnect.server.auth.principal import Principal
from guruconnect.server.auth.roles import Scope
from guruconnect.server.desktop.outbox import MediaFrame, Outbox

log = logging.getLogger("guruconnect.desktop")

# Keyframe requests cost the agent a big frame; one every half second is plenty.
KEYFRAME_REQUEST_INTERVAL = 0.5


class SessionState(enum.Enum):
    WAITING_WORKER = "waiting_worker"
    STREAMING = "streaming"
    ENDED = "ended"


class IllegalTransition(RuntimeError):
    pass


Closer = Callable[[int, str], Awaitable[None]]


@dataclass(eq=False)
class WorkerLink:
    """The media socket of the agent's desktop worker, as the session sees it."""

    outbox: Outbox
    close: Closer


@dataclass(eq=False)
class Viewer:
    principal: Principal
    outbox: Outbox
    close: Closer
    id: str = field(default_factory=lambda: secrets.token_hex(8))

    @property
    def may_control(self) -> bool:
        return self.principal.can(Scope.MACHINES_CONTROL)


class DesktopSession:
    def __init__(self, machine_id: str) -> None:
        self.machine_id = machine_id
        self.session_id = secrets.token_urlsafe(16)
        self.token = secrets.token_bytes(32)
        self.state = SessionState.WAITING_WORKER
        self.worker: WorkerLink | None = None
        self.viewers: dict[str, Viewer] = {}
        self.controller: Viewer | None = None
        self.monitors: list[Monitor] = []
        self.monitors_frame: bytes | None = None
        self.settings = StreamSettings()
        self._last_keyframe_request = 0.0
        self.started_at = time.time()

    # --- state machine ------------------------------------------------------------

    def _move(self, to: SessionState) -> None:
        allowed = {
            SessionState.WAITING_WORKER: {SessionState.STREAMING, SessionState.ENDED},
            SessionState.STREAMING: {SessionState.ENDED},
            SessionState.ENDED: set(),
        }
        if to not in allowed[self.state]:
            raise IllegalTransition(f"{self.state.value} -> {to.value}")
        self.state = to

    def attach_worker(self, worker: WorkerLink) -> None:
        self._move(SessionState.STREAMING)
        self.worker = worker
        worker.outbox.control(encode(self.settings))
        self.broadcast_state()

    def end(self) -> None:
        if self.state is not SessionState.ENDED:
            self._move(SessionState.ENDED)

    # --- viewers ------------------------------------------------------------------

    def add_viewer(self, viewer: Viewer) -> None:
        if self.state is SessionState.ENDED:
            raise IllegalTransition("session has ended")
        self.viewers[viewer.id] = viewer
        # First come controls; anyone joining a controlled session watches until
        # control is released (or handed over by releasing).
        if self.controller is None and viewer.may_control:
            self.controller = viewer
        if self.monitors_frame is not None:
            viewer.outbox.control(self.monitors_frame)
        self.broadcast_state()
        self.request_keyframe(force=True)

    def remove_viewer(self, viewer: Viewer) -> None:
        self.viewers.pop(viewer.id, None)
        if self.controller is viewer:
            self.controller = None
            self.to_worker(encode(ReleaseAll()))
        self.broadcast_state()

    def take_control(self, viewer: Viewer) -> bool:
        if not viewer.may_control or self.controller not in (None, viewer):
            return False
        self.controller = viewer
        self.broadcast_state()
        return True

    def release_control(self, viewer: Viewer) -> None:
        if self.controller is viewer:
            self.controller = None
            self.to_worker(encode(ReleaseAll()))
            self.broadcast_state()

    def broadcast_state(self) -> None:
        for viewer in self.viewers.values():
            state = ViewerState(
                role="controller" if viewer is self.controller else "observer",
                viewers=len(self.viewers),
                controller=self.controller.principal.username if self.controller else "",
                agent_connected=self.worker is not None,
            )
            viewer.outbox.control(encode(state))

    # --- media and input ------------------------------------------------------------

    def set_monitors(self, message: Monitors, raw: bytes) -> None:
        self.monitors = list(message.monitors)
        self.monitors_frame = raw
        for viewer in self.viewers.values():
            viewer.outbox.control(raw)

    def relay_frame(self, raw: bytes, keyframe: bool) -> None:
        """Fan a frame out unchanged. No viewer's pace affects another's."""
        wants_keyframe = False
        for viewer in self.viewers.values():
            wants_keyframe |= viewer.outbox.media(MediaFrame(raw, keyframe))
        if wants_keyframe:
            self.request_keyframe()

    def request_keyframe(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self._last_keyframe_request >= KEYFRAME_REQUEST_INTERVAL:
            self._last_keyframe_request = now
            self.to_worker(encode(KeyframeRequest()))

    def apply_settings(self, settings: StreamSettings) -> None:
        self.settings = settings
        self.to_worker(encode(settings))

    def to_worker(self, frame: bytes) -> None:
        if self.worker is not None:
            self.worker.outbox.control(frame)


class DesktopSessions:
    """Sessions by machine, on this server process."""

    def __init__(self) -> None:
        self._by_machine: dict[str, DesktopSession] = {}

    def get_or_create(self, machine_id: str) -> tuple[DesktopSession, bool]:
        session = self._by_machine.get(machine_id)
        if session is not None and session.state is not SessionState.ENDED:
            return session, False
        session = DesktopSession(machine_id)
        self._by_machine[machine_id] = session
        return session, True

    def get(self, machine_id: str) -> DesktopSession | None:
        return self._by_machine.get(machine_id)

    def by_session_id(self, session_id: str) -> DesktopSession | None:
        for session in self._by_machine.values():
            if session.session_id == session_id:
                return session
        return None

    def machine_ids(self) -> set[str]:
        return {m for m, s in self._by_machine.items() if s.viewers}

    def viewer_count(self, machine_id: str) -> int:
        session = self._by_machine.get(machine_id)
        return len(session.viewers) if session is not None else 0

    def discard(self, session: DesktopSession) -> None:
        session.end()
        if self._by_machine.get(session.machine_id) is session:
            del self._by_machine[session.machine_id]

    def __len__(self) -> int:
        return len(self._by_machine)
