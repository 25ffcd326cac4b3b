// Browser pointer position -> remote virtual-screen pixels. Pure, so it can be tested
// at any scale: the canvas's intrinsic size is the remote frame size, its CSS box is
// however large the page draws it, and a frame of one monitor sits at that monitor's
// offset in the virtual screen (monitor -1, "all monitors", starts at the minimum x/y).
import { COORD_MAX, COORD_MIN, type Monitor } from "./messages";

export interface Box {
  left: number;
  top: number;
  width: number;
  height: number;
}

export interface Point {
  x: number;
  y: number;
}

// Top-left of the virtual screen: the smallest x and y over all monitors.
export function virtualOrigin(monitors: readonly Monitor[]): Point {
  if (monitors.length === 0) return { x: 0, y: 0 };
  return { x: Math.min(...monitors.map((m) => m.x)), y: Math.min(...monitors.map((m) => m.y)) };
}

// Where a frame of `monitor` starts in virtual-screen coordinates.
export function monitorOffset(monitors: readonly Monitor[], monitor: number): Point {
  if (monitor >= 0) {
    const m = monitors.find((mon) => mon.id === monitor);
    if (m) return { x: m.x, y: m.y };
  }
  return virtualOrigin(monitors);
}

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

// Maps a client (viewport) position over the canvas to integer remote coordinates,
// clamped to the frame so a drag that leaves the canvas stays on the remote edge.
export function toRemote(
  clientX: number,
  clientY: number,
  box: Box,
  frameWidth: number,
  frameHeight: number,
  offset: Point = { x: 0, y: 0 },
): Point {
  const fx = box.width > 0 ? Math.floor(((clientX - box.left) * frameWidth) / box.width) : 0;
  const fy = box.height > 0 ? Math.floor(((clientY - box.top) * frameHeight) / box.height) : 0;
  const x = clamp(fx, 0, Math.max(0, frameWidth - 1)) + offset.x;
  const y = clamp(fy, 0, Math.max(0, frameHeight - 1)) + offset.y;
  return { x: clamp(x, COORD_MIN, COORD_MAX), y: clamp(y, COORD_MIN, COORD_MAX) };
}

// CSS size of the canvas: fit inside the available area keeping the aspect ratio,
// or one remote pixel per CSS pixel.
export function displaySize(
  frameWidth: number,
  frameHeight: number,
  availWidth: number,
  availHeight: number,
  fit: boolean,
): { width: number; height: number } {
  if (!fit || frameWidth <= 0 || frameHeight <= 0 || availWidth <= 0 || availHeight <= 0) {
    return { width: frameWidth, height: frameHeight };
  }
  const scale = Math.min(availWidth / frameWidth, availHeight / frameHeight);
  return { width: Math.max(1, Math.floor(frameWidth * scale)), height: Math.max(1, Math.floor(frameHeight * scale)) };
}
