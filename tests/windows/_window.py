"""A real Win32 top-level window made with ctypes (embeddable Python has no tkinter).

It records WM_LBUTTONDOWN positions and WM_CHAR code units, and paints its client area
with one solid colour, so input and capture tests can check what reached it."""

from __future__ import annotations

import ctypes
import time
from ctypes import wintypes

user32 = ctypes.WinDLL("user32", use_last_error=True)
gdi32 = ctypes.WinDLL("gdi32", use_last_error=True)
kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)

LRESULT = ctypes.c_ssize_t
WNDPROC = ctypes.WINFUNCTYPE(
    LRESULT, wintypes.HWND, wintypes.UINT, wintypes.WPARAM, wintypes.LPARAM
)
WM_DESTROY, WM_PAINT, WM_CHAR, WM_LBUTTONDOWN, WM_ERASEBKGND = 0x2, 0xF, 0x102, 0x201, 0x14
WS_OVERLAPPEDWINDOW, WS_VISIBLE, WS_EX_TOPMOST = 0x00CF0000, 0x10000000, 0x8
PM_REMOVE, SW_SHOW = 1, 5


class WNDCLASSW(ctypes.Structure):
    _fields_ = [
        ("style", wintypes.UINT),
        ("lpfnWndProc", WNDPROC),
        ("cbClsExtra", ctypes.c_int),
        ("cbWndExtra", ctypes.c_int),
        ("hInstance", wintypes.HINSTANCE),
        ("hIcon", wintypes.HICON),
        ("hCursor", wintypes.HANDLE),
        ("hbrBackground", wintypes.HBRUSH),
        ("lpszMenuName", wintypes.LPCWSTR),
        ("lpszClassName", wintypes.LPCWSTR),
    ]


class PAINTSTRUCT(ctypes.Structure):
    _fields_ = [
        ("hdc", wintypes.HDC),
        ("fErase", wintypes.BOOL),
        ("rcPaint", wintypes.RECT),
        ("fRestore", wintypes.BOOL),
        ("fIncUpdate", wintypes.BOOL),
        ("rgbReserved", ctypes.c_byte * 32),
    ]


user32.DefWindowProcW.argtypes = [wintypes.HWND, wintypes.UINT, wintypes.WPARAM, wintypes.LPARAM]
user32.DefWindowProcW.restype = LRESULT
user32.CreateWindowExW.restype = wintypes.HWND
user32.CreateWindowExW.argtypes = [
    wintypes.DWORD,
    wintypes.LPCWSTR,
    wintypes.LPCWSTR,
    wintypes.DWORD,
    ctypes.c_int,
    ctypes.c_int,
    ctypes.c_int,
    ctypes.c_int,
    wintypes.HWND,
    wintypes.HMENU,
    wintypes.HINSTANCE,
    wintypes.LPVOID,
]
user32.PeekMessageW.argtypes = [
    ctypes.POINTER(wintypes.MSG),
    wintypes.HWND,
    wintypes.UINT,
    wintypes.UINT,
    wintypes.UINT,
]
user32.BeginPaint.restype = wintypes.HDC
user32.BeginPaint.argtypes = [wintypes.HWND, ctypes.POINTER(PAINTSTRUCT)]
user32.EndPaint.argtypes = [wintypes.HWND, ctypes.POINTER(PAINTSTRUCT)]
user32.FillRect.argtypes = [wintypes.HDC, ctypes.POINTER(wintypes.RECT), wintypes.HBRUSH]
user32.ClientToScreen.argtypes = [wintypes.HWND, ctypes.POINTER(wintypes.POINT)]
user32.GetClientRect.argtypes = [wintypes.HWND, ctypes.POINTER(wintypes.RECT)]
user32.SetForegroundWindow.argtypes = [wintypes.HWND]
user32.SetFocus.argtypes = [wintypes.HWND]
user32.DestroyWindow.argtypes = [wintypes.HWND]
user32.ShowWindow.argtypes = [wintypes.HWND, ctypes.c_int]
user32.UpdateWindow.argtypes = [wintypes.HWND]
user32.GetForegroundWindow.restype = wintypes.HWND
gdi32.CreateSolidBrush.restype = wintypes.HBRUSH
gdi32.CreateSolidBrush.argtypes = [wintypes.COLORREF]
gdi32.DeleteObject.argtypes = [wintypes.HGDIOBJ]
kernel32.GetModuleHandleW.restype = wintypes.HMODULE
kernel32.GetModuleHandleW.argtypes = [wintypes.LPCWSTR]

