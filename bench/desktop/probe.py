"""Measurements taken inside the viewer page, on the page's own clock.

Click-to-photon: the page records ``performance.now()`` when the click's pointerdown
reaches the canvas, then checks the canvas pixel under the marker on every animation
frame until it changes colour. Both ends are in the page, so the figure includes
everything a user waits for: viewer -> server -> worker -> XTest -> the app repaints
-> capture -> encode -> server -> decode -> canvas, up to the next paint.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from playwright.sync_api import Page

# Installed once per page: the pointerdown time of the last armed click.
INSTALL = """() => {
  if (window.__bench) return;
  window.__bench = { armed: false, downAt: 0 };
  document.querySelector('#remote-screen').addEventListener('pointerdown', () => {
    if (!window.__bench.armed) return;
    window.__bench.downAt = performance.now();
    window.__bench.armed = false;
  }, { capture: true });
}"""

PIXEL = """([x, y]) => Array.from(document.querySelector('#remote-screen')
  .getContext('2d').getImageData(x, y, 1, 1).data.slice(0, 3))"""

ARM = "() => { window.__bench.armed = true; window.__bench.downAt = 0; }"

# Resolves when the pixel differs from `before` by more than `threshold` in a channel.
WAIT_CHANGE = """([x, y, before, threshold, timeoutMs]) => new Promise((resolve) => {
  const ctx = document.querySelector('#remote-screen').getContext('2d');
  const started = performance.now();
  const check = (now) => {
    const p = ctx.getImageData(x, y, 1, 1).data;
    const changed = [0, 1, 2].some((i) => Math.abs(p[i] - before[i]) > threshold);
    if (changed && window.__bench.downAt) {
      resolve({ downAt: window.__bench.downAt, seenAt: now,
                drawnAt: window.__guruViewer ? window.__guruViewer.lastDrawAt : now,
                pixel: Array.from(p.slice(0, 3)) });
    } else if (performance.now() - started > timeoutMs) {
      resolve(null);
    } else {
      requestAnimationFrame(check);
    }
  };
  requestAnimationFrame(check);
})"""


@dataclass
class Click:
    to_draw_ms: float  # pointerdown -> the frame with the new colour drawn on the canvas
    to_paint_ms: float  # pointerdown -> the animation frame that showed it


def install(page: Page) -> None:
    page.evaluate(INSTALL)


def pixel(page: Page, x: int, y: int) -> list[int]:
    return list(page.evaluate(PIXEL, [x, y]))


def click_to_photon(
    page: Page, client: tuple[float, float], frame_xy: tuple[int, int], timeout_ms: int = 3000
) -> Click | None:
    """Click at ``client`` (viewport) and time the change at ``frame_xy`` (canvas)."""
    before = pixel(page, *frame_xy)
    page.evaluate(ARM)
    page.mouse.click(*client)
    seen: dict[str, Any] | None = page.evaluate(
        WAIT_CHANGE, [frame_xy[0], frame_xy[1], before, 80, timeout_ms]
    )
    if seen is None:
        return None
    down = float(seen["downAt"])
    return Click(
        to_draw_ms=max(0.0, float(seen["drawnAt"]) - down),
        to_paint_ms=float(seen["seenAt"]) - down,
    )


def viewer_probe(page: Page) -> dict[str, Any]:
    """``window.__guruViewer`` plus what the status bar shows."""
    return dict(
        page.evaluate(
            """() => ({ ...window.__guruViewer,
                 statFps: document.querySelector('#stat-fps')?.textContent,
                 statKbps: document.querySelector('#stat-kbps')?.textContent,
                 frameWidth: document.querySelector('#remote-screen').width,
                 frameHeight: document.querySelector('#remote-screen').height })"""
        )
    )


def canvas_client(page: Page, fx: int, fy: int) -> tuple[float, float]:
    """The viewport point over canvas pixel (fx, fy), in fit or 1:1 layout."""
    r = page.evaluate(
        """() => { const c = document.querySelector('#remote-screen');
                   const r = c.getBoundingClientRect();
                   return [r.left, r.top, r.width, r.height, c.width, c.height]; }"""
    )
    left, top, width, height, fw, fh = r
    return left + (fx + 0.5) * width / fw, top + (fy + 0.5) * height / fh
