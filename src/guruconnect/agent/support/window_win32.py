"""The consent window on Windows: native Win32 controls through ctypes, because the
embeddable CPython of the Windows runtime has no Tk.

It is window.py's twin: the same ``SupportState`` decides what is shown (who is helping,
the status, Allow/Deny before any screen access, the chat, End session), the same queue
brings the link's events (drained on a 50 ms timer, which also lets Python run signal
handlers while the message loop waits), and the user's actions go to the link through
the same thread-safe ``submit`` / ``end``. Closing the window ends the session.

Controls carry fixed ids (``ID_*``) so that a test, or an accessibility tool, finds them
with ``GetDlgItem``; the window class is ``WINDOW_CLASS``, its title the portal's name.
Allow, Deny and End session are owner-drawn in window.py's colours.
"""

from __future__ import annotations

import sys

assert sys.platform == "win32"  # the rest of the module is Windows code

import ctypes  # noqa: E402
import logging  # noqa: E402
import queue  # noqa: E402
from collections.abc import Callable  # noqa: E402
from ctypes import wintypes  # noqa: E402

from guruconnect.agent.support import _win32api as w  # noqa: E402
from guruconnect.agent.support.state import (  # noqa: E402
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
from guruconnect.protocol.support import ChatSend, Consent  # noqa: E402

log = logging.getLogger("guruconnect.agent.support")

WINDOW_CLASS = "GuruConnectSupport"
POLL_MS = 50
FINAL_LINGER_MS = 5000
TIMER_POLL, TIMER_LINGER = 1, 2
# Control ids. Send is IDOK, so Enter in the message field sends (IsDialogMessage).
ID_SEND = w.IDOK
ID_TECHNICIAN, ID_STATUS, ID_QUESTION, ID_ALLOW, ID_DENY = 101, 102, 103, 104, 105
ID_SHARING, ID_CHAT, ID_ENTRY, ID_END = 106, 107, 108, 109
MIN_SIZE = (440, 460)
MARGIN, GAP = 10, 6


class Win32SupportWindow:
    def __init__(
        self,
        title: str,
        events: queue.Queue[object],
        submit: Callable[[Consent | ChatSend], None],
        end: Callable[[], None],
    ) -> None:
        self.events = events
        self.submit = submit
        self.end = end
        self.state = SupportState()
        self.closing = False  # the user asked to end; close once the link is done
        self.link_done = False
        self.destroyed = False
        self._shown: list[int] = []
        self._end_label = "End session"
        self._proc = w.WNDPROC(self._wndproc)  # must outlive the window
        instance = w.kernel32.GetModuleHandleW(None)
        self._brushes = {
            colour: w.gdi32.CreateSolidBrush(w.colorref(colour))
            for colour in (ALLOW_BG, DENY_BG, END_BG, ENTRY_BG, CHAT_BG)
        }
        self._font = w.gdi32.CreateFontW(
            -14, 0, 0, 0, w.FW_NORMAL, 0, 0, 0, w.DEFAULT_CHARSET, 0, 0, 0, 0, "Segoe UI"
        ) or w.gdi32.GetStockObject(w.DEFAULT_GUI_FONT)
        self._bold = (
            w.gdi32.CreateFontW(
                -16, 0, 0, 0, w.FW_BOLD, 0, 0, 0, w.DEFAULT_CHARSET, 0, 0, 0, 0, "Segoe UI"
            )
            or self._font
        )
        wc = w.WNDCLASSW()
        wc.lpfnWndProc = self._proc
        wc.hInstance = instance
        wc.hCursor = w.user32.LoadCursorW(None, ctypes.c_void_p(w.IDC_ARROW))
        wc.hbrBackground = wintypes.HBRUSH(w.COLOR_BTNFACE + 1)
        wc.lpszClassName = WINDOW_CLASS
        if not w.user32.RegisterClassW(ctypes.byref(wc)):
            raise w.last_error()
        self.hwnd = int(
            w.user32.CreateWindowExW(
                w.WS_EX_CONTROLPARENT,
                WINDOW_CLASS,
                title,
                w.WS_OVERLAPPEDWINDOW,
                w.CW_USEDEFAULT,
                w.CW_USEDEFAULT,
                480,
                560,
                None,
                None,
                instance,
                None,
            )
            or 0
        )
        if not self.hwnd:
            raise w.last_error()
        self._controls: dict[int, int] = {}
        self._build(instance)
        self.render()
        w.user32.ShowWindow(self.hwnd, w.SW_SHOW)
        w.user32.UpdateWindow(self.hwnd)
        w.user32.SetForegroundWindow(self.hwnd)
        w.user32.SetFocus(self._controls[ID_ENTRY])
        w.user32.SetTimer(self.hwnd, TIMER_POLL, POLL_MS, None)

    def _build(self, instance: int) -> None:
        static = w.WS_CHILD | w.WS_VISIBLE | w.SS_LEFT | w.SS_NOPREFIX
        button = w.WS_CHILD | w.WS_VISIBLE | w.WS_TABSTOP
        edit = w.WS_CHILD | w.WS_VISIBLE | w.WS_TABSTOP
        specs = [
            (ID_TECHNICIAN, "STATIC", static, 0),
            (ID_STATUS, "STATIC", static, 0),
            (ID_QUESTION, "STATIC", static, 0),
            (ID_ALLOW, "BUTTON", button | w.BS_OWNERDRAW, 0),
            (ID_DENY, "BUTTON", button | w.BS_OWNERDRAW, 0),
            (ID_SHARING, "STATIC", static, 0),
            (ID_CHAT, "EDIT", edit | w.WS_VSCROLL | w.ES_MULTILINE | w.ES_AUTOVSCROLL
             | w.ES_READONLY, w.WS_EX_CLIENTEDGE),
            (ID_ENTRY, "EDIT", edit | w.ES_AUTOHSCROLL, w.WS_EX_CLIENTEDGE),
            (ID_SEND, "BUTTON", button | w.BS_DEFPUSHBUTTON, 0),
            (ID_END, "BUTTON", button | w.BS_OWNERDRAW, 0),
        ]  # fmt: skip
        labels = {ID_ALLOW: "Allow", ID_DENY: "Deny", ID_SEND: "Send", ID_END: "End session"}
        for control_id, kind, style, ex_style in specs:
            hwnd = w.user32.CreateWindowExW(
                ex_style, kind, labels.get(control_id, ""), style, 0, 0, 10, 10,
                self.hwnd, wintypes.HMENU(control_id), instance, None,
            )  # fmt: skip
            if not hwnd:
                raise w.last_error()
            font = self._bold if control_id in (ID_TECHNICIAN, ID_ALLOW, ID_DENY) else self._font
            w.user32.SendMessageW(hwnd, w.WM_SETFONT, font, 1)
            self._controls[control_id] = int(hwnd)
        w.user32.SendMessageW(self._controls[ID_CHAT], w.EM_SETLIMITTEXT, 0, 0)

    def mainloop(self) -> None:
        msg = wintypes.MSG()
        while w.user32.GetMessageW(ctypes.byref(msg), None, 0, 0) > 0:
            if not w.user32.IsDialogMessageW(self.hwnd, ctypes.byref(msg)):
                w.user32.TranslateMessage(ctypes.byref(msg))
                w.user32.DispatchMessageW(ctypes.byref(msg))

    # --- user actions ----------------------------------------------------------------

    def choose(self, allowed: bool) -> None:
        if not self.state.consent_prompt_visible:
            return
        self.state.choose(allowed)
        self.submit(Consent(allowed=allowed))
        self.render()

    def send(self) -> None:
        entry = self._controls[ID_ENTRY]
        try:
            text = chat_text(w.window_text(entry))
        except ValueError as exc:
            self._set_text(ID_STATUS, str(exc))
            return
        if text is None or self.state.finished:
            return
        self.submit(ChatSend(text=text))
        w.user32.SetWindowTextW(entry, "")

    def request_end(self) -> None:
        """End button, window closed, or a signal: end the session, then close."""
        if self.state.finished or self.link_done:
            self._destroy()
            return
        if self.closing:
            return
        log.info("ending the session")
        self.closing = True
        self._end_label = "Ending the session…"
        w.user32.EnableWindow(self._controls[ID_END], False)
        w.user32.InvalidateRect(self._controls[ID_END], None, True)
        self.end()

    def _destroy(self) -> None:
        if not self.destroyed:
            self.destroyed = True
            w.user32.DestroyWindow(self.hwnd)

    # --- from the link -----------------------------------------------------------------

    def _poll(self) -> None:
        changed, done = drain(self.events, self.state)
        self.link_done |= done
        if changed:
            self.render()
        if not self.link_done:
            return
        w.user32.KillTimer(self.hwnd, TIMER_POLL)
        if self.closing or not self.state.finished:
            self._destroy()
        else:  # the closing message stays a moment
            w.user32.SetTimer(self.hwnd, TIMER_LINGER, FINAL_LINGER_MS, None)

    def render(self) -> None:
        s = self.state
        self._set_text(ID_TECHNICIAN, f"Technician: {s.technician_label}")
        self._set_text(ID_STATUS, s.status)
        prompt = s.consent_prompt_visible
        for control_id in (ID_QUESTION, ID_ALLOW, ID_DENY):
            w.user32.ShowWindow(self._controls[control_id], w.SW_SHOW if prompt else w.SW_HIDE)
        w.user32.ShowWindow(self._controls[ID_SHARING], w.SW_HIDE if prompt else w.SW_SHOW)
        if prompt:
            self._set_text(ID_QUESTION, consent_question(s))
        else:
            self._set_text(ID_SHARING, sharing_text(s))
        self._render_chat()
        if s.finished:
            w.user32.EnableWindow(self._controls[ID_ENTRY], False)
            w.user32.EnableWindow(self._controls[ID_SEND], False)
            w.user32.EnableWindow(self._controls[ID_END], True)
            self._end_label = "Close"
            w.user32.InvalidateRect(self._controls[ID_END], None, True)
        self._layout()

    def _render_chat(self) -> None:
        lines = self.state.chat_lines()
        ids = [line.id for line in lines]
        if ids == self._shown:
            return
        chat = self._controls[ID_CHAT]
        text = "".join(format_line(line) + "\r\n" for line in lines)
        w.user32.SetWindowTextW(chat, text)
        w.user32.SendMessageW(chat, w.EM_SETSEL, len(text), len(text))
        w.user32.SendMessageW(chat, w.EM_SCROLLCARET, 0, 0)
        self._shown = ids

    def _set_text(self, control_id: int, text: str) -> None:
        hwnd = self._controls[control_id]
        if w.window_text(hwnd) != text:
            w.user32.SetWindowTextW(hwnd, text)

    def _layout(self) -> None:
        rect = wintypes.RECT()
        w.user32.GetClientRect(self.hwnd, ctypes.byref(rect))
        width, height = rect.right - MARGIN * 2, rect.bottom
        y = MARGIN

        def place(control_id: int, x: int, h: int, cw: int = width) -> None:
            w.user32.MoveWindow(self._controls[control_id], x, y, cw, h, True)

        place(ID_TECHNICIAN, MARGIN, 44)  # two lines while no technician has taken it
        y += 44 + GAP
        place(ID_STATUS, MARGIN, 36)
        y += 36 + GAP
        if self.state.consent_prompt_visible:
            place(ID_QUESTION, MARGIN, 38)
            y += 38 + GAP
            place(ID_ALLOW, MARGIN, 34, 120)
            place(ID_DENY, MARGIN + 120 + 16, 34, 120)
            y += 34 + GAP
        else:
            place(ID_SHARING, MARGIN, 38)
            y += 38 + GAP
        bottom = height - MARGIN - 34 - GAP - 26 - GAP
        place(ID_CHAT, MARGIN, max(60, bottom - y))
        y = max(y + 60, bottom) + GAP
        place(ID_ENTRY, MARGIN, 26, width - 80)
        place(ID_SEND, MARGIN + width - 72, 26, 72)
        y += 26 + GAP
        place(ID_END, MARGIN, 34)

    # --- the window procedure --------------------------------------------------------

    def _wndproc(self, hwnd: int, msg: int, wparam: int, lparam: int) -> int:
        try:
            result = self._handle(msg, wparam, lparam)
        except Exception:  # an exception must not cross into user32
            log.exception("the window failed handling message %#x", msg)
            result = None
        if result is None:
            return int(w.user32.DefWindowProcW(hwnd, msg, wparam, lparam))
        return result

    def _handle(self, msg: int, wparam: int, lparam: int) -> int | None:
        if msg == w.WM_COMMAND and (wparam >> 16) & 0xFFFF == w.BN_CLICKED:
            control_id = wparam & 0xFFFF
            if control_id == ID_ALLOW:
                self.choose(True)
            elif control_id == ID_DENY:
                self.choose(False)
            elif control_id == ID_SEND:
                self.send()
            elif control_id == ID_END:
                self.request_end()
            return 0
        if msg == w.WM_TIMER:
            if wparam == TIMER_POLL:
                self._poll()
            elif wparam == TIMER_LINGER:
                self._destroy()
            return 0
        if msg == w.WM_DRAWITEM:
            self._draw_button(ctypes.cast(lparam, ctypes.POINTER(w.DRAWITEMSTRUCT)).contents)
            return 1
        if msg in (w.WM_CTLCOLORSTATIC, w.WM_CTLCOLOREDIT):
            colour = {self._controls[ID_CHAT]: CHAT_BG, self._controls[ID_ENTRY]: ENTRY_BG}
            chosen = colour.get(lparam)
            if chosen is None:
                return None
            w.gdi32.SetBkColor(wparam, w.colorref(chosen))
            return int(self._brushes[chosen])
        if msg == w.WM_SIZE:
            self._layout()
            return 0
        if msg == w.WM_GETMINMAXINFO:
            info = ctypes.cast(lparam, ctypes.POINTER(w.MINMAXINFO)).contents
            info.ptMinTrackSize.x, info.ptMinTrackSize.y = MIN_SIZE
            return 0
        if msg == w.WM_CLOSE:
            log.info("window closed: ending the session")
            self.request_end()
            return 0
        if msg == w.WM_DESTROY:
            self.destroyed = True
            for brush in self._brushes.values():
                w.gdi32.DeleteObject(brush)
            w.user32.PostQuitMessage(0)
            return 0
        return None

    def _draw_button(self, item: w.DRAWITEMSTRUCT) -> None:
        colours = {ID_ALLOW: ALLOW_BG, ID_DENY: DENY_BG, ID_END: END_BG}
        labels = {ID_ALLOW: "Allow", ID_DENY: "Deny", ID_END: self._end_label}
        control_id = int(item.CtlID)
        if control_id not in colours:
            return
        rect = item.rcItem
        w.user32.FillRect(item.hDC, ctypes.byref(rect), self._brushes[colours[control_id]])
        w.gdi32.SetBkMode(item.hDC, w.TRANSPARENT)
        disabled = bool(item.itemState & w.ODS_DISABLED)
        w.gdi32.SetTextColor(item.hDC, w.colorref("#c8c8c8" if disabled else "#ffffff"))
        font = self._bold if control_id != ID_END else self._font
        w.gdi32.SelectObject(item.hDC, font)
        w.user32.DrawTextW(
            item.hDC, labels[control_id], -1, ctypes.byref(rect),
            w.DT_CENTER | w.DT_VCENTER | w.DT_SINGLELINE,
        )  # fmt: skip
        if item.itemState & w.ODS_FOCUS:
            w.user32.DrawFocusRect(item.hDC, ctypes.byref(rect))
