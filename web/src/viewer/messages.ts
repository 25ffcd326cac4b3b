// Viewer socket messages (/ws/viewer/<machine_id>), mirroring
// src/guruconnect/protocol/desktop.py: MessagePack maps tagged by `type`.
//
// The server encodes with msgspec `omit_defaults`, so any field equal to its default
// may be missing; the parsers below fill the defaults back in. The builders do the
// reverse (field order as in desktop.py, defaults left out) so the bytes we send are
// the ones Python itself would produce (checked against tests/vectors/desktop.json).
import { decode, encode } from "@msgpack/msgpack";
import { parseClipboardMessage, type ClipboardServerMessage } from "./clipboardMessages";

export type Codec = "h264" | "jpeg";
export type Quality = "speed" | "balanced" | "quality";
export type Role = "controller" | "observer";

export const QUALITIES: readonly Quality[] = ["speed", "balanced", "quality"];

// Bits of PointerInput.buttons, as in DOM MouseEvent.buttons.
export const BUTTON_LEFT = 1;
export const BUTTON_RIGHT = 2;
export const BUTTON_MIDDLE = 4;
export const BUTTON_BACK = 8;
export const BUTTON_FORWARD = 16;

export const COORD_MIN = -32768;
export const COORD_MAX = 32767;
export const WHEEL_MAX = 100;
export const KEY_FIELD_MAX = 32;

// --- server -> viewer --------------------------------------------------------------

export interface Monitor {
  id: number;
  x: number;
  y: number;
  width: number;
  height: number;
  primary: boolean;
  name: string;
}

export interface MonitorsMsg {
  type: "monitors";
  monitors: Monitor[];
}

export interface VideoMsg {
  type: "video";
  seq: number;
  keyframe: boolean;
  width: number;
  height: number;
  data: Uint8Array;
  monitor: number; // -1: all monitors (the virtual screen)
  codec: "h264";
  captured_at: number;
  input_seq: number;
}

export interface Tile {
  x: number;
  y: number;
  width: number;
  height: number;
  data: Uint8Array; // JPEG
}

export interface TilesMsg {
  type: "tiles";
  seq: number;
  keyframe: boolean;
  width: number;
  height: number;
  tiles: Tile[];
  monitor: number;
  codec: "jpeg";
  captured_at: number;
  input_seq: number;
}

export interface ViewerStateMsg {
  type: "viewer_state";
  role: Role;
  viewers: number;
  controller: string;
  agent_connected: boolean;
}

export interface PongMsg {
  type: "pong";
  t: number;
}

export type ServerMessage = MonitorsMsg | VideoMsg | TilesMsg | ViewerStateMsg | PongMsg | ClipboardServerMessage;

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => !!v && typeof v === "object" && !Array.isArray(v) && !(v instanceof Uint8Array);
const isInt = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v);
const isNum = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

// Required integer field, or optional with a default when absent.
function int(m: Obj, key: string, dflt?: number): number | undefined {
  const v = m[key];
  if (v === undefined) return dflt;
  return isInt(v) ? v : undefined;
}

function float(m: Obj, key: string, dflt?: number): number | undefined {
  const v = m[key];
  if (v === undefined) return dflt;
  return isNum(v) ? v : undefined;
}

function bool(m: Obj, key: string, dflt?: boolean): boolean | undefined {
  const v = m[key];
  if (v === undefined) return dflt;
  return typeof v === "boolean" ? v : undefined;
}

function str(m: Obj, key: string, dflt?: string): string | undefined {
  const v = m[key];
  if (v === undefined) return dflt;
  return typeof v === "string" ? v : undefined;
}

function bytes(m: Obj, key: string): Uint8Array | undefined {
  const v = m[key];
  return v instanceof Uint8Array ? v : undefined;
}

function parseMonitor(v: unknown): Monitor | null {
  if (!isObj(v)) return null;
  const id = int(v, "id");
  const x = int(v, "x");
  const y = int(v, "y");
  const width = int(v, "width");
  const height = int(v, "height");
  const primary = bool(v, "primary", false);
  const name = str(v, "name", "");
  if (id === undefined || x === undefined || y === undefined || width === undefined || height === undefined) return null;
  if (primary === undefined || name === undefined || width < 1 || height < 1) return null;
  return { id, x, y, width, height, primary, name };
}

function parseTile(v: unknown): Tile | null {
  if (!isObj(v)) return null;
  const x = int(v, "x");
  const y = int(v, "y");
  const width = int(v, "width");
  const height = int(v, "height");
  const data = bytes(v, "data");
  if (x === undefined || y === undefined || width === undefined || height === undefined || !data) return null;
  return { x, y, width, height, data };
}

// Fields shared by video and tiles frames.
function frameHeader(m: Obj) {
  const seq = int(m, "seq");
  const keyframe = bool(m, "keyframe");
  const width = int(m, "width");
  const height = int(m, "height");
  const monitor = int(m, "monitor", -1);
  const captured_at = float(m, "captured_at", 0);
  const input_seq = int(m, "input_seq", 0);
  if (
    seq === undefined ||
    keyframe === undefined ||
    width === undefined ||
    height === undefined ||
    monitor === undefined ||
    captured_at === undefined ||
    input_seq === undefined ||
    width < 1 ||
    height < 1
  ) {
    return null;
  }
  return { seq, keyframe, width, height, monitor, captured_at, input_seq };
}

