"""The Win32 calls the consent window makes (ctypes, user32/gdi32/kernel32): constants,
structures and prototypes, declared once with their argument and result types.

Windows only: mypy skips this module on other platforms (the assert below), and the
app imports it only when ``sys.platform == "win32"``.
"""

from __future__ import annotations

import sys

assert sys.platform == "win32"  # the rest of the module is Windows code

import ctypes  # noqa: E402
from ctypes import wintypes  # noqa: E402

user32 = ctypes.WinDLL("user32", use_last_error=True)
gdi32 = ctypes.WinDLL("gdi32", use_last_error=True)
kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)

LRESULT = ctypes.c_ssize_t
WNDPROC = ctypes.WINFUNCTYPE(
    LRESULT, wintypes.HWND, wintypes.UINT, wintypes.WPARAM, wintypes.LPARAM
)

# Messages
WM_DESTROY, WM_SIZE, WM_CLOSE, WM_SETFONT = 0x0002, 0x0005, 0x0010, 0x0030
WM_GETMINMAXINFO, WM_DRAWITEM, WM_COMMAND, WM_TIMER = 0x0024, 0x002B, 0x0111, 0x0113
WM_CTLCOLOREDIT, WM_CTLCOLORSTATIC = 0x0133, 0x0138
EM_SETSEL, EM_SCROLLCARET, EM_SETLIMITTEXT = 0x00B1, 0x00B7, 0x00C5
BN_CLICKED, IDOK = 0, 1
# Styles
WS_OVERLAPPEDWINDOW, WS_VISIBLE, WS_CHILD, WS_TABSTOP = 0x00CF0000, 0x10000000, 0x40000000, 0x10000
WS_VSCROLL, WS_BORDER, WS_EX_CLIENTEDGE, WS_EX_CONTROLPARENT = (
    0x00200000,
    0x00800000,
    0x200,
    0x10000,
)
ES_MULTILINE, ES_AUTOVSCROLL, ES_AUTOHSCROLL, ES_READONLY = 0x4, 0x40, 0x80, 0x800
BS_PUSHBUTTON, BS_DEFPUSHBUTTON, BS_OWNERDRAW = 0x0, 0x1, 0xB
SS_LEFT, SS_NOPREFIX = 0x0, 0x80
# Drawing
ODS_DISABLED, ODS_FOCUS = 0x4, 0x10
DT_CENTER, DT_VCENTER, DT_SINGLELINE = 0x1, 0x4, 0x20
TRANSPARENT, COLOR_BTNFACE, DEFAULT_GUI_FONT = 1, 15, 17
FW_NORMAL, FW_BOLD, DEFAULT_CHARSET = 400, 700, 1
SW_SHOW, SW_HIDE, CW_USEDEFAULT = 5, 0, -0x80000000
IDC_ARROW = 32512


class WNDCLASSW(ctypes.Structure):
    _fields_ = (
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
    )


class DRAWITEMSTRUCT(ctypes.Structure):
    _fields_ = (
        ("CtlType", wintypes.UINT),
        ("CtlID", wintypes.UINT),
        ("itemID", wintypes.UINT),
        ("itemAction", wintypes.UINT),
        ("itemState", wintypes.UINT),
        ("hwndItem", wintypes.HWND),
        ("hDC", wintypes.HDC),
        ("rcItem", wintypes.RECT),
        ("itemData", ctypes.c_size_t),
    )


class MINMAXINFO(ctypes.Structure):
    _fields_ = (
        ("ptReserved", wintypes.POINT),
        ("ptMaxSize", wintypes.POINT),
        ("ptMaxPosition", wintypes.POINT),
        ("ptMinTrackSize", wintypes.POINT),
        ("ptMaxTrackSize", wintypes.POINT),
    )


