import { describe, expect, it } from "vitest";
import { displaySize, monitorOffset, toRemote, virtualOrigin } from "../src/viewer/coords";
import type { Monitor } from "../src/viewer/messages";

const mon = (id: number, x: number, y: number, width: number, height: number): Monitor => ({
  id,
  x,
  y,
  width,
  height,
  primary: id === 0,
  name: "",
});

// Primary 1920x1080 at the origin, a second 1280x1024 to its right.
const TWO = [mon(0, 0, 0, 1920, 1080), mon(1, 1920, 0, 1280, 1024)];
// A second monitor to the LEFT of and above the primary: negative virtual coordinates.
const LEFT = [mon(0, 0, 0, 1920, 1080), mon(1, -1280, -200, 1280, 1024)];

describe("toRemote", () => {
  const frame = { w: 1920, h: 1080 };

  it("is exact at 1:1", () => {
    const box = { left: 10, top: 20, width: 1920, height: 1080 };
    expect(toRemote(10, 20, box, frame.w, frame.h)).toEqual({ x: 0, y: 0 });
    expect(toRemote(10 + 1919, 20 + 1079, box, frame.w, frame.h)).toEqual({ x: 1919, y: 1079 });
    expect(toRemote(10 + 500.7, 20 + 300.2, box, frame.w, frame.h)).toEqual({ x: 500, y: 300 });
  });

  it("scales down (fit to a smaller window)", () => {
    const box = { left: 0, top: 0, width: 960, height: 540 }; // 50%
    expect(toRemote(480, 270, box, frame.w, frame.h)).toEqual({ x: 960, y: 540 });
    expect(toRemote(0.4, 0.4, box, frame.w, frame.h)).toEqual({ x: 0, y: 0 });
    expect(toRemote(959.9, 539.9, box, frame.w, frame.h)).toEqual({ x: 1919, y: 1079 });
  });

  it("scales up and at awkward ratios", () => {
    const up = { left: 100, top: 50, width: 3840, height: 2160 }; // 200%
    expect(toRemote(100 + 3, 50 + 3, up, frame.w, frame.h)).toEqual({ x: 1, y: 1 });
    const odd = { left: 0, top: 0, width: 1366, height: 768.375 }; // 71.1458…%
    // floor(683 * 1920 / 1366) = 960, floor(384 * 1080 / 768.375) = 539
    expect(toRemote(683, 384, odd, frame.w, frame.h)).toEqual({ x: 960, y: 539 });
  });

  it("clamps outside the canvas (drags leaving the screen)", () => {
    const box = { left: 0, top: 0, width: 960, height: 540 };
    expect(toRemote(-50, -10, box, frame.w, frame.h)).toEqual({ x: 0, y: 0 });
    expect(toRemote(5000, 5000, box, frame.w, frame.h)).toEqual({ x: 1919, y: 1079 });
  });

  it("adds the monitor's offset for a single second monitor", () => {
    const box = { left: 0, top: 0, width: 640, height: 512 }; // monitor 1 at 50%
    const off = monitorOffset(TWO, 1);
    expect(off).toEqual({ x: 1920, y: 0 });
    expect(toRemote(0, 0, box, 1280, 1024, off)).toEqual({ x: 1920, y: 0 });
    expect(toRemote(320, 256, box, 1280, 1024, off)).toEqual({ x: 2560, y: 512 });
  });

  it("maps 'all monitors' from the virtual-screen origin", () => {
    // Virtual screen of TWO is 3200x1080 from (0,0).
    const box = { left: 0, top: 0, width: 1600, height: 540 };
    const off = monitorOffset(TWO, -1);
    expect(off).toEqual({ x: 0, y: 0 });
    expect(toRemote(960, 10, box, 3200, 1080, off)).toEqual({ x: 1920, y: 20 });

    // LEFT: virtual screen from (-1280,-200), 3200x1280.
    const offL = monitorOffset(LEFT, -1);
    expect(offL).toEqual({ x: -1280, y: -200 });
    const boxL = { left: 0, top: 0, width: 3200, height: 1280 };
    expect(toRemote(0, 0, boxL, 3200, 1280, offL)).toEqual({ x: -1280, y: -200 });
    expect(toRemote(1280, 200, boxL, 3200, 1280, offL)).toEqual({ x: 0, y: 0 });
    // A single negative-offset monitor.
    expect(toRemote(10, 10, { left: 0, top: 0, width: 1280, height: 1024 }, 1280, 1024, monitorOffset(LEFT, 1))).toEqual({
      x: -1270,
      y: -190,
    });
  });

  it("returns integers and handles an empty box", () => {
    const p = toRemote(33.3, 44.4, { left: 0.5, top: 0.5, width: 777.7, height: 333.3 }, 1920, 1080);
    expect(Number.isInteger(p.x) && Number.isInteger(p.y)).toBe(true);
    expect(toRemote(5, 5, { left: 0, top: 0, width: 0, height: 0 }, 1920, 1080)).toEqual({ x: 0, y: 0 });
  });
});

describe("monitor helpers", () => {
  it("virtual origin is the minimum x and y; unknown monitors fall back to it", () => {
    expect(virtualOrigin([])).toEqual({ x: 0, y: 0 });
    expect(virtualOrigin(LEFT)).toEqual({ x: -1280, y: -200 });
    expect(monitorOffset(LEFT, 7)).toEqual({ x: -1280, y: -200 });
    expect(monitorOffset(TWO, 0)).toEqual({ x: 0, y: 0 });
  });

  it("fits the frame keeping its aspect ratio, or shows it 1:1", () => {
    expect(displaySize(1920, 1080, 960, 1000, true)).toEqual({ width: 960, height: 540 });
    expect(displaySize(1920, 1080, 3000, 540, true)).toEqual({ width: 960, height: 540 });
    expect(displaySize(1280, 1024, 2560, 2048, true)).toEqual({ width: 2560, height: 2048 });
    expect(displaySize(1920, 1080, 960, 540, false)).toEqual({ width: 1920, height: 1080 });
    expect(displaySize(1920, 1080, 0, 0, true)).toEqual({ width: 1920, height: 1080 });
  });
});
