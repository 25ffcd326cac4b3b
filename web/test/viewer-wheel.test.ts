import { describe, expect, it } from "vitest";
import { DOM_DELTA_LINE, DOM_DELTA_PAGE, DOM_DELTA_PIXEL, WHEEL_QUIET_MS, WheelAccumulator } from "../src/viewer/wheel";

describe("WheelAccumulator", () => {
  it("one step per 100 px notch, wheel down positive", () => {
    const w = new WheelAccumulator();
    expect(w.step(0, 100, DOM_DELTA_PIXEL, 0)).toEqual({ x: 0, y: 1 });
    expect(w.step(0, -100, DOM_DELTA_PIXEL, 500)).toEqual({ x: 0, y: -1 });
    expect(w.step(0, 300, DOM_DELTA_PIXEL, 1000)).toEqual({ x: 0, y: 3 });
    expect(w.step(-100, 0, DOM_DELTA_PIXEL, 1500)).toEqual({ x: -1, y: 0 });
  });

  it("one step per 3 lines (Firefox), pages are bigger", () => {
    const w = new WheelAccumulator();
    expect(w.step(0, 3, DOM_DELTA_LINE, 0)).toEqual({ x: 0, y: 1 });
    expect(w.step(0, 9, DOM_DELTA_LINE, 10)).toEqual({ x: 0, y: 3 });
    expect(w.step(0, -1, DOM_DELTA_PAGE, 20)).toEqual({ x: 0, y: -3 });
  });

  it("any separate non-zero event gives at least one step (small notches)", () => {
    const w = new WheelAccumulator();
    expect(w.step(0, 53, DOM_DELTA_PIXEL, 0).y).toBe(1);
    expect(w.step(0, 53, DOM_DELTA_PIXEL, 1000).y).toBe(1);
    expect(w.step(0, 1, DOM_DELTA_LINE, 2000).y).toBe(1);
    expect(w.step(0, -0.5, DOM_DELTA_PIXEL, 3000).y).toBe(-1);
    expect(w.step(0, 0, DOM_DELTA_PIXEL, 4000)).toEqual({ x: 0, y: 0 });
  });

  it("accumulates a fast stream of small deltas (touchpad) instead of flooding", () => {
    const w = new WheelAccumulator();
    let total = 0;
    // 60 events of 10 px, 16 ms apart: 600 px within 1 s.
    for (let i = 0; i < 60; i++) total += w.step(0, 10, DOM_DELTA_PIXEL, i * 16).y;
    expect(total).toBeGreaterThanOrEqual(5);
    expect(total).toBeLessThanOrEqual(7);
  });

  it("carries remainders and restarts on a change of direction", () => {
    const w = new WheelAccumulator();
    expect(w.step(0, 150, DOM_DELTA_PIXEL, 0).y).toBe(1); // 50 carried
    expect(w.step(0, 60, DOM_DELTA_PIXEL, 10).y).toBe(1); // 110 -> 1, 10 carried
    expect(w.step(0, -60, DOM_DELTA_PIXEL, 20).y).toBe(-1); // reversed: a new gesture, steps at once
    expect(w.step(0, -60, DOM_DELTA_PIXEL, 30).y).toBe(0); // within the quiet time: accumulates
    expect(w.step(0, -60, DOM_DELTA_PIXEL, 40).y).toBe(-1); // 120 px
    expect(w.step(0, -10, DOM_DELTA_PIXEL, 40 + WHEEL_QUIET_MS).y).toBe(-1);
  });

  it("caps at the protocol's ±100", () => {
    const w = new WheelAccumulator();
    expect(w.step(0, 1e6, DOM_DELTA_PIXEL, 0).y).toBe(100);
    expect(w.step(-1e6, 0, DOM_DELTA_PIXEL, 0).x).toBe(-100);
  });
});
