// Clipboard and paste-as-keystrokes messages, mirroring
// src/guruconnect/protocol/clipboard.py (checked against tests/vectors/clipboard.json).
// Builders put fields in the Python order and leave defaults out (msgspec omit_defaults).
import type { ClientMessage } from "./messages";

export type ClipKind = "text" | "html" | "png";
export const CLIP_KINDS: readonly ClipKind[] = ["text", "html", "png"];
export const CHUNK_BYTES = 64 * 1024;
export const MAX_TYPE_CHARS = 20_000;
export const DEFAULT_TYPE_INTERVAL_MS = 20;

export interface ClipFormat {
  kind: ClipKind;
  size: number;
  sha256: Uint8Array;
}

export interface ClipboardOfferMsg {
  type: "clipboard_offer";
  transfer: number;
  formats: ClipFormat[];
  request: number;
}

export interface ClipboardChunkMsg {
  type: "clipboard_chunk";
  transfer: number;
  index: number;
  data: Uint8Array;
}

export interface ClipboardErrorMsg {
  type: "clipboard_error";
  transfer: number;
  message: string;
  request: number;
}

export interface CopiedFileInfo {
  path: string;
  kind: "file" | "dir";
  size: number;
}

// Files copied on the remote machine: paths only, fetched through the file downloads.
export interface ClipboardFilesMsg {
  type: "clipboard_files";
  files: CopiedFileInfo[];
  truncated: boolean;
  request: number;
}

export const MAX_COPIED_FILES = 500;

export type TypeState = "typing" | "done" | "cancelled" | "failed";

export interface TypeProgressMsg {
  type: "type_progress";
  job: number;
  typed: number;
  total: number;
  state: TypeState;
  skipped: number;
}

export type ClipboardServerMessage = ClipboardOfferMsg | ClipboardChunkMsg | ClipboardFilesMsg | ClipboardErrorMsg | TypeProgressMsg;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === "object" && !Array.isArray(v) && !(v instanceof Uint8Array);
const isCount = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v) && v >= 0;

function count(m: Obj, key: string, dflt?: number): number | undefined {
  const v = m[key];
  if (v === undefined) return dflt;
  return isCount(v) ? v : undefined;
}

function parseFormat(v: unknown): ClipFormat | null {
  if (!isObj(v)) return null;
  const { kind, size, sha256 } = v;
  if (kind !== "text" && kind !== "html" && kind !== "png") return null;
  if (!isCount(size) || !(sha256 instanceof Uint8Array) || sha256.length !== 32) return null;
  return { kind, size, sha256 };
}

function parseCopiedFile(v: unknown): CopiedFileInfo | null {
  if (!isObj(v)) return null;
  const { path } = v;
  const kind = v.kind ?? "file";
  const size = count(v, "size", 0);
  if (typeof path !== "string" || path.length < 1 || path.length > 4096) return null;
  if ((kind !== "file" && kind !== "dir") || size === undefined) return null;
  return { path, kind, size };
}

// A clipboard/typing message from the server, or null when `raw` is not one.
export function parseClipboardMessage(raw: Obj): ClipboardServerMessage | null {
  switch (raw.type) {
    case "clipboard_offer": {
      const transfer = count(raw, "transfer");
      const request = count(raw, "request", 0);
      if (transfer === undefined || request === undefined || !Array.isArray(raw.formats)) return null;
      const formats = raw.formats.map(parseFormat);
      if (formats.length < 1 || formats.length > 3 || formats.some((f) => f === null)) return null;
      return { type: "clipboard_offer", transfer, formats: formats as ClipFormat[], request };
    }
    case "clipboard_chunk": {
      const transfer = count(raw, "transfer");
      const index = count(raw, "index");
      const data = raw.data;
      if (transfer === undefined || index === undefined || !(data instanceof Uint8Array)) return null;
      return { type: "clipboard_chunk", transfer, index, data };
    }
    case "clipboard_files": {
      const request = count(raw, "request", 0);
      const truncated = raw.truncated ?? false;
      if (request === undefined || typeof truncated !== "boolean" || !Array.isArray(raw.files)) return null;
      const files = raw.files.map(parseCopiedFile);
      if (files.length < 1 || files.length > MAX_COPIED_FILES || files.some((f) => f === null)) return null;
      return { type: "clipboard_files", files: files as CopiedFileInfo[], truncated, request };
    }
    case "clipboard_error": {
      const transfer = count(raw, "transfer");
      const request = count(raw, "request", 0);
      const message = raw.message;
      if (transfer === undefined || request === undefined || typeof message !== "string") return null;
      return { type: "clipboard_error", transfer, message, request };
    }
    case "type_progress": {
      const job = count(raw, "job");
      const typed = count(raw, "typed");
      const total = count(raw, "total");
      const skipped = count(raw, "skipped", 0);
      const state = raw.state ?? "typing";
      if (job === undefined || typed === undefined || total === undefined || skipped === undefined) return null;
      if (state !== "typing" && state !== "done" && state !== "cancelled" && state !== "failed") return null;
      return { type: "type_progress", job, typed, total, state, skipped };
    }
    default:
      return null;
  }
}

export function clipboardOfferMsg(transfer: number, formats: ClipFormat[], request = 0): ClientMessage {
  const m: ClientMessage = { type: "clipboard_offer", transfer, formats: formats.map((f) => ({ kind: f.kind, size: f.size, sha256: f.sha256 })) };
  if (request) m.request = request;
  return m;
}

export function clipboardChunkMsg(transfer: number, index: number, data: Uint8Array): ClientMessage {
  return { type: "clipboard_chunk", transfer, index, data };
}

export function clipboardRequestMsg(request: number): ClientMessage {
  return { type: "clipboard_request", request };
}

export function typeTextMsg(job: number, text: string, intervalMs = DEFAULT_TYPE_INTERVAL_MS): ClientMessage {
  const m: ClientMessage = { type: "type_text", job, text };
  const interval = Math.min(1000, Math.max(0, Math.round(intervalMs)));
  if (interval !== DEFAULT_TYPE_INTERVAL_MS) m.interval_ms = interval;
  return m;
}

export function typeCancelMsg(job: number): ClientMessage {
  return { type: "type_cancel", job };
}
