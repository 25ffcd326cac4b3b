"""Windows screen capture through DXGI Desktop Duplication (Windows 8+), with ctypes only.

    open:  D3D11CreateDevice (default adapter) -> IDXGIDevice -> IDXGIAdapter
           -> every IDXGIOutput attached to the desktop -> IDXGIOutput1 -> DuplicateOutput
    grab:  per output, AcquireNextFrame(timeout_ms)
             DXGI_ERROR_WAIT_TIMEOUT   nothing changed: keep that output's last frame
             DXGI_ERROR_ACCESS_LOST    desktop switch, mode change: duplicate it again
                                       (until that works, the last frame stays)
             S_OK  IDXGIResource -> ID3D11Texture2D -> CopyResource into a staging
                   texture (CPU read) -> Map -> rows copied (RowPitch respected) -> Unmap
                   -> every pointer released -> ReleaseFrame
           then the asked rectangle is cut from the outputs' frames (gaps stay black).

Any failure while opening raises ``BackendUnavailable`` naming the call and its HRESULT,
so ``open_capturer("auto")`` falls back to GDI. Also refused, for GDI to handle: a
rotated output (the duplicated image would need rotating) and monitors on a second
graphics adapter (only the default adapter's outputs are duplicated). Device loss
(DXGI_ERROR_DEVICE_REMOVED/RESET: a driver update, a GPU reset) reopens everything.

Status (be honest): under Wine 8 on Xvfb (the CI here) D3D11CreateDevice, the DXGI
walk, EnumOutputs and GetDesc run for real, and so does the staging path (CreateTexture2D,
CopyResource, Map with its RowPitch, Unmap: tests/windows/test_dxgi.py feeds it a texture
of known pixels), but Wine's ``DuplicateOutput`` answers E_NOTIMPL, so ``auto`` falls
back to GDI there. NOT RUN on real Windows here: AcquireNextFrame, ReleaseFrame, the
WAIT_TIMEOUT / ACCESS_LOST / device-lost handling and the whole grab over a duplicated
desktop. That is why GDI (``windows``) stays the default backend and DXGI is chosen with
``--capture dxgi`` or ``--capture auto``.

Not done: DXGI's dirty and move rectangles (``GetFrameDirtyRects``). The frame loop
diffs 64x64 tiles against the last frame it *sent*, which may be several acquired
frames back, so per-frame rectangles would have to be accumulated and mapped to
tiles; the tile diff already finds the same changes. Also not done: following the input
desktop (UAC, lock screen) with SetThreadDesktop, as GDI does not either.
"""

from __future__ import annotations

import ctypes
import logging
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from guruconnect.agent.desktop._backends import BackendUnavailable
from guruconnect.agent.desktop.capture import _d3d11 as d3d
from guruconnect.agent.desktop.capture._d3d11 import ComError, ComPtr
from guruconnect.protocol.desktop import Monitor

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

log = logging.getLogger("guruconnect.agent.desktop.capture")

FIRST_FRAME_TIMEOUT_MS = 500  # a new duplication delivers the whole desktop at once


# -- pixels (pure, tested on Linux) -----------------------------------------------------


def pack_rows(
    source: bytes | bytearray | memoryview | ctypes.Array[ctypes.c_ubyte],
    pitch: int,
    row_bytes: int,
    rows: int,
) -> bytes:
    """``rows`` rows of ``row_bytes`` from a buffer whose rows start ``pitch`` bytes apart
    (a mapped texture's RowPitch is often larger than its width * 4)."""
    if pitch < row_bytes or row_bytes < 0 or rows < 0:
        raise ValueError(f"bad layout: pitch {pitch}, row {row_bytes}, rows {rows}")
    view = memoryview(source).cast("B")
    if rows and len(view) < pitch * (rows - 1) + row_bytes:
        raise ValueError(f"buffer of {len(view)} bytes is short of {rows} rows of pitch {pitch}")
    if pitch == row_bytes:
        return bytes(view[: row_bytes * rows])
    return b"".join([view[i * pitch : i * pitch + row_bytes] for i in range(rows)])