H, U, W, L = wintypes.HWND, wintypes.UINT, wintypes.WPARAM, wintypes.LPARAM
_PROTOTYPES: dict[str, tuple[object, object, list[object]]] = {
    # name: (dll, restype, argtypes)
    "RegisterClassW": (user32, wintypes.ATOM, [ctypes.POINTER(WNDCLASSW)]),
    "CreateWindowExW": (
        user32,
        H,
        [
            wintypes.DWORD,
            wintypes.LPCWSTR,
            wintypes.LPCWSTR,
            wintypes.DWORD,
            ctypes.c_int,
            ctypes.c_int,
            ctypes.c_int,
            ctypes.c_int,
            H,
            wintypes.HMENU,
            wintypes.HINSTANCE,
            wintypes.LPVOID,
        ],
    ),
    "DefWindowProcW": (user32, LRESULT, [H, U, W, L]),
    "SendMessageW": (user32, LRESULT, [H, U, W, L]),
    "DestroyWindow": (user32, wintypes.BOOL, [H]),
    "ShowWindow": (user32, wintypes.BOOL, [H, ctypes.c_int]),
    "UpdateWindow": (user32, wintypes.BOOL, [H]),
    "MoveWindow": (
        user32,
        wintypes.BOOL,
        [H, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_int, wintypes.BOOL],
    ),
    "EnableWindow": (user32, wintypes.BOOL, [H, wintypes.BOOL]),
    "IsWindowEnabled": (user32, wintypes.BOOL, [H]),
    "SetWindowTextW": (user32, wintypes.BOOL, [H, wintypes.LPCWSTR]),
    "GetWindowTextW": (user32, ctypes.c_int, [H, wintypes.LPWSTR, ctypes.c_int]),
    "GetWindowTextLengthW": (user32, ctypes.c_int, [H]),
    "GetClientRect": (user32, wintypes.BOOL, [H, ctypes.POINTER(wintypes.RECT)]),
    "InvalidateRect": (user32, wintypes.BOOL, [H, ctypes.POINTER(wintypes.RECT), wintypes.BOOL]),
    "GetMessageW": (user32, wintypes.BOOL, [ctypes.POINTER(wintypes.MSG), H, U, U]),
    "IsDialogMessageW": (user32, wintypes.BOOL, [H, ctypes.POINTER(wintypes.MSG)]),
    "TranslateMessage": (user32, wintypes.BOOL, [ctypes.POINTER(wintypes.MSG)]),
    "DispatchMessageW": (user32, LRESULT, [ctypes.POINTER(wintypes.MSG)]),
    "PostQuitMessage": (user32, None, [ctypes.c_int]),
    "SetTimer": (user32, ctypes.c_size_t, [H, ctypes.c_size_t, U, ctypes.c_void_p]),
    "KillTimer": (user32, wintypes.BOOL, [H, ctypes.c_size_t]),
    "SetForegroundWindow": (user32, wintypes.BOOL, [H]),
    "SetFocus": (user32, H, [H]),
    "LoadCursorW": (user32, wintypes.HANDLE, [wintypes.HINSTANCE, ctypes.c_void_p]),
    "FillRect": (
        user32,
        ctypes.c_int,
        [wintypes.HDC, ctypes.POINTER(wintypes.RECT), wintypes.HBRUSH],
    ),
    "DrawTextW": (
        user32,
        ctypes.c_int,
        [wintypes.HDC, wintypes.LPCWSTR, ctypes.c_int, ctypes.POINTER(wintypes.RECT), U],
    ),
    "DrawFocusRect": (user32, wintypes.BOOL, [wintypes.HDC, ctypes.POINTER(wintypes.RECT)]),
    "CreateSolidBrush": (gdi32, wintypes.HBRUSH, [wintypes.COLORREF]),
    "CreateFontW": (
        gdi32,
        wintypes.HFONT,
        [
            ctypes.c_int,
            ctypes.c_int,
            ctypes.c_int,
            ctypes.c_int,
            ctypes.c_int,
            wintypes.DWORD,
            wintypes.DWORD,
            wintypes.DWORD,
            wintypes.DWORD,
            wintypes.DWORD,
            wintypes.DWORD,
            wintypes.DWORD,
            wintypes.DWORD,
            wintypes.LPCWSTR,
        ],
    ),
    "GetStockObject": (gdi32, wintypes.HGDIOBJ, [ctypes.c_int]),
    "DeleteObject": (gdi32, wintypes.BOOL, [wintypes.HGDIOBJ]),
    "SelectObject": (gdi32, wintypes.HGDIOBJ, [wintypes.HDC, wintypes.HGDIOBJ]),
    "SetTextColor": (gdi32, wintypes.COLORREF, [wintypes.HDC, wintypes.COLORREF]),
    "SetBkColor": (gdi32, wintypes.COLORREF, [wintypes.HDC, wintypes.COLORREF]),
    "SetBkMode": (gdi32, ctypes.c_int, [wintypes.HDC, ctypes.c_int]),
    "GetModuleHandleW": (kernel32, wintypes.HMODULE, [wintypes.LPCWSTR]),
}
for _name, (_dll, _restype, _argtypes) in _PROTOTYPES.items():
    _function = getattr(_dll, _name)
    _function.restype = _restype
    _function.argtypes = _argtypes


def colorref(hex_colour: str) -> int:
    """``#rrggbb`` as a COLORREF (0x00bbggrr)."""
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return r | (g << 8) | (b << 16)


def window_text(hwnd: int) -> str:
    length = int(user32.GetWindowTextLengthW(hwnd))
    buffer = ctypes.create_unicode_buffer(length + 1)
    user32.GetWindowTextW(hwnd, buffer, length + 1)
    return buffer.value


def last_error() -> OSError:
    return ctypes.WinError(ctypes.get_last_error())
