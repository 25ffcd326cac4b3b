// Rate limiting for work triggered by live events: a trailing debouncer (with an
// optional ceiling so a steady stream of events cannot postpone it forever) and a
// single-flight wrapper that never runs two fetches at once and coalesces every
// request made meanwhile into one follow-up run.

export interface Timers {
  set: (fn: () => void, ms: number) => unknown;
  clear: (handle: unknown) => void;
  now: () => number;
}

export const realTimers: Timers = {
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
  now: () => Date.now(),
};

export interface Debounced {
  call: () => void;
  cancel: () => void;
  flush: () => void;
  pending: () => boolean;
}

export function debounce(
  fn: () => void,
  waitMs: number,
  opts: { maxWaitMs?: number; timers?: Timers } = {},
): Debounced {
  const timers = opts.timers ?? realTimers;
  let handle: unknown = null;
  let firstCall = 0;

  const fire = () => {
    handle = null;
    fn();
  };
  const cancel = () => {
    if (handle !== null) timers.clear(handle);
    handle = null;
  };
  return {
    call() {
      const now = timers.now();
      if (handle === null) firstCall = now;
      else timers.clear(handle);
      let delay = waitMs;
      if (opts.maxWaitMs !== undefined) delay = Math.max(0, Math.min(waitMs, firstCall + opts.maxWaitMs - now));
      handle = timers.set(fire, delay);
    },
    cancel,
    flush() {
      if (handle === null) return;
      cancel();
      fn();
    },
    pending: () => handle !== null,
  };
}

export interface SingleFlight {
  // Starts the task, or if it is already running, makes sure it runs once more after.
  run: () => Promise<void>;
  busy: () => boolean;
}

export function singleFlight(task: () => Promise<unknown>): SingleFlight {
  let current: Promise<void> | null = null;
  let again = false;

  const loop = async () => {
    try {
      do {
        again = false;
        try {
          await task();
        } catch {
          // The task reports its own errors; a failure must not wedge later runs.
        }
      } while (again);
    } finally {
      current = null;
    }
  };
  return {
    run() {
      if (current) {
        again = true;
        return current;
      }
      current = loop();
      return current;
    },
    busy: () => current !== null,
  };
}

// Debounced and single-flight: the usual shape for "refetch X when told it changed".
export function refresher(
  task: () => Promise<unknown>,
  waitMs: number,
  opts: { maxWaitMs?: number; timers?: Timers } = {},
): Debounced & { runNow: () => Promise<void> } {
  const flight = singleFlight(task);
  const d = debounce(() => void flight.run(), waitMs, opts);
  return {
    ...d,
    runNow: () => {
      d.cancel();
      return flight.run();
    },
  };
}
