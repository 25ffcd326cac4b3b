"""The small window the end user sees: who is helping, Allow/Deny, chat, End session.
This one is Tk (Linux); window_win32.py is its Windows twin, driven the same way.

Tk runs in the main thread; the link runs in an asyncio thread. The link's events
arrive on a ``queue.Queue`` that ``_poll`` drains every POLL_MS; the user's actions go
to the link through its thread-safe ``submit`` / ``end``. Everything the window shows
comes from ``SupportState`` (state.py), which is tested without Tk.
"""

from __future__ import annotations

import logging
import queue
import tkinter as tk
from collections.abc import Callable
from tkinter import scrolledtext

from guruconnect.agent.support.state import (
    ALLOW_BG,
    CHAT_BG,
    DENY_BG,
    END_BG,
    ENTRY_BG,
    SupportState,
    chat_text,
    consent_question,
    drain,
    format_line,
    sharing_text,
)
from guruconnect.protocol.support import ChatSend, Consent

log = logging.getLogger("guruconnect.agent.support")

POLL_MS = 50
FINAL_LINGER_MS = 5000  # the closing message stays this long, then the window goes


class SupportWindow:
    def __init__(
        self,
        root: tk.Tk,
        title: str,
        events: queue.Queue[object],
        submit: Callable[[Consent | ChatSend], None],
        end: Callable[[], None],
    ) -> None:
        self.root = root
        self.events = events
        self.submit = submit
        self.end = end
        self.state = SupportState()
        self.closing = False  # the user asked to end; close once the link is done
        self.link_done = False
        self._shown: list[int] = []
        root.title(title)
        root.minsize(420, 420)
        root.protocol("WM_DELETE_WINDOW", self._window_closed)
        self._build()
        self.render()
        root.after(POLL_MS, self._poll)

    def mainloop(self) -> None:
        self.root.mainloop()

    def _build(self) -> None:
        self.technician = tk.Label(self.root, font=("TkDefaultFont", 12, "bold"), anchor="w")
        self.technician.pack(fill="x", padx=10, pady=4)
        self.status = tk.Label(self.root, anchor="w", justify="left", wraplength=400)
        self.status.pack(fill="x", padx=10, pady=4)

        self.consent = tk.Frame(self.root, relief="groove", borderwidth=2)
        self.question = tk.Label(self.consent, wraplength=380, justify="left")
        self.question.pack(fill="x", padx=8, pady=6)
        buttons = tk.Frame(self.consent)
        buttons.pack(pady=(0, 8))
        bold = ("TkDefaultFont", 11, "bold")
        self.allow = tk.Button(
            buttons, text="Allow", bg=ALLOW_BG, activebackground=ALLOW_BG,
            command=lambda: self.choose(True), fg="white", width=10, font=bold,
        )  # fmt: skip
        self.allow.pack(side="left", padx=8)
        self.deny = tk.Button(
            buttons, text="Deny", bg=DENY_BG, activebackground=DENY_BG,
            command=lambda: self.choose(False), fg="white", width=10, font=bold,
        )  # fmt: skip
        self.deny.pack(side="left", padx=8)
        self.sharing = tk.Label(self.root, anchor="w")

        self.chat = scrolledtext.ScrolledText(
            self.root, height=12, wrap="word", state="disabled", bg=CHAT_BG
        )
        self.chat.pack(fill="both", expand=True, padx=10, pady=4)
        row = tk.Frame(self.root)
        row.pack(fill="x", padx=10, pady=4)
        self.entry = tk.Entry(row, bg=ENTRY_BG)
        self.entry.pack(side="left", fill="x", expand=True)
        self.entry.bind("<Return>", lambda _event: self.send())
        self.send_button = tk.Button(row, text="Send", command=self.send)
        self.send_button.pack(side="left", padx=(6, 0))
        self.end_button = tk.Button(
            self.root, text="End session", bg=END_BG, fg="white",
            activebackground=END_BG, command=self.request_end,
        )  # fmt: skip
        self.end_button.pack(fill="x", padx=10, pady=(4, 10))

    # --- user actions ----------------------------------------------------------------

    def choose(self, allowed: bool) -> None:
        if not self.state.consent_prompt_visible:
            return
        self.state.choose(allowed)
        self.submit(Consent(allowed=allowed))
        self.render()

    def send(self) -> None:
        try:
            text = chat_text(self.entry.get())
        except ValueError as exc:
            self.status.configure(text=str(exc))
            return
        if text is None or self.state.finished:
            return
        self.submit(ChatSend(text=text))
        self.entry.delete(0, "end")

    def _window_closed(self) -> None:
        log.info("window closed: ending the session")
        self.request_end()

    def request_end(self) -> None:
        """End button, window closed, or a signal: end the session, then close."""
        if self.state.finished or self.link_done:
            self.root.destroy()
            return
        if self.closing:
            return
        log.info("ending the session")
        self.closing = True
        self.end_button.configure(state="disabled", text="Ending the session…")
        self.end()

    # --- from the link -----------------------------------------------------------------

    def _poll(self) -> None:
        changed, done = drain(self.events, self.state)
        self.link_done |= done
        if changed:
            self.render()
        if self.link_done and (self.closing or not self.state.finished):
            self.root.destroy()
            return
        if self.link_done:
            self.root.after(FINAL_LINGER_MS, self.root.destroy)
            return
        self.root.after(POLL_MS, self._poll)

    def render(self) -> None:
        s = self.state
        self.technician.configure(text=f"Technician: {s.technician_label}")
        self.status.configure(text=s.status)
        if s.consent_prompt_visible:
            self.question.configure(text=consent_question(s))
            self.consent.pack(fill="x", padx=10, pady=4, after=self.status)
            self.sharing.pack_forget()
        else:
            self.consent.pack_forget()
            self.sharing.configure(text=sharing_text(s))
            self.sharing.pack(fill="x", padx=10, pady=4, after=self.status)
        self._render_chat()
        if s.finished:
            self.entry.configure(state="disabled")
            self.send_button.configure(state="disabled")
            self.end_button.configure(state="normal", text="Close")

    def _render_chat(self) -> None:
        lines = self.state.chat_lines()
        ids = [line.id for line in lines]
        if ids == self._shown:
            return
        self.chat.configure(state="normal")
        if ids[: len(self._shown)] == self._shown:
            new = lines[len(self._shown) :]
        else:  # replayed history filled a gap: redraw
            self.chat.delete("1.0", "end")
            new = lines
        for line in new:
            self.chat.insert("end", format_line(line) + "\n")
        self.chat.configure(state="disabled")
        self.chat.see("end")
        self._shown = ids
