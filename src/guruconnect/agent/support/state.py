"""What the support window shows, kept apart from Tk so it can be tested on its own.

The link (asyncio thread) reports ``Event``s; ``SupportState.apply`` folds each into the
state; the window (Tk thread) redraws from the state. Chat lines are keyed by the
server's id, so the history replayed after a reconnect never shows a line twice.
"""

from __future__ import annotations

import queue
import time
from dataclasses import dataclass, field
from typing import Literal

from guruconnect.protocol.support import (
    MAX_CHAT_CHARS,
    ChatLine,
    SessionEnded,
    SupportWelcome,
    TechnicianChanged,
)

ConsentState = Literal["pending", "allowed", "denied"]

# Both windows' colours: the buttons must be easy to tell apart at a glance.
ALLOW_BG, DENY_BG, END_BG = "#1e7b34", "#b3261e", "#44474e"
ENTRY_BG, CHAT_BG = "#fffdf0", "#f3f6fb"
# Put on the window's queue by the link thread when it has finished (both windows).
LINK_DONE = object()

END_MESSAGES = {
    "ended_by_technician": "The technician ended the session.",
    "ended_by_guest": "You ended the session.",
    "cancelled": "The technician cancelled this session.",
    "expired": "This support session has expired.",
    "replaced": "This session was opened again from another window.",
    "server_shutdown": "The support server is shutting down.",
}


# --- events from the link ------------------------------------------------------------


@dataclass(frozen=True)
class Connecting:
    attempt: int  # 0 the first time


@dataclass(frozen=True)
class Connected:
    welcome: SupportWelcome


@dataclass(frozen=True)
class Disconnected:
    reason: str
    retry_in: float


@dataclass(frozen=True)
class Failed:
    """The session cannot go on (refused join token, wrong certificate): final."""

    reason: str


@dataclass(frozen=True)
class DesktopActive:
    active: bool  # the technician is (True) or is no longer (False) viewing the screen


Event = (
    Connecting
    | Connected
    | Disconnected
    | Failed
    | DesktopActive
    | ChatLine
    | TechnicianChanged
    | SessionEnded
)


@dataclass
class SupportState:
    technician: str = ""
    session_name: str = ""
    connected: bool = False
    status: str = "Connecting to the support server…"
    consent: ConsentState = "pending"
    desktop_active: bool = False
    chat: dict[int, ChatLine] = field(default_factory=dict)
    finished: bool = False
    final_message: str = ""

    @property
    def consent_prompt_visible(self) -> bool:
        """Allow/Deny is asked once the technician is known to the user and never again."""
        return self.connected and self.consent == "pending" and not self.finished

    @property
    def technician_label(self) -> str:
        return self.technician or "a technician (waiting for one to take the session)"

    def chat_lines(self) -> list[ChatLine]:
        return [self.chat[key] for key in sorted(self.chat)]

    def apply(self, event: Event) -> None:
        if self.finished:  # nothing changes the window after the end
            return
        if isinstance(event, Connecting):
            self.connected = False
            self.status = (
                "Connecting to the support server…"
                if event.attempt == 0
                else "Reconnecting to the support server…"
            )
        elif isinstance(event, Connected):
            welcome = event.welcome
            self.connected = True
            self.technician = welcome.technician
            self.session_name = welcome.session_name
            # The server remembers an earlier answer (reconnect); a local one not yet
            # sent stays until the link delivers it.
            if self.consent == "pending":
                self.consent = welcome.consent
            for line in welcome.history:
                self.chat[line.id] = line
            self.status = "Connected."
        elif isinstance(event, Disconnected):
            self.connected = False
            self.desktop_active = False
            self.status = f"{event.reason}. Reconnecting in {event.retry_in:.0f} s…"
        elif isinstance(event, Failed):
            self._finish(event.reason)
        elif isinstance(event, DesktopActive):
            self.desktop_active = event.active
        elif isinstance(event, ChatLine):
            self.chat[event.id] = event
        elif isinstance(event, TechnicianChanged):
            self.technician = event.technician
        elif isinstance(event, SessionEnded):
            self._finish(event.message or END_MESSAGES.get(event.reason, "The session ended."))

    def choose(self, allowed: bool) -> None:
        """The user answered the consent prompt."""
        if self.consent == "pending" and not self.finished:
            self.consent = "allowed" if allowed else "denied"

    def _finish(self, message: str) -> None:
        self.finished = True
        self.connected = False
        self.desktop_active = False
        self.final_message = message
        self.status = message


def drain(events: queue.Queue[object], state: SupportState) -> tuple[bool, bool]:
    """Fold what the link queued into ``state`` (both windows poll this): whether
    anything changed, and whether the link has finished (LINK_DONE came)."""
    changed = link_done = False
    while True:
        try:
            event = events.get_nowait()
        except queue.Empty:
            return changed, link_done
        changed = True
        if event is LINK_DONE:
            link_done = True
        else:
            state.apply(event)  # type: ignore[arg-type]


def chat_text(raw: str) -> str | None:
    """What the send field holds, ready to send; None when there is nothing to send.

    Raises ValueError for a message the server would refuse (too long)."""
    text = raw.strip()
    if not text:
        return None
    if len(text) > MAX_CHAT_CHARS:
        raise ValueError(
            f"The message is too long ({len(text)} characters; at most {MAX_CHAT_CHARS})."
        )
    return text


def format_line(line: ChatLine) -> str:
    stamp = time.strftime("%H:%M", time.localtime(line.at))
    who = "You" if line.sender == "guest" else (line.author or "Technician")
    return f"[{stamp}] {who}: {line.text}"


def consent_question(s: SupportState) -> str:
    return f"{s.technician or 'The technician'} asks to see and control this screen. Allow it?"


def sharing_text(s: SupportState) -> str:
    if s.consent == "pending":
        return ""
    if s.consent == "denied":
        return "Screen access: denied. The technician cannot see this screen."
    if s.desktop_active:
        return "Screen access: allowed. The technician is viewing this screen now."
    return "Screen access: allowed."
