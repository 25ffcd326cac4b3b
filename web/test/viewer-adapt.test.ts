import { describe, expect, it } from "vitest";
import {
  STEP_DOWN_COOLDOWN_MS,
  STEP_UP_AFTER_MS,
  adaptStep,
  initialAdaptState,
  isPlateau,
  levelSettings,
  type AdaptSample,
  type AdaptState,
} from "../src/viewer/adapt";
import type { Quality } from "../src/viewer/messages";

const good = (now: number, over: Partial<AdaptSample> = {}): AdaptSample => ({
  now,
  rttMs: 40,
  decodeQueue: 0,
  fps: 30,
  bytesPerSec: 400_000,
  ...over,
});

// Feeds one sample a second from `from` to `to` (ms), returns the state and changes.
function run(state: AdaptState, from: number, to: number, cap: Quality, sample: (now: number) => AdaptSample) {
  const changes: Array<{ at: number; quality: string; max_fps: number }> = [];
  for (let now = from; now <= to; now += 1000) {
    const d = adaptStep(state, sample(now), cap);
    state = d.state;
    if (d.change) changes.push({ at: now, ...d.change });
  }
  return { state, changes };
}

describe("levelSettings", () => {
  it("steps fps 30 -> 20 -> 15 -> 10 and the preset down to speed", () => {
    expect([0, 1, 2, 3].map((l) => levelSettings(l, "quality"))).toEqual([
      { quality: "quality", max_fps: 30 },
      { quality: "balanced", max_fps: 20 },
      { quality: "speed", max_fps: 15 },
      { quality: "speed", max_fps: 10 },
    ]);
    expect([0, 1, 2, 3].map((l) => levelSettings(l, "balanced").quality)).toEqual(["balanced", "speed", "speed", "speed"]);
  });

  it("never goes above the user's preset", () => {
    expect([0, 1, 2, 3].map((l) => levelSettings(l, "speed").quality)).toEqual(["speed", "speed", "speed", "speed"]);
    expect(levelSettings(9, "balanced")).toEqual({ quality: "speed", max_fps: 10 });
    expect(levelSettings(-1, "balanced")).toEqual({ quality: "balanced", max_fps: 30 });
  });
});

describe("adaptStep", () => {
  it("leaves good conditions alone", () => {
    const { changes, state } = run(initialAdaptState(0), 1000, 60_000, "balanced", (n) => good(n));
    expect(changes).toEqual([]);
    expect(state.level).toBe(0);
  });

  it("steps down on high RTT, at most once per cooldown, to the floor", () => {
    const { changes, state } = run(initialAdaptState(0), 1000, 30_000, "quality", (n) => good(n, { rttMs: 400 }));
    expect(changes.map((c) => c.max_fps)).toEqual([20, 15, 10]);
    expect(changes[0]).toEqual({ at: STEP_DOWN_COOLDOWN_MS, quality: "balanced", max_fps: 20 });
    for (let i = 1; i < changes.length; i++) expect(changes[i].at - changes[i - 1].at).toBeGreaterThanOrEqual(STEP_DOWN_COOLDOWN_MS);
    expect(state.level).toBe(3);
  });

  it("steps down when the decoder falls behind", () => {
    const d = adaptStep(initialAdaptState(0), good(5000, { decodeQueue: 5 }), "balanced");
    expect(d.reasons).toEqual(["decoder"]);
    expect(d.change).toEqual({ quality: "speed", max_fps: 20 });
  });

  it("steps down when fps is far below max while throughput is flat (link full)", () => {
    const flat = (n: number) => good(n, { fps: 8, bytesPerSec: 250_000 + (n % 3000 === 0 ? 10_000 : 0) });
    const { changes } = run(initialAdaptState(0), 1000, 4000, "balanced", flat);
    expect(changes).toHaveLength(1);
    expect(changes[0].max_fps).toBe(20);
  });

  it("does not mistake a still screen (low fps, few bytes) for a full link", () => {
    const still = (n: number) => good(n, { fps: 1, bytesPerSec: 2_000 });
    expect(run(initialAdaptState(0), 1000, 20_000, "balanced", still).changes).toEqual([]);
  });

  it("does not step down for low fps while throughput is still changing", () => {
    const rising = (n: number) => good(n, { fps: 8, bytesPerSec: 40_000 * 1.5 ** (n / 1000) });
    expect(run(initialAdaptState(0), 1000, 8000, "balanced", rising).changes).toEqual([]);
  });

  it("ignores a missing RTT measurement", () => {
    expect(adaptStep(initialAdaptState(0), good(5000, { rttMs: null }), "balanced").change).toBeNull();
  });

  it("steps back up one level after ~10 s of good conditions", () => {
    let state = run(initialAdaptState(0), 1000, 10_000, "quality", (n) => good(n, { rttMs: 500 })).state;
    expect(state.level).toBe(3);
    const back = run(state, 11_000, 60_000, "quality", (n) => good(n));
    expect(back.changes.map((c) => `${c.quality}@${c.max_fps}`)).toEqual(["speed@15", "balanced@20", "quality@30"]);
    for (let i = 1; i < back.changes.length; i++) expect(back.changes[i].at - back.changes[i - 1].at).toBeGreaterThanOrEqual(STEP_UP_AFTER_MS);
    state = back.state;
    expect(state.level).toBe(0);
  });

  it("a bad sample restarts the good-conditions clock", () => {
    let state: AdaptState = { ...initialAdaptState(0), level: 1 };
    state = run(state, 1000, 8000, "balanced", (n) => good(n)).state;
    state = adaptStep(state, good(9000, { rttMs: 300 }), "balanced").state; // cooldown not over? it is: steps down
    expect(state.level).toBe(2);
    const after = run(state, 10_000, 18_000, "balanced", (n) => good(n));
    expect(after.changes).toEqual([]);
  });
});

describe("isPlateau", () => {
  it("needs three similar, non-trivial samples", () => {
    expect(isPlateau([100_000, 100_000])).toBe(false);
    expect(isPlateau([100_000, 110_000, 95_000])).toBe(true);
    expect(isPlateau([100_000, 200_000, 95_000])).toBe(false);
    expect(isPlateau([1_000, 1_000, 1_000])).toBe(false);
  });
});
