"""What either window (Tk, Win32) shows, without a window: consent prompt, chat history,
reconnects, the end."""

from __future__ import annotations

import queue

import pytest

from guruconnect.agent.support.state import (
    LINK_DONE,
    Connected,
    Connecting,
    DesktopActive,
    Disconnected,
    Failed,
    SupportState,
    chat_text,
    consent_question,
    drain,
    format_line,
    sharing_text,
)
from guruconnect.protocol.support import (
    MAX_CHAT_CHARS,
    ChatLine,
    SessionEnded,
    SupportWelcome,
    TechnicianChanged,
)


def line(n: int, sender: str = "technician", text: str | None = None) -> ChatLine:
    return ChatLine(id=n, sender=sender, author="bob" if sender == "technician" else "alice",  # type: ignore[arg-type]
                    text=text or f"line {n}", at=1_700_000_000.0 + n)  # fmt: skip


def welcome(
    consent: str = "pending", history: list[ChatLine] | None = None, tech: str = "bob"
) -> Connected:
    return Connected(SupportWelcome(version=1, session_id="abcdefgh12", technician=tech,
                                    consent=consent, history=history or []))  # type: ignore[arg-type]  # fmt: skip


def test_consent_prompt_only_once_connected_and_until_answered() -> None:
    s = SupportState()
    assert not s.consent_prompt_visible  # nobody to consent to yet
    s.apply(welcome())
    assert s.consent_prompt_visible
    assert s.technician_label == "bob"
    s.choose(True)
    assert s.consent == "allowed" and not s.consent_prompt_visible
    s.choose(False)  # a second answer is not taken from the prompt
    assert s.consent == "allowed"


def test_reconnect_keeps_consent_and_does_not_duplicate_chat() -> None:
    s = SupportState()
    s.apply(welcome(history=[line(1), line(2, "guest")]))
    s.apply(line(3))
    s.apply(Disconnected("Cannot reach the support server", 2.0))
    assert not s.connected and "Reconnecting in 2 s" in s.status
    s.apply(Connecting(1))
    assert s.status.startswith("Reconnecting")
    # The server replays the history, plus a line written while we were away.
    s.apply(welcome(consent="denied", history=[line(1), line(2, "guest"), line(3), line(4)]))
    assert [c.id for c in s.chat_lines()] == [1, 2, 3, 4]
    assert s.consent == "denied"  # the stored answer; no prompt again
    assert not s.consent_prompt_visible


def test_local_answer_wins_over_a_stale_pending_from_the_server() -> None:
    s = SupportState()
    s.apply(welcome())
    s.choose(False)
    s.apply(Disconnected("lost", 1))
    s.apply(welcome(consent="pending"))  # the Consent had not reached the server yet
    assert s.consent == "denied"


def test_first_come_technician_appears_when_claimed() -> None:
    s = SupportState()
    s.apply(welcome(tech=""))
    assert "waiting" in s.technician_label
    s.apply(TechnicianChanged(technician="carol"))
    assert s.technician_label == "carol"


def test_end_freezes_the_window() -> None:
    s = SupportState()
    s.apply(welcome())
    s.apply(DesktopActive(True))
    s.apply(SessionEnded(reason="ended_by_technician"))
    assert s.finished and not s.desktop_active
    assert s.final_message == "The technician ended the session."
    s.apply(line(9))  # nothing changes after the end
    assert s.chat_lines() == []
    assert not s.consent_prompt_visible
    f = SupportState()
    f.apply(Failed("This support link is not valid any more."))
    assert f.finished and f.status == "This support link is not valid any more."


def test_chat_text_and_format() -> None:
    assert chat_text("   ") is None
    assert chat_text("  hi \n") == "hi"
    with pytest.raises(ValueError, match="too long"):
        chat_text("x" * (MAX_CHAT_CHARS + 1))
    assert format_line(line(1, "guest", "help")).endswith("You: help")
    assert format_line(line(2, "technician", "ok")).endswith("bob: ok")


def test_the_question_and_the_screen_access_line() -> None:
    s = SupportState()
    assert consent_question(s).startswith("The technician asks to see and control")
    s.apply(welcome(tech="bob"))
    assert consent_question(s) == "bob asks to see and control this screen. Allow it?"
    assert sharing_text(s) == ""  # the question is shown instead
    s.choose(True)
    assert sharing_text(s) == "Screen access: allowed."
    s.apply(DesktopActive(True))
    assert "viewing this screen now" in sharing_text(s)
    denied = SupportState()
    denied.apply(welcome())
    denied.choose(False)
    assert sharing_text(denied).startswith("Screen access: denied.")


def test_drain_folds_queued_events_and_notices_the_link_ending() -> None:
    events: queue.Queue[object] = queue.Queue()
    state = SupportState()
    assert drain(events, state) == (False, False)
    events.put(Disconnected("Network lost", 2.0))
    assert drain(events, state) == (True, False)
    assert state.status == "Network lost. Reconnecting in 2 s…"
    events.put(Failed("The join token was refused"))
    events.put(LINK_DONE)
    assert drain(events, state) == (True, True)
    assert state.finished and events.empty()
