"""Both ends of a clipboard in end-to-end tests: Chromium's async clipboard API (in a
Playwright page) and an X display's CLIPBOARD through ``xclip``, as another application
on that display would use it; PNG helpers compare pixels, since Chromium re-encodes."""

from __future__ import annotations

import base64
import io
import subprocess
from typing import Any

from PIL import Image
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page


def page_write(page: Page, item: dict[str, bytes]) -> None:
    """Put ``item`` (MIME type -> bytes) on the browser's clipboard."""
    page.bring_to_front()
    page.evaluate(
        """async (item) => {
            const blobs = {};
            for (const [type, b64] of Object.entries(item)) {
                const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
                blobs[type] = new Blob([bytes], { type });
            }
            await navigator.clipboard.write([new ClipboardItem(blobs)]);
        }""",
        {t: base64.b64encode(v).decode() for t, v in item.items()},
    )


def page_read(page: Page) -> dict[str, bytes]:
    """What the browser's clipboard holds (MIME type -> bytes)."""
    page.bring_to_front()
    for attempt in range(10):
        try:
            return _read_once(page)
        except PlaywrightError as exc:
            # The viewer wrote the clipboard while we read it: read again.
            if "Clipboard data has changed" not in str(exc) or attempt == 9:
                raise
            page.wait_for_timeout(100)
    raise AssertionError("unreachable")


def _read_once(page: Page) -> dict[str, bytes]:
    got = page.evaluate(
        """async () => {
            const out = {};
            for (const entry of await navigator.clipboard.read()) {
                for (const type of entry.types) {
                    const bytes = new Uint8Array(await (await entry.getType(type)).arrayBuffer());
                    let s = ""; for (const b of bytes) s += String.fromCharCode(b);
                    out[type] = btoa(s);
                }
            }
            return out;
        }"""
    )
    return {t: base64.b64decode(v) for t, v in got.items()}


def x_read(xclip: str, display: str, target: str) -> bytes | None:
    done = subprocess.run(
        [xclip, "-o", "-selection", "clipboard", "-t", target, "-display", display],
        capture_output=True, timeout=15, check=False,
    )  # fmt: skip
    return done.stdout if done.returncode == 0 else None


def x_copy(xclip: str, display: str, target: str, data: bytes) -> None:
    """An application on the remote machine copies ``data`` (xclip keeps serving it
    in the background until something else takes the clipboard)."""
    subprocess.run(
        [xclip, "-i", "-selection", "clipboard", "-t", target, "-display", display],
        input=data, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=15, check=True,
    )  # fmt: skip


def probe(page: Page) -> dict[str, Any]:
    return dict(page.evaluate("() => window.__guruClipboard ?? {}"))


def send_clipboard(page: Page) -> None:
    page.bring_to_front()
    page.click("#clipboard-menu summary")
    page.click("#clipboard-send")


def png(pixels: list[list[tuple[int, int, int]]]) -> bytes:
    image = Image.new("RGB", (len(pixels[0]), len(pixels)))
    for y, row in enumerate(pixels):
        for x, rgb in enumerate(row):
            image.putpixel((x, y), rgb)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def pixels_of(data: bytes) -> list[tuple[int, ...]]:
    image = Image.open(io.BytesIO(data)).convert("RGB")
    return [image.getpixel((x, y)) for y in range(image.height) for x in range(image.width)]  # type: ignore[misc]


PICTURE = [[(255, 0, 0), (0, 255, 0), (0, 0, 255)], [(255, 255, 255), (0, 0, 0), (18, 52, 86)]]