_class_count = 0


class TestWindow:
    """``with TestWindow(colour=(r, g, b)) as w:`` a shown, focused window."""

    def __init__(
        self,
        colour: tuple[int, int, int] = (255, 255, 255),
        x: int = 100,
        y: int = 100,
        width: int = 400,
        height: int = 300,
    ) -> None:
        global _class_count
        _class_count += 1
        self.clicks: list[tuple[int, int]] = []
        self.units: list[int] = []
        r, g, b = colour
        self._brush = gdi32.CreateSolidBrush(r | (g << 8) | (b << 16))
        self._proc = WNDPROC(self._wndproc)  # kept alive as long as the window
        name = f"GuruTestWindow{_class_count}"
        wc = WNDCLASSW()
        wc.lpfnWndProc = self._proc
        wc.hInstance = kernel32.GetModuleHandleW(None)
        wc.lpszClassName = name
        if not user32.RegisterClassW(ctypes.byref(wc)):
            raise ctypes.WinError(ctypes.get_last_error())
        self.hwnd = user32.CreateWindowExW(
            WS_EX_TOPMOST,
            name,
            "GuruConnect test window",
            WS_OVERLAPPEDWINDOW | WS_VISIBLE,
            x,
            y,
            width,
            height,
            None,
            None,
            wc.hInstance,
            None,
        )
        if not self.hwnd:
            raise ctypes.WinError(ctypes.get_last_error())
        user32.ShowWindow(self.hwnd, SW_SHOW)
        user32.UpdateWindow(self.hwnd)
        user32.SetForegroundWindow(self.hwnd)
        user32.SetFocus(self.hwnd)
        self.pump(0.5)

    def _wndproc(self, hwnd: int, msg: int, wparam: int, lparam: int) -> int:
        if msg == WM_LBUTTONDOWN:
            x, y = lparam & 0xFFFF, (lparam >> 16) & 0xFFFF
            self.clicks.append((ctypes.c_int16(x).value, ctypes.c_int16(y).value))
            return 0
        if msg == WM_CHAR:
            self.units.append(wparam & 0xFFFF)
            return 0
        if msg == WM_ERASEBKGND:
            return 1
        if msg == WM_PAINT:
            ps = PAINTSTRUCT()
            hdc = user32.BeginPaint(hwnd, ctypes.byref(ps))
            rect = wintypes.RECT()
            user32.GetClientRect(hwnd, ctypes.byref(rect))
            user32.FillRect(hdc, ctypes.byref(rect), self._brush)
            user32.EndPaint(hwnd, ctypes.byref(ps))
            return 0
        return user32.DefWindowProcW(hwnd, msg, wparam, lparam)

    def text(self) -> str:
        data = b"".join(unit.to_bytes(2, "little") for unit in self.units)
        return data.decode("utf-16-le", errors="replace")

    def client_to_screen(self, x: int, y: int) -> tuple[int, int]:
        point = wintypes.POINT(x, y)
        user32.ClientToScreen(self.hwnd, ctypes.byref(point))
        return point.x, point.y

    def client_size(self) -> tuple[int, int]:
        rect = wintypes.RECT()
        user32.GetClientRect(self.hwnd, ctypes.byref(rect))
        return rect.right - rect.left, rect.bottom - rect.top

    def pump(self, seconds: float, until: object = None) -> None:
        """Dispatch messages for ``seconds``, or until ``until()`` is true."""
        msg = wintypes.MSG()
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            while user32.PeekMessageW(ctypes.byref(msg), None, 0, 0, PM_REMOVE):
                user32.TranslateMessage(ctypes.byref(msg))
                user32.DispatchMessageW(ctypes.byref(msg))
            if callable(until) and until():
                return
            time.sleep(0.01)

    def close(self) -> None:
        user32.DestroyWindow(self.hwnd)
        gdi32.DeleteObject(self._brush)
        self.pump(0.1)

    def __enter__(self) -> TestWindow:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
