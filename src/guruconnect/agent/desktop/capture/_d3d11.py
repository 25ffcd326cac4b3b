"""The few D3D11 and DXGI COM calls Desktop Duplication needs, through ctypes vtables.

No comtypes: a COM pointer is an address whose first word points at its vtable, and a
method is the function at a fixed index there, called with the pointer as first
argument. The indices below were taken from the SDK headers (d3d11.h, dxgi.h,
dxgi1_2.h: the C ``...Vtbl`` structs), counting inherited methods first:

    IUnknown                0 QueryInterface, 1 AddRef, 2 Release
    IDXGIObject             3-6 (private data, GetParent)
    IDXGIDevice             7 GetAdapter
    IDXGIAdapter            7 EnumOutputs
    IDXGIOutput             7 GetDesc            IDXGIOutput1   22 DuplicateOutput
    IDXGIOutputDuplication  7 GetDesc, 8 AcquireNextFrame, 14 ReleaseFrame
    ID3D11Device            5 CreateTexture2D
    ID3D11DeviceContext     14 Map, 15 Unmap, 47 CopyResource
    ID3D11Texture2D         10 GetDesc

Every ``ComPtr`` owns one reference and must be released exactly once.
Windows only: ``WINFUNCTYPE`` and ``WinDLL`` exist only there (the module imports
elsewhere so that its structures can be type-checked, but nothing here can be called).
"""

from __future__ import annotations

import ctypes
import sys
import uuid
from collections.abc import Sequence
from ctypes import wintypes
from typing import Any

# -- HRESULTs (as unsigned 32-bit values) --------------------------------------------
S_OK = 0
E_NOTIMPL = 0x80004001
E_NOINTERFACE = 0x80004002
DXGI_ERROR_NOT_FOUND = 0x887A0002
DXGI_ERROR_DEVICE_REMOVED = 0x887A0005
DXGI_ERROR_DEVICE_RESET = 0x887A0007
DXGI_ERROR_ACCESS_LOST = 0x887A0026
DXGI_ERROR_WAIT_TIMEOUT = 0x887A0027
HRESULT_NAMES = {
    0x80004001: "E_NOTIMPL",
    0x80004002: "E_NOINTERFACE",
    0x80004005: "E_FAIL",
    0x80070005: "E_ACCESSDENIED",
    0x8007000E: "E_OUTOFMEMORY",
    0x80070057: "E_INVALIDARG",
    0x887A0001: "DXGI_ERROR_INVALID_CALL",
    0x887A0002: "DXGI_ERROR_NOT_FOUND",
    0x887A0004: "DXGI_ERROR_UNSUPPORTED",
    0x887A0005: "DXGI_ERROR_DEVICE_REMOVED",
    0x887A0007: "DXGI_ERROR_DEVICE_RESET",
    0x887A0022: "DXGI_ERROR_NOT_CURRENTLY_AVAILABLE",
    0x887A0026: "DXGI_ERROR_ACCESS_LOST",
    0x887A0027: "DXGI_ERROR_WAIT_TIMEOUT",
    0x887A0028: "DXGI_ERROR_SESSION_DISCONNECTED",
    0x887A002B: "DXGI_ERROR_ACCESS_DENIED",
}


def hresult_text(hresult: int) -> str:
    """``0x887A0027 (DXGI_ERROR_WAIT_TIMEOUT)``; negative (signed) codes are accepted."""
    code = hresult & 0xFFFFFFFF
    name = HRESULT_NAMES.get(code)
    return f"0x{code:08X}" + (f" ({name})" if name else "")


def failed(hresult: int) -> bool:
    return bool(hresult & 0x80000000)