// A decoded MessagePack map -> a typed message with defaults applied, or null when it is
// not a well-formed server -> viewer message (unknown types are ignored, not fatal).
export function parseServerMessage(raw: unknown): ServerMessage | null {
  if (!isObj(raw)) return null;
  switch (raw.type) {
    case "monitors": {
      if (!Array.isArray(raw.monitors)) return null;
      const monitors = raw.monitors.map(parseMonitor);
      if (monitors.length === 0 || monitors.some((x) => x === null)) return null;
      return { type: "monitors", monitors: monitors as Monitor[] };
    }
    case "video": {
      const h = frameHeader(raw);
      const data = bytes(raw, "data");
      const codec = str(raw, "codec", "h264");
      if (!h || !data || codec !== "h264") return null;
      return { type: "video", seq: h.seq, keyframe: h.keyframe, width: h.width, height: h.height, data, monitor: h.monitor, codec, captured_at: h.captured_at, input_seq: h.input_seq };
    }
    case "tiles": {
      const h = frameHeader(raw);
      const codec = str(raw, "codec", "jpeg");
      if (!h || codec !== "jpeg" || !Array.isArray(raw.tiles)) return null;
      const tiles = raw.tiles.map(parseTile);
      if (tiles.some((t) => t === null)) return null;
      return { type: "tiles", seq: h.seq, keyframe: h.keyframe, width: h.width, height: h.height, tiles: tiles as Tile[], monitor: h.monitor, codec, captured_at: h.captured_at, input_seq: h.input_seq };
    }
    case "viewer_state": {
      const role = str(raw, "role");
      const viewers = int(raw, "viewers");
      const controller = str(raw, "controller", "");
      const agent_connected = bool(raw, "agent_connected", false);
      if ((role !== "controller" && role !== "observer") || viewers === undefined) return null;
      if (controller === undefined || agent_connected === undefined) return null;
      return { type: "viewer_state", role, viewers, controller, agent_connected };
    }
    case "pong": {
      const t = float(raw, "t");
      return t === undefined ? null : { type: "pong", t };
    }
    default:
      return parseClipboardMessage(raw);
  }
}

export function decodeServerFrame(data: ArrayBuffer | Uint8Array): ServerMessage | null {
  let raw: unknown;
  try {
    raw = decode(data instanceof Uint8Array ? data : new Uint8Array(data));
  } catch {
    return null;
  }
  return parseServerMessage(raw);
}

// --- viewer -> server --------------------------------------------------------------

export interface StreamSettings {
  monitor: number;
  codec: Codec;
  quality: Quality;
  max_fps: number;
}

export const DEFAULT_STREAM_SETTINGS: Readonly<StreamSettings> = { monitor: -1, codec: "h264", quality: "balanced", max_fps: 30 };

export interface PointerFields {
  seq: number;
  x: number;
  y: number;
  buttons?: number;
  wheel_x?: number;
  wheel_y?: number;
}

export interface KeyFields {
  seq: number;
  down: boolean;
  code?: string;
  key?: string;
}

export type ClientMessage = { type: string } & Obj;

// Adds key=value unless value equals the protocol default (msgspec omit_defaults).
function put(m: Obj, key: string, value: unknown, dflt?: unknown): void {
  if (dflt !== undefined && value === dflt) return;
  m[key] = value;
}

const clampInt = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, Math.trunc(v)));

export function streamSettingsMsg(s: Partial<StreamSettings> = {}): ClientMessage {
  const full = { ...DEFAULT_STREAM_SETTINGS, ...s };
  const m: ClientMessage = { type: "stream_settings" };
  put(m, "monitor", clampInt(full.monitor, -1, 64), -1);
  put(m, "codec", full.codec, "h264");
  put(m, "quality", full.quality, "balanced");
  put(m, "max_fps", clampInt(full.max_fps, 1, 60), 30);
  return m;
}

export function keyframeRequestMsg(): ClientMessage {
  return { type: "keyframe_request" };
}

export function pointerMsg(p: PointerFields): ClientMessage {
  const m: ClientMessage = { type: "pointer" };
  put(m, "seq", p.seq);
  put(m, "x", clampInt(p.x, COORD_MIN, COORD_MAX));
  put(m, "y", clampInt(p.y, COORD_MIN, COORD_MAX));
  put(m, "buttons", clampInt(p.buttons ?? 0, 0, 31), 0);
  put(m, "wheel_x", clampInt(p.wheel_x ?? 0, -WHEEL_MAX, WHEEL_MAX), 0);
  put(m, "wheel_y", clampInt(p.wheel_y ?? 0, -WHEEL_MAX, WHEEL_MAX), 0);
  return m;
}

export function keyMsg(k: KeyFields): ClientMessage {
  const m: ClientMessage = { type: "key" };
  put(m, "seq", k.seq);
  put(m, "down", k.down);
  put(m, "code", (k.code ?? "").slice(0, KEY_FIELD_MAX), "");
  put(m, "key", (k.key ?? "").slice(0, KEY_FIELD_MAX), "");
  return m;
}

export function releaseAllMsg(seq: number): ClientMessage {
  const m: ClientMessage = { type: "release_all" };
  put(m, "seq", seq, 0);
  return m;
}

export function takeControlMsg(): ClientMessage {
  return { type: "take_control" };
}

export function releaseControlMsg(): ClientMessage {
  return { type: "release_control" };
}

export function pingMsg(t: number): ClientMessage {
  return { type: "ping", t };
}

export function encodeClientMessage(m: ClientMessage): Uint8Array {
  return encode(m);
}
