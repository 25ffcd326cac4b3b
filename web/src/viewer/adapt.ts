// Adapting the stream to the link. Pure: the viewer feeds one sample a second and
// sends stream_settings whenever a decision changes the settings.
//
// Levels: 0 is the user's own preset at 30 fps; each level down lowers max_fps
// (30 -> 20 -> 15 -> 10) and the quality preset by one notch until "speed". The user's
// explicit preset is the ceiling: adaptation never goes above it.
//
// Bad conditions: RTT over 250 ms, a decoder falling behind (queue > 2), or frames far
// below max_fps while the received bytes/s sits on a plateau (the link is full). Step
// down at most once per cooldown; step back up one level after ~10 s of good samples.
import { QUALITIES, type Quality } from "./messages";

export const FPS_LADDER: readonly number[] = [30, 20, 15, 10];
export const MAX_LEVEL = FPS_LADDER.length - 1;

export const RTT_BAD_MS = 250;
export const QUEUE_BAD = 2;
export const FPS_BAD_RATIO = 0.5;
export const PLATEAU_SAMPLES = 3;
export const PLATEAU_TOLERANCE = 0.2;
// Below this a "plateau" is just a still screen, not a full link.
export const PLATEAU_MIN_BYTES_PER_SEC = 32 * 1024;
export const STEP_DOWN_COOLDOWN_MS = 3000;
export const STEP_UP_AFTER_MS = 10000;

export interface AdaptSettings {
  quality: Quality;
  max_fps: number;
}

export interface AdaptSample {
  now: number; // ms
  rttMs: number | null; // null: no measurement yet
  decodeQueue: number;
  fps: number; // frames drawn per second
  bytesPerSec: number; // received
}

export interface AdaptState {
  level: number;
  goodSince: number | null;
  lastChangeAt: number;
  recentBytesPerSec: number[];
}

export function initialAdaptState(now: number): AdaptState {
  return { level: 0, goodSince: null, lastChangeAt: now, recentBytesPerSec: [] };
}

export function levelSettings(level: number, cap: Quality): AdaptSettings {
  const l = Math.max(0, Math.min(MAX_LEVEL, level));
  const q = Math.max(0, QUALITIES.indexOf(cap) - l);
  return { quality: QUALITIES[q], max_fps: FPS_LADDER[l] };
}

// Throughput flat over the last few samples (within ±20% of their mean) and not tiny.
export function isPlateau(recent: readonly number[]): boolean {
  if (recent.length < PLATEAU_SAMPLES) return false;
  const last = recent.slice(-PLATEAU_SAMPLES);
  const mean = last.reduce((a, b) => a + b, 0) / last.length;
  if (mean < PLATEAU_MIN_BYTES_PER_SEC) return false;
  return last.every((v) => Math.abs(v - mean) <= mean * PLATEAU_TOLERANCE);
}

export type BadReason = "rtt" | "decoder" | "throughput";

export function badReasons(sample: AdaptSample, recent: readonly number[], maxFps: number): BadReason[] {
  const out: BadReason[] = [];
  if (sample.rttMs !== null && sample.rttMs > RTT_BAD_MS) out.push("rtt");
  if (sample.decodeQueue > QUEUE_BAD) out.push("decoder");
  if (sample.fps < maxFps * FPS_BAD_RATIO && isPlateau(recent)) out.push("throughput");
  return out;
}

export interface AdaptDecision {
  state: AdaptState;
  // New settings to send, or null to leave things as they are.
  change: AdaptSettings | null;
  reasons: BadReason[];
}

export function adaptStep(state: AdaptState, sample: AdaptSample, cap: Quality): AdaptDecision {
  const recent = [...state.recentBytesPerSec, sample.bytesPerSec].slice(-PLATEAU_SAMPLES);
  const current = levelSettings(state.level, cap);
  const reasons = badReasons(sample, recent, current.max_fps);
  const next: AdaptState = { ...state, recentBytesPerSec: recent };

  if (reasons.length) {
    next.goodSince = null;
    if (state.level < MAX_LEVEL && sample.now - state.lastChangeAt >= STEP_DOWN_COOLDOWN_MS) {
      next.level = state.level + 1;
      next.lastChangeAt = sample.now;
      // The old throughput says nothing about the new settings.
      next.recentBytesPerSec = [];
      return { state: next, change: levelSettings(next.level, cap), reasons };
    }
    return { state: next, change: null, reasons };
  }

  if (next.goodSince === null) next.goodSince = sample.now;
  if (state.level > 0 && sample.now - next.goodSince >= STEP_UP_AFTER_MS) {
    next.level = state.level - 1;
    next.lastChangeAt = sample.now;
    next.goodSince = sample.now;
    next.recentBytesPerSec = [];
    return { state: next, change: levelSettings(next.level, cap), reasons };
  }
  return { state: next, change: null, reasons };
}