@dataclass(frozen=True)
class Rect:
    x: int
    y: int
    width: int
    height: int

    def intersect(self, other: Rect) -> Rect | None:
        x0, y0 = max(self.x, other.x), max(self.y, other.y)
        x1 = min(self.x + self.width, other.x + other.width)
        y1 = min(self.y + self.height, other.y + other.height)
        return Rect(x0, y0, x1 - x0, y1 - y0) if x1 > x0 and y1 > y0 else None


def blit(target: bytearray, target_rect: Rect, frame: bytes, frame_rect: Rect) -> None:
    """Copy the overlap of a BGRA frame (tightly packed, at ``frame_rect`` on the
    desktop) into a BGRA buffer covering ``target_rect``."""
    if len(frame) != frame_rect.width * frame_rect.height * 4:
        raise ValueError("frame size does not match its rectangle")
    if len(target) != target_rect.width * target_rect.height * 4:
        raise ValueError("target size does not match its rectangle")
    overlap = target_rect.intersect(frame_rect)
    if overlap is None:
        return
    span = overlap.width * 4
    for row in range(overlap.y, overlap.y + overlap.height):
        src = ((row - frame_rect.y) * frame_rect.width + overlap.x - frame_rect.x) * 4
        dst = ((row - target_rect.y) * target_rect.width + overlap.x - target_rect.x) * 4
        target[dst : dst + span] = frame[src : src + span]


# -- COM side (Windows) --------------------------------------------------------------


class StagingReader:
    """Copies a GPU texture into CPU memory: one staging texture, reused while the size
    holds. Run under Wine with a texture of known pixels (tests/windows/test_dxgi.py)."""

    def __init__(self, device: ComPtr, context: ComPtr) -> None:
        self._device, self._context = device, context
        self._staging: ComPtr | None = None
        self._size = (0, 0)

    def read(self, texture: ComPtr) -> tuple[bytes, int, int]:
        """(BGRA rows, width, height) of a DXGI_FORMAT_B8G8R8A8_UNORM texture."""
        desc = d3d.D3D11_TEXTURE2D_DESC()
        texture.call(10, [ctypes.c_void_p], ctypes.byref(desc), restype=None)  # GetDesc
        if desc.Format != d3d.DXGI_FORMAT_B8G8R8A8_UNORM:
            raise BackendUnavailable(f"desktop texture format {desc.Format} is not BGRA8")
        staging = self._staging_for(desc)
        ptr = ctypes.c_void_p
        self._context.call(47, [ptr, ptr], staging.address, texture.address, restype=None)
        mapped = d3d.D3D11_MAPPED_SUBRESOURCE()
        self._context.checked(
            "Map", 14, [ptr, ctypes.c_uint, ctypes.c_uint, ctypes.c_uint, ptr],
            staging.address, 0, d3d.D3D11_MAP_READ, 0, ctypes.byref(mapped),
        )  # fmt: skip
        try:
            pitch, row_bytes, rows = int(mapped.RowPitch), desc.Width * 4, desc.Height
            size = pitch * (rows - 1) + row_bytes if rows else 0
            source = (ctypes.c_ubyte * size).from_address(mapped.pData or 0)
            data = pack_rows(source, pitch, row_bytes, rows)
        finally:
            self._context.call(15, [ptr, ctypes.c_uint], staging.address, 0, restype=None)
        return data, desc.Width, desc.Height

    def _staging_for(self, source: d3d.D3D11_TEXTURE2D_DESC) -> ComPtr:
        if self._staging is not None and self._size == (source.Width, source.Height):
            return self._staging
        self.close()
        desc = d3d.D3D11_TEXTURE2D_DESC(
            Width=source.Width, Height=source.Height, MipLevels=1, ArraySize=1,
            Format=source.Format, SampleCount=1, SampleQuality=0,
            Usage=d3d.D3D11_USAGE_STAGING, BindFlags=0,
            CPUAccessFlags=d3d.D3D11_CPU_ACCESS_READ, MiscFlags=0,
        )  # fmt: skip
        self._staging = self._device.out_pointer(
            "CreateTexture2D", 5, [ctypes.c_void_p, ctypes.c_void_p],
            ctypes.byref(desc), None, name="ID3D11Texture2D",
        )  # fmt: skip
        self._size = (source.Width, source.Height)
        return self._staging

    def close(self) -> None:
        d3d.release_all(self._staging)
        self._staging = None


