// The transfer queue's arithmetic, kept pure for unit tests: progress, speed over a
// sliding window, remaining time, and the chunk plan of an upload under a credit window.
import { CHUNK_BYTES } from "./messages";

export type TransferState = "queued" | "running" | "conflict" | "completed" | "failed" | "cancelled" | "skipped";
export type Direction = "upload" | "download";

export interface Sample {
  t: number; // ms
  bytes: number; // total done at t
}

export interface TransferView {
  id: number;
  direction: Direction;
  name: string;
  path: string; // remote path
  size: number;
  done: number;
  state: TransferState;
  message: string;
  sha256: string;
  samples: Sample[];
}

export const SPEED_WINDOW_MS = 3000;

// Record progress; keep only the samples inside the speed window (plus one before it).
export function addSample(samples: Sample[], t: number, bytes: number): Sample[] {
  const out = [...samples, { t, bytes }];
  while (out.length > 2 && out[1]!.t < t - SPEED_WINDOW_MS) out.shift();
  return out;
}

// Bytes per second over the window; 0 until there are two samples apart in time.
export function speed(samples: Sample[]): number {
  if (samples.length < 2) return 0;
  const first = samples[0]!;
  const last = samples[samples.length - 1]!;
  const dt = last.t - first.t;
  return dt > 0 ? ((last.bytes - first.bytes) * 1000) / dt : 0;
}

// Seconds left at the current speed, or null when unknown.
export function remainingSeconds(size: number, done: number, bytesPerSecond: number): number | null {
  if (bytesPerSecond <= 0 || done >= size) return done >= size ? 0 : null;
  return (size - done) / bytesPerSecond;
}

export function fraction(size: number, done: number): number {
  if (size <= 0) return 1;
  return Math.min(1, Math.max(0, done / size));
}

export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return "–";
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

export function formatRate(bytesPerSecond: number): string {
  if (bytesPerSecond <= 0) return "–";
  const mb = bytesPerSecond / 1e6;
  return mb >= 1 ? `${mb.toFixed(1)} MB/s` : `${(bytesPerSecond / 1e3).toFixed(0)} kB/s`;
}

// The next chunk an uploader may send: [offset, end) within the credit window, or null
// when it must wait for an ack (or has sent everything).
export function nextChunk(size: number, sent: number, acked: number, window: number, chunk = CHUNK_BYTES): [number, number] | null {
  if (sent >= size) return null;
  if (sent - acked >= window) return null;
  return [sent, Math.min(size, sent + chunk)];
}

// Which transfer runs next: the first queued one, while none runs (one at a time keeps
// each transfer at full speed and the queue order meaningful).
export function nextToStart<T extends TransferView>(transfers: T[]): T | null {
  if (transfers.some((t) => t.state === "running")) return null;
  return transfers.find((t) => t.state === "queued") ?? null;
}
