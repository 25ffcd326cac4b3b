// DOM wheel deltas -> whole wheel steps (PointerInput.wheel_x / wheel_y; positive
// wheel_y = wheel down, like DOM deltaY). Pure apart from the timestamp passed in.
//
// A mouse notch is ~100 px (Chrome, Edge), 53/120 px on some systems, or 3 lines
// (Firefox); touchpads send many small pixel deltas. So: 1 step per 100 px or per 3
// lines, with the remainder carried over; and an event that would produce no step
// still produces one when no step was sent on that axis for a moment, so every
// separate notch scrolls even on systems with small notches, while a touchpad's stream
// of tiny deltas does not turn into a flood.
import { WHEEL_MAX } from "./messages";

export const DOM_DELTA_PIXEL = 0;
export const DOM_DELTA_LINE = 1;
export const DOM_DELTA_PAGE = 2;

export const PIXELS_PER_STEP = 100;
export const LINES_PER_STEP = 3;
export const STEPS_PER_PAGE = 3;
// An event after this long without a step on its axis always yields at least one.
export const WHEEL_QUIET_MS = 200;

class Axis {
  private acc = 0;
  private lastStepAt = -Infinity;
  private dir = 0;

  step(delta: number, mode: number, now: number): number {
    if (!delta || !Number.isFinite(delta)) return 0;
    const units =
      mode === DOM_DELTA_LINE ? delta / LINES_PER_STEP : mode === DOM_DELTA_PAGE ? delta * STEPS_PER_PAGE : delta / PIXELS_PER_STEP;
    // A change of direction starts afresh, as a new gesture.
    if (Math.sign(units) !== this.dir) {
      this.acc = 0;
      this.lastStepAt = -Infinity;
      this.dir = Math.sign(units);
    }
    this.acc += units;
    let steps = Math.trunc(this.acc) || 0;
    this.acc -= steps;
    if (steps === 0 && now - this.lastStepAt >= WHEEL_QUIET_MS) {
      steps = Math.sign(units);
      this.acc = 0;
    }
    if (steps !== 0) this.lastStepAt = now;
    return Math.max(-WHEEL_MAX, Math.min(WHEEL_MAX, steps));
  }

  reset(): void {
    this.acc = 0;
    this.lastStepAt = -Infinity;
    this.dir = 0;
  }
}

export class WheelAccumulator {
  private readonly xAxis = new Axis();
  private readonly yAxis = new Axis();

  step(deltaX: number, deltaY: number, deltaMode: number, now: number): { x: number; y: number } {
    return { x: this.xAxis.step(deltaX, deltaMode, now), y: this.yAxis.step(deltaY, deltaMode, now) };
  }

  reset(): void {
    this.xAxis.reset();
    this.yAxis.reset();
  }
}
