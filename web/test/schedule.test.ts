import { describe, expect, it } from "vitest";
import { debounce, refresher, singleFlight, type Timers } from "../src/schedule";

function fakeTimers() {
  let now = 0;
  let next = 1;
  const pending = new Map<number, { at: number; fn: () => void }>();
  const timers: Timers = {
    set: (fn, ms) => {
      const id = next++;
      pending.set(id, { at: now + ms, fn });
      return id;
    },
    clear: (h) => void pending.delete(h as number),
    now: () => now,
  };
  const advance = (ms: number) => {
    const end = now + ms;
    for (;;) {
      const due = [...pending.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      pending.delete(due[0]);
      now = due[1].at;
      due[1].fn();
    }
    now = end;
  };
  return { timers, advance, pending };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe("debounce", () => {
  it("runs once, after the calls stop", () => {
    const t = fakeTimers();
    let n = 0;
    const d = debounce(() => n++, 500, { timers: t.timers });
    d.call();
    t.advance(300);
    d.call();
    t.advance(300);
    expect(n).toBe(0);
    t.advance(200);
    expect(n).toBe(1);
    t.advance(5000);
    expect(n).toBe(1);
  });

  it("a steady stream still fires by maxWait", () => {
    const t = fakeTimers();
    let n = 0;
    const d = debounce(() => n++, 500, { maxWaitMs: 2000, timers: t.timers });
    for (let i = 0; i < 30; i++) {
      d.call();
      t.advance(100);
    }
    // 3000 ms of calls every 100 ms: fired at 2000, and the stream is still going.
    expect(n).toBe(1);
    t.advance(1000);
    expect(n).toBe(2);
  });

  it("cancel and flush", () => {
    const t = fakeTimers();
    let n = 0;
    const d = debounce(() => n++, 500, { timers: t.timers });
    d.call();
    d.cancel();
    t.advance(1000);
    expect(n).toBe(0);
    d.call();
    expect(d.pending()).toBe(true);
    d.flush();
    expect(n).toBe(1);
    expect(d.pending()).toBe(false);
    d.flush();
    expect(n).toBe(1);
  });
});

describe("singleFlight", () => {
  it("never runs two at once and coalesces requests made meanwhile into one rerun", async () => {
    let running = 0;
    let maxRunning = 0;
    let runs = 0;
    const resolvers: Array<() => void> = [];
    const f = singleFlight(
      () =>
        new Promise<void>((resolve) => {
          running++;
          runs++;
          maxRunning = Math.max(maxRunning, running);
          resolvers.push(() => {
            running--;
            resolve();
          });
        }),
    );
    void f.run();
    void f.run();
    void f.run();
    void f.run();
    expect(runs).toBe(1);
    expect(f.busy()).toBe(true);
    resolvers.shift()!();
    await tick();
    expect(runs).toBe(2);
    resolvers.shift()!();
    await tick();
    expect(runs).toBe(2);
    expect(maxRunning).toBe(1);
    expect(f.busy()).toBe(false);
  });

  it("keeps working after a failure", async () => {
    let runs = 0;
    const f = singleFlight(async () => {
      runs++;
      throw new Error("boom");
    });
    await f.run();
    await f.run();
    expect(runs).toBe(2);
  });
});

describe("refresher", () => {
  it("debounces into a single-flight task", async () => {
    const t = fakeTimers();
    let runs = 0;
    let release: () => void = () => {};
    const r = refresher(
      () =>
        new Promise<void>((resolve) => {
          runs++;
          release = resolve;
        }),
      500,
      { timers: t.timers },
    );
    r.call();
    r.call();
    t.advance(500);
    expect(runs).toBe(1);
    r.call();
    t.advance(500); // still in flight: queued, not concurrent
    expect(runs).toBe(1);
    release();
    await tick();
    expect(runs).toBe(2);
    release();
    await tick();
    r.call();
    void r.runNow(); // cancels the pending call and runs at once
    expect(runs).toBe(3);
    t.advance(1000);
    release();
    await tick();
    expect(runs).toBe(3);
  });
});
