// Sliding-window rates for the status bar (frames drawn/s, bytes received/s).
export class RateWindow {
  private readonly events: Array<{ t: number; n: number }> = [];
  constructor(private readonly windowMs = 1000) {}

  add(now: number, amount = 1): void {
    this.events.push({ t: now, n: amount });
    this.prune(now);
  }

  // Per second, over the last window.
  rate(now: number): number {
    this.prune(now);
    const total = this.events.reduce((a, e) => a + e.n, 0);
    return (total * 1000) / this.windowMs;
  }

  private prune(now: number): void {
    const cutoff = now - this.windowMs;
    let i = 0;
    while (i < this.events.length && this.events[i].t <= cutoff) i++;
    if (i) this.events.splice(0, i);
  }
}

// Round-trip time smoothed the way TCP does it (1/8 new sample).
export function smoothRtt(prev: number | null, sample: number): number {
  return prev === null ? sample : prev + (sample - prev) / 8;
}

export function kbps(bytesPerSec: number): number {
  return Math.round((bytesPerSec * 8) / 1000);
}