# -- constants -------------------------------------------------------------------------
D3D_DRIVER_TYPE_HARDWARE = 1
D3D11_SDK_VERSION = 7
D3D11_USAGE_STAGING = 3
D3D11_CPU_ACCESS_READ = 0x20000
D3D11_MAP_READ = 1
DXGI_FORMAT_B8G8R8A8_UNORM = 87
DXGI_MODE_ROTATION_UNSPECIFIED, DXGI_MODE_ROTATION_IDENTITY = 0, 1


def _guid(text: str) -> bytes:
    return uuid.UUID(text).bytes_le  # GUID's in-memory layout


IID_IDXGIDevice = _guid("54ec77fa-1377-44e6-8c32-88fd5f44c84c")
IID_IDXGIOutput1 = _guid("00cddea8-939b-4b83-a340-a685226666cc")
IID_ID3D11Texture2D = _guid("6f15aaf2-d208-4e89-9ab4-489535d34f9c")


class DXGI_OUTPUT_DESC(ctypes.Structure):
    _fields_ = [
        ("DeviceName", wintypes.WCHAR * 32),
        ("DesktopCoordinates", wintypes.RECT),
        ("AttachedToDesktop", wintypes.BOOL),
        ("Rotation", ctypes.c_uint),
        ("Monitor", wintypes.HANDLE),
    ]


class DXGI_OUTDUPL_FRAME_INFO(ctypes.Structure):
    _fields_ = [
        ("LastPresentTime", ctypes.c_int64),
        ("LastMouseUpdateTime", ctypes.c_int64),
        ("AccumulatedFrames", ctypes.c_uint),
        ("RectsCoalesced", wintypes.BOOL),
        ("ProtectedContentMaskedOut", wintypes.BOOL),
        ("PointerPosition", wintypes.POINT),
        ("PointerVisible", wintypes.BOOL),
        ("TotalMetadataBufferSize", ctypes.c_uint),
        ("PointerShapeBufferSize", ctypes.c_uint),
    ]


class D3D11_TEXTURE2D_DESC(ctypes.Structure):
    _fields_ = [
        ("Width", ctypes.c_uint),
        ("Height", ctypes.c_uint),
        ("MipLevels", ctypes.c_uint),
        ("ArraySize", ctypes.c_uint),
        ("Format", ctypes.c_uint),
        ("SampleCount", ctypes.c_uint),
        ("SampleQuality", ctypes.c_uint),
        ("Usage", ctypes.c_uint),
        ("BindFlags", ctypes.c_uint),
        ("CPUAccessFlags", ctypes.c_uint),
        ("MiscFlags", ctypes.c_uint),
    ]


class D3D11_SUBRESOURCE_DATA(ctypes.Structure):
    _fields_ = [
        ("pSysMem", ctypes.c_void_p),
        ("SysMemPitch", ctypes.c_uint),
        ("SysMemSlicePitch", ctypes.c_uint),
    ]


class D3D11_MAPPED_SUBRESOURCE(ctypes.Structure):
    _fields_ = [
        ("pData", ctypes.c_void_p),
        ("RowPitch", ctypes.c_uint),
        ("DepthPitch", ctypes.c_uint),
    ]


_HRESULT = ctypes.c_long  # raw, not ctypes.HRESULT (which raises on failure)
_prototypes: dict[tuple[Any, ...], Any] = {}


class ComError(Exception):
    """A COM call failed; ``hresult`` is the unsigned code."""

    def __init__(self, call: str, hresult: int) -> None:
        super().__init__(f"{call} failed: {hresult_text(hresult)}")
        self.call = call
        self.hresult = hresult


