"""Dirty tiles, H.264 and JPEG on known pixels, decoded back with PyAV and Pillow."""

from __future__ import annotations

import io
import time

import av
import numpy as np
from PIL import Image

from guruconnect.agent.desktop.encode.h264 import H264Encoder
from guruconnect.agent.desktop.encode.jpeg import JpegEncoder
from guruconnect.agent.desktop.tiles import dirty_tiles, dirty_tiles_bytes, merge_rects


def desktop(height: int = 1080, width: int = 1920) -> np.ndarray:
    frame = np.zeros((height, width, 4), np.uint8)
    frame[..., 0] = 200  # blue-ish background (BGRA)
    frame[..., 1] = 120
    frame[..., 2] = 40
    frame[..., 3] = 255
    frame[100:300, 200:600] = (0, 0, 255, 255)  # a red window
    frame[400:700, 900:1500] = (255, 255, 255, 255)  # a white one
    return frame


def test_dirty_tiles_find_changes_including_partial_edge_tiles() -> None:
    before = desktop()
    after = before.copy()
    after[70, 130] = (1, 2, 3, 255)  # tile row 1, col 2
    after[1079, 1919] = (9, 9, 9, 255)  # the short last row, last column
    after[130:200, 0:300] = (5, 5, 5, 255)
    mask = dirty_tiles(before, after)
    assert mask.shape == (17, 30)
    assert mask[1, 2] and mask[16, 29] and mask[2:4, 0:5].all()
    assert mask.sum() == 1 + 1 + 10
    assert not dirty_tiles(before, before.copy()).any()
    assert dirty_tiles(None, after).all()
    assert dirty_tiles(before[:10, :10], after[:10, :10]).shape == (1, 1)
    rects = merge_rects(mask, 1920, 1080)
    assert rects == [(128, 64, 64, 64), (0, 128, 320, 128), (1856, 1024, 64, 56)]
    started = time.perf_counter()
    for _ in range(10):
        dirty_tiles(before, after)
    assert (time.perf_counter() - started) / 10 < 0.02  # ~1 ms; generous for CI


def test_dirty_tiles_bytes_agree_with_numpy() -> None:
    """The numpy-free comparison (runtimes without numpy) finds exactly the same tiles."""
    before = desktop()
    after = before.copy()
    after[70, 130] = (1, 2, 3, 255)
    after[1079, 1919] = (9, 9, 9, 255)
    after[130:200, 0:300] = (5, 5, 5, 255)
    after[64, 63] = (0, 0, 0, 0)  # the last pixel of a tile, the first row of the next
    want = dirty_tiles(before, after)
    got = dirty_tiles_bytes(before.tobytes(), after.tobytes(), 1920, 1080)
    assert np.array_equal(np.array(got), want)
    assert merge_rects(got, 1920, 1080) == merge_rects(want, 1920, 1080)
    same = dirty_tiles_bytes(before.tobytes(), before.tobytes(), 1920, 1080)
    assert not any(any(row) for row in same)
    assert all(all(row) for row in dirty_tiles_bytes(None, after.tobytes(), 1920, 1080))
    assert dirty_tiles_bytes(b"\0" * 40 * 4, b"\1" * 40 * 4, 10, 4) == [[True]]


def decode_h264(stream: bytes) -> list[np.ndarray]:
    decoder = av.CodecContext.create("h264", "r")
    frames = []
    for packet in [*decoder.parse(stream), *decoder.parse(None)]:  # None flushes the parser
        frames += [f.to_ndarray(format="bgra") for f in decoder.decode(packet)]
    frames += [f.to_ndarray(format="bgra") for f in decoder.decode(None)]
    return frames


def test_h264_is_annex_b_decodable_and_keyframes_come_on_request() -> None:
    encoder = H264Encoder(1920, 1080, "balanced")
    frame = desktop()
    first, key = encoder.encode(frame, 100.0, keyframe=False)  # the first is always key
    assert key and first.startswith((b"\x00\x00\x00\x01", b"\x00\x00\x01"))
    assert b"\x00\x00\x01\x67" in first[:64] or first[4] & 0x1F == 7  # SPS up front
    moved = frame.copy()
    moved[100:300, 220:620] = (0, 0, 255, 255)
    second, key = encoder.encode(moved, 100.033, keyframe=False)
    assert not key and 0 < len(second) < len(first)
    third, key = encoder.encode(moved, 100.066, keyframe=True)
    assert key
    # A keyframe decodes on its own (the viewer may join there).
    alone = decode_h264(third)
    assert len(alone) == 1
    decoded = decode_h264(first + second + third)
    assert len(decoded) == 3
    for got, want in zip(decoded, [frame, moved, moved], strict=True):
        assert got.shape == (1080, 1920, 4)
        for y0, y1, x0, x1 in ((150, 250, 300, 500), (450, 650, 1000, 1400), (800, 1000, 50, 500)):
            error = np.abs(got[y0:y1, x0:x1, :3].astype(int) - want[y0:y1, x0:x1, :3]).mean()
            assert error < 6, (y0, x0, error)


def test_h264_pads_odd_sizes() -> None:
    encoder = H264Encoder(101, 77, "speed")
    frame = desktop(77, 101)
    data, _ = encoder.encode(frame, 0.0, keyframe=True)
    (got,) = decode_h264(data)
    assert got.shape == (78, 102, 4)  # the viewer crops to width x height
    assert np.abs(got[:77, :101, :3].astype(int) - frame[..., :3]).mean() < 8


def test_jpeg_tiles_from_raw_bytes_equal_those_from_an_array() -> None:
    frame = desktop()
    rects = [(192, 64, 448, 256), (0, 1024, 64, 56)]
    encoder = JpegEncoder("balanced")
    from_array = encoder.encode_tiles(frame, rects)
    assert encoder.encode_tiles(frame.tobytes(), rects, (1920, 1080)) == from_array


def test_jpeg_tiles_decode_to_the_right_pixels() -> None:
    frame = desktop()
    tiles = JpegEncoder("quality").encode_tiles(frame, [(192, 64, 448, 256), (0, 1024, 64, 56)])
    assert [(t.x, t.y, t.width, t.height) for t in tiles] == [
        (192, 64, 448, 256),
        (0, 1024, 64, 56),
    ]
    for tile in tiles:
        image = Image.open(io.BytesIO(tile.data))
        assert image.format == "JPEG" and image.size == (tile.width, tile.height)
        rgb = np.asarray(image.convert("RGB")).astype(int)
        want = frame[tile.y : tile.y + tile.height, tile.x : tile.x + tile.width, 2::-1]
        assert np.abs(rgb - want).mean() < 4
    # Inside the red window, red it is.
    red = np.asarray(Image.open(io.BytesIO(tiles[0].data)).convert("RGB"))[100, 100]
    assert red[0] > 240 and red[1] < 20 and red[2] < 20