@dataclass
class _Output:
    output: ComPtr  # IDXGIOutput1
    name: str
    rect: Rect
    duplication: ComPtr | None = None
    fresh: bool = True  # a new duplication: copy its first frame whatever it says
    frame: bytes = b""
    frame_rect: Rect = field(default_factory=lambda: Rect(0, 0, 0, 0))
    lost_reason: str = ""


def _describe(output: ComPtr) -> d3d.DXGI_OUTPUT_DESC:
    desc = d3d.DXGI_OUTPUT_DESC()
    output.checked("GetDesc", 7, [ctypes.c_void_p], ctypes.byref(desc))
    return desc


def _rect_of(desc: d3d.DXGI_OUTPUT_DESC) -> Rect:
    r = desc.DesktopCoordinates
    return Rect(r.left, r.top, r.right - r.left, r.bottom - r.top)


class DxgiCapturer:
    """Same interface as ``GdiCapturer``: ``monitors()``, ``grab_bgra()``, ``grab()``,
    ``close()``. ``timeout_ms`` is how long a grab waits for a new desktop frame (0: the
    frame loop paces itself)."""

    def __init__(self, display: str | None = None, *, timeout_ms: int = 0) -> None:
        del display  # the desktop of this process's session
        self._timeout_ms = timeout_ms
        self._device: ComPtr | None = None
        self._context: ComPtr | None = None
        self._reader: StagingReader | None = None
        self._outputs: list[_Output] = []
        if sys.platform != "win32":
            raise BackendUnavailable("DXGI Desktop Duplication needs Windows")
        d3d.set_dpi_aware()
        try:
            self._open()
        except ComError as exc:
            self.close()
            raise BackendUnavailable(f"DXGI Desktop Duplication unavailable: {exc}") from exc
        except BaseException:
            self.close()
            raise

    def _open(self) -> None:
        self._device, self._context = d3d.create_device()
        self._reader = StagingReader(self._device, self._context)
        dxgi_device = self._device.query(d3d.IID_IDXGIDevice, "IDXGIDevice")
        try:
            adapter = dxgi_device.out_pointer("GetAdapter", 7, [], name="IDXGIAdapter")
        finally:
            dxgi_device.release()
        try:
            self._outputs = self._duplicate_outputs(adapter)
        finally:
            adapter.release()
        if not self._outputs:
            raise BackendUnavailable("DXGI: no output of the default adapter is on the desktop")
        windows_count = d3d.monitor_count()
        if windows_count > len(self._outputs):
            raise BackendUnavailable(
                f"DXGI: {windows_count} monitors but {len(self._outputs)} on the default "
                "graphics adapter (a second adapter is not duplicated)"
            )

    def _duplicate_outputs(self, adapter: ComPtr) -> list[_Output]:
        outputs: list[_Output] = []
        try:
            for index in range(64):
                out = ctypes.c_void_p()
                hr = adapter.call(7, [ctypes.c_uint, ctypes.c_void_p], index, ctypes.byref(out))
                if hr == d3d.DXGI_ERROR_NOT_FOUND:
                    break
                if d3d.failed(hr):
                    raise ComError("IDXGIAdapter::EnumOutputs", hr)
                plain = ComPtr(out.value or 0, "IDXGIOutput")
                try:
                    desc = _describe(plain)
                    if not desc.AttachedToDesktop:
                        continue
                    output = plain.query(d3d.IID_IDXGIOutput1, "IDXGIOutput1 (Windows 8+)")
                finally:
                    plain.release()
                entry = _Output(output, desc.DeviceName, _rect_of(desc))
                outputs.append(entry)
                self._check_rotation(entry, desc)
                entry.duplication = self._duplicate(output)
        except BaseException:
            for entry in outputs:
                d3d.release_all(entry.duplication, entry.output)
            raise
        return outputs

    @staticmethod
    def _check_rotation(entry: _Output, desc: d3d.DXGI_OUTPUT_DESC) -> None:
        if desc.Rotation not in (
            d3d.DXGI_MODE_ROTATION_UNSPECIFIED,
            d3d.DXGI_MODE_ROTATION_IDENTITY,
        ):
            raise BackendUnavailable(
                f"DXGI: output {entry.name} is rotated (DXGI_MODE_ROTATION {desc.Rotation}); "
                "rotated outputs are not supported"
            )

    def _duplicate(self, output: ComPtr) -> ComPtr:
        assert self._device is not None
        return output.out_pointer(
            "DuplicateOutput", 22, [ctypes.c_void_p], self._device.address,
            name="IDXGIOutputDuplication",
        )  # fmt: skip

    def monitors(self) -> list[Monitor]:
        return [
            Monitor(
                id=index,
                x=o.rect.x,
                y=o.rect.y,
                width=o.rect.width,
                height=o.rect.height,
                primary=(o.rect.x, o.rect.y) == (0, 0),
                name=o.name[:256],
            )
            for index, o in enumerate(self._outputs[:64])
        ]

    # -- grabbing: NOT RUN on real Windows here (Wine 8 has no DuplicateOutput) -------

    def grab_bgra(self, x: int, y: int, width: int, height: int) -> bytes:
        """BGRA rows, top to bottom, ``width * 4`` bytes each."""
        try:
            for output in self._outputs:
                self._refresh(output)
        except ComError as exc:
            if exc.hresult not in (d3d.DXGI_ERROR_DEVICE_REMOVED, d3d.DXGI_ERROR_DEVICE_RESET):
                raise
            log.info("DXGI device lost (%s); reopening", exc)
            self.close()
            self._open()
            for output in self._outputs:
                self._refresh(output)
        area = Rect(x, y, width, height)
        if len(self._outputs) == 1 and self._outputs[0].frame_rect == area:
            return self._outputs[0].frame
        target = bytearray(width * height * 4)
        for output in self._outputs:
            if output.frame:
                blit(target, area, output.frame, output.frame_rect)
        return bytes(target)

    def _refresh(self, output: _Output) -> None:
        if output.duplication is None and not self._reduplicate(output):
            return  # still lost: the last frame stays
        assert output.duplication is not None and self._reader is not None
        info = d3d.DXGI_OUTDUPL_FRAME_INFO()
        resource = ctypes.c_void_p()
        timeout = FIRST_FRAME_TIMEOUT_MS if output.fresh else self._timeout_ms
        hr = output.duplication.call(
            8, [ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p],
            timeout, ctypes.byref(info), ctypes.byref(resource),
        )  # fmt: skip
        if hr == d3d.DXGI_ERROR_WAIT_TIMEOUT:
            return
        if hr == d3d.DXGI_ERROR_ACCESS_LOST:
            log.info("DXGI: access to %s lost (desktop switch or mode change)", output.name)
            d3d.release_all(output.duplication)
            output.duplication = None
            self._reduplicate(output)
            return
        if d3d.failed(hr):
            raise ComError("IDXGIOutputDuplication::AcquireNextFrame", hr)
        texture: ComPtr | None = None
        try:
            desktop = ComPtr(resource.value or 0, "IDXGIResource")
            try:
                # LastPresentTime 0: only the pointer moved, the image is unchanged.
                if output.fresh or info.LastPresentTime != 0:
                    texture = desktop.query(d3d.IID_ID3D11Texture2D, "ID3D11Texture2D")
                    data, w, h = self._reader.read(texture)
                    output.frame, output.frame_rect = data, Rect(output.rect.x, output.rect.y, w, h)
                    output.fresh = False
            finally:
                d3d.release_all(texture, desktop)
        finally:
            output.duplication.call(14, [])  # ReleaseFrame

    def _reduplicate(self, output: _Output) -> bool:
        try:
            desc = _describe(output.output)
            self._check_rotation(output, desc)
            output.duplication = self._duplicate(output.output)
        except ComError as exc:
            if str(exc) != output.lost_reason:  # once per change, not at every frame
                log.info("DXGI: %s not duplicated yet: %s", output.name, exc)
                output.lost_reason = str(exc)
            return False
        output.rect, output.fresh, output.lost_reason = _rect_of(desc), True, ""
        return True

    def grab(self, x: int, y: int, width: int, height: int) -> NDArray[np.uint8]:
        import numpy as np

        data = self.grab_bgra(x, y, width, height)
        return np.frombuffer(data, dtype=np.uint8).reshape(height, width, 4)

    def close(self) -> None:
        for output in self._outputs:
            d3d.release_all(output.duplication, output.output)
        self._outputs = []
        if self._reader is not None:
            self._reader.close()
        d3d.release_all(self._context, self._device)
        self._device = self._context = self._reader = None
