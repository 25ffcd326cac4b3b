"""The end user's hands and eyes on the one-time agent's Win32 window, run as its own
process under Wine (python.exe support_window_driver.py COMMAND ...), one command a run:

    wait                      until the consent window is shown; prints its title
    visible ID                prints 1 or 0: is that control shown
    click ID                  a real left click (SendInput) in the middle of that control
    text ID                   prints the control's text (JSON string)
    type ID TEXT              click into that control, type TEXT (SendInput, Unicode), Enter
    close                     Alt+F4 on the window (SendInput), as a person closes it
    gone                      until no consent window exists any more

The controls are found the way an accessibility tool finds them: the window by its
class, each control by its id (GetDlgItem). The clicks and keys go through the system's
input queue, so they reach the window exactly as a person's would. Not collected by
pytest (no test_ prefix); tests/integration/test_windows_support_agent.py runs it.
"""

from __future__ import annotations

import ctypes
import json
import sys
import time
from ctypes import wintypes

from guruconnect.agent.support.window_win32 import WINDOW_CLASS

user32 = ctypes.WinDLL("user32", use_last_error=True)
user32.FindWindowW.restype = wintypes.HWND
user32.FindWindowW.argtypes = [wintypes.LPCWSTR, wintypes.LPCWSTR]
user32.GetDlgItem.restype = wintypes.HWND
user32.GetDlgItem.argtypes = [wintypes.HWND, ctypes.c_int]
user32.IsWindowVisible.argtypes = [wintypes.HWND]
user32.GetWindowRect.argtypes = [wintypes.HWND, ctypes.POINTER(wintypes.RECT)]
user32.SetForegroundWindow.argtypes = [wintypes.HWND]
user32.SendMessageW.restype = ctypes.c_ssize_t
user32.SendMessageW.argtypes = [wintypes.HWND, wintypes.UINT, wintypes.WPARAM, ctypes.c_void_p]
user32.GetSystemMetrics.argtypes = [ctypes.c_int]

INPUT_MOUSE, INPUT_KEYBOARD = 0, 1
MOVE, ABSOLUTE, LEFTDOWN, LEFTUP = 0x1, 0x8000, 0x2, 0x4
KEYUP, UNICODE = 0x2, 0x4
VK_RETURN, VK_MENU, VK_F4 = 0x0D, 0x12, 0x73
WM_GETTEXT, WM_GETTEXTLENGTH = 0x000D, 0x000E
TIMEOUT = 120.0


class MOUSEINPUT(ctypes.Structure):
    _fields_ = (
        ("dx", wintypes.LONG), ("dy", wintypes.LONG), ("mouseData", wintypes.DWORD),
        ("dwFlags", wintypes.DWORD), ("time", wintypes.DWORD), ("dwExtraInfo", ctypes.c_size_t),
    )  # fmt: skip


class KEYBDINPUT(ctypes.Structure):
    _fields_ = (
        ("wVk", wintypes.WORD), ("wScan", wintypes.WORD), ("dwFlags", wintypes.DWORD),
        ("time", wintypes.DWORD), ("dwExtraInfo", ctypes.c_size_t),
    )  # fmt: skip


class _U(ctypes.Union):
    _fields_ = (("mi", MOUSEINPUT), ("ki", KEYBDINPUT))


class INPUT(ctypes.Structure):
    _fields_ = (("type", wintypes.DWORD), ("u", _U))


def send(*inputs: INPUT) -> None:
    array = (INPUT * len(inputs))(*inputs)
    if user32.SendInput(len(inputs), array, ctypes.sizeof(INPUT)) != len(inputs):
        raise ctypes.WinError(ctypes.get_last_error())
    time.sleep(0.1)


def mouse(flags: int, x: int = 0, y: int = 0) -> INPUT:
    return INPUT(type=INPUT_MOUSE, u=_U(mi=MOUSEINPUT(dx=x, dy=y, dwFlags=flags)))


def key(vk: int = 0, scan: int = 0, flags: int = 0) -> INPUT:
    return INPUT(type=INPUT_KEYBOARD, u=_U(ki=KEYBDINPUT(wVk=vk, wScan=scan, dwFlags=flags)))


def window() -> int:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        hwnd = user32.FindWindowW(WINDOW_CLASS, None)
        if hwnd and user32.IsWindowVisible(hwnd):
            return int(hwnd)
        time.sleep(0.2)
    raise SystemExit("no consent window appeared")


def control(control_id: int) -> int:
    hwnd = user32.GetDlgItem(window(), control_id)
    if not hwnd:
        raise SystemExit(f"the window has no control {control_id}")
    return int(hwnd)


def text_of(hwnd: int) -> str:
    """WM_GETTEXT, which the system carries across processes (GetWindowText does not
    ask a control of another process: it returns its caption, "" for an EDIT)."""
    length = user32.SendMessageW(hwnd, WM_GETTEXTLENGTH, 0, None)
    buffer = ctypes.create_unicode_buffer(length + 1)
    user32.SendMessageW(hwnd, WM_GETTEXT, length + 1, ctypes.cast(buffer, ctypes.c_void_p))
    return buffer.value


def click(hwnd: int) -> None:
    user32.SetForegroundWindow(window())
    time.sleep(0.2)
    rect = wintypes.RECT()
    user32.GetWindowRect(hwnd, ctypes.byref(rect))
    x, y = (rect.left + rect.right) // 2, (rect.top + rect.bottom) // 2
    width, height = user32.GetSystemMetrics(0), user32.GetSystemMetrics(1)  # primary screen
    ax, ay = x * 65535 // (width - 1), y * 65535 // (height - 1)
    send(mouse(MOVE | ABSOLUTE, ax, ay))
    send(mouse(LEFTDOWN | ABSOLUTE, ax, ay))
    send(mouse(LEFTUP | ABSOLUTE, ax, ay))


def type_text(hwnd: int, text: str) -> None:
    click(hwnd)
    for unit in text.encode("utf-16-le").hex(" ", 2).split():
        code = int.from_bytes(bytes.fromhex(unit), "little")
        send(key(scan=code, flags=UNICODE), key(scan=code, flags=UNICODE | KEYUP))
    send(key(vk=VK_RETURN), key(vk=VK_RETURN, flags=KEYUP))


def main(args: list[str]) -> None:
    command = args[0]
    if command == "wait":
        print(json.dumps(text_of(window())))
    elif command == "visible":
        print(1 if user32.IsWindowVisible(control(int(args[1]))) else 0)
    elif command == "click":
        click(control(int(args[1])))
    elif command == "text":
        print(json.dumps(text_of(control(int(args[1])))))
    elif command == "type":
        type_text(control(int(args[1])), args[2])
    elif command == "close":
        click(control(1))  # the window in front, focus inside it (Send does nothing empty)
        send(key(vk=VK_MENU), key(vk=VK_F4))
        send(key(vk=VK_F4, flags=KEYUP), key(vk=VK_MENU, flags=KEYUP))
    elif command == "gone":
        deadline = time.monotonic() + TIMEOUT
        while user32.FindWindowW(WINDOW_CLASS, None):
            if time.monotonic() > deadline:
                raise SystemExit("the consent window is still there")
            time.sleep(0.2)
    else:
        raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