class ComPtr:
    """One owned reference to a COM object."""

    def __init__(self, address: int, name: str) -> None:
        if not address:
            raise ValueError(f"{name}: null COM pointer")
        self.address = address
        self.name = name

    def call(self, index: int, argtypes: Sequence[Any], *args: Any, restype: Any = _HRESULT) -> Any:
        """Method ``index`` of the vtable; an HRESULT comes back unsigned."""
        if not self.address:
            raise ValueError(f"{self.name} was released")
        key = (restype, *argtypes)
        prototype = _prototypes.get(key)
        if prototype is None:
            prototype = _prototypes[key] = _functype(restype, ctypes.c_void_p, *argtypes)
        vtable = ctypes.cast(self.address, ctypes.POINTER(ctypes.POINTER(ctypes.c_void_p)))
        function = prototype(vtable.contents[index])
        result = function(self.address, *args)
        return result & 0xFFFFFFFF if restype is _HRESULT else result

    def checked(self, method: str, index: int, argtypes: Sequence[Any], *args: Any) -> None:
        hr = self.call(index, argtypes, *args)
        if failed(hr):
            raise ComError(f"{self.name}::{method}", hr)

    def query(self, iid: bytes, name: str) -> ComPtr:
        """QueryInterface: a new reference to ``name``; raises ComError."""
        guid = ctypes.create_string_buffer(iid, 16)
        out = ctypes.c_void_p()
        self.checked(
            f"QueryInterface({name})",
            0,
            [ctypes.c_char_p, ctypes.c_void_p],
            guid,
            ctypes.byref(out),
        )
        return ComPtr(out.value or 0, name)

    def out_pointer(
        self, method: str, index: int, argtypes: Sequence[Any], *args: Any, name: str
    ) -> ComPtr:
        """A method whose last argument receives an interface pointer."""
        out = ctypes.c_void_p()
        self.checked(method, index, [*argtypes, ctypes.c_void_p], *args, ctypes.byref(out))
        return ComPtr(out.value or 0, name)

    def release(self) -> None:
        if self.address:
            self.call(2, [], restype=ctypes.c_ulong)
            self.address = 0


def release_all(*pointers: ComPtr | None) -> None:
    for pointer in pointers:
        if pointer is not None:
            pointer.release()


if sys.platform == "win32":
    _functype = ctypes.WINFUNCTYPE

    def create_device() -> tuple[ComPtr, ComPtr]:
        """D3D11CreateDevice on the default adapter: (device, immediate context)."""
        d3d11 = ctypes.WinDLL("d3d11")
        create = d3d11.D3D11CreateDevice
        create.restype = _HRESULT
        create.argtypes = [
            ctypes.c_void_p, ctypes.c_uint, ctypes.c_void_p, ctypes.c_uint, ctypes.c_void_p,
            ctypes.c_uint, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p,
        ]  # fmt: skip
        device, context = ctypes.c_void_p(), ctypes.c_void_p()
        level = ctypes.c_uint()
        hr = create(
            None, D3D_DRIVER_TYPE_HARDWARE, None, 0, None, 0, D3D11_SDK_VERSION,
            ctypes.byref(device), ctypes.byref(level), ctypes.byref(context),
        ) & 0xFFFFFFFF  # fmt: skip
        if failed(hr):
            raise ComError("D3D11CreateDevice", hr)
        return ComPtr(device.value or 0, "ID3D11Device"), ComPtr(
            context.value or 0, "ID3D11DeviceContext"
        )

    def monitor_count() -> int:
        """Monitors on the desktop, as Windows counts them (every adapter)."""
        return int(ctypes.windll.user32.GetSystemMetrics(80))  # SM_CMONITORS

    def set_dpi_aware() -> None:
        """Physical pixels everywhere, as mss does for GDI (per-monitor aware, 8.1+)."""
        try:
            ctypes.windll.shcore.SetProcessDpiAwareness(2)
        except (AttributeError, OSError):
            ctypes.windll.user32.SetProcessDPIAware()

else:
    _functype = ctypes.CFUNCTYPE  # never called: DxgiCapturer refuses to start here

    def create_device() -> tuple[ComPtr, ComPtr]:
        raise OSError("D3D11 exists only on Windows")

    def monitor_count() -> int:
        raise OSError("Windows only")

    def set_dpi_aware() -> None:
        raise OSError("Windows only")
