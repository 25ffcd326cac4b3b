// File-transfer messages between the browser and /ws/files/<id> (src/guruconnect/protocol/
// files.py). The server encodes with msgspec `omit_defaults`, so fields equal to their
// default are absent and filled in here. Checked against tests/vectors/files.json.
import { decode, encode } from "@msgpack/msgpack";

export const CHUNK_BYTES = 1024 * 1024;
export const DEFAULT_WINDOW = 16 * CHUNK_BYTES;

export type EntryKind = "file" | "dir" | "link" | "other";
export type Conflict = "ask" | "overwrite" | "rename";
export type UploadSource = "panel" | "drop" | "paste";

export interface Entry {
  name: string;
  kind: EntryKind;
  size: number;
  mtime: number;
}

export interface Root {
  path: string;
  label: string;
  total: number;
  free: number;
}

export type Reply =
  | { type: "roots"; id: number; roots: Root[]; separator: "/" | "\\" }
  | { type: "listing"; id: number; path: string; entries: Entry[]; truncated: boolean }
  | { type: "walk_result"; id: number; path: string; files: { rel: string; size: number }[]; dirs: string[]; truncated: boolean }
  | { type: "upload_ready"; id: number; path: string; offset: number }
  | { type: "upload_ack"; id: number; offset: number }
  | { type: "transfer_done"; id: number; size: number; sha256: string }
  | { type: "file_error"; id: number; code: string; message: string; existing: Entry | null }
  | { type: "download_progress"; transfer: string; done: number; total: number; state: "running" | "completed" | "failed" | "cancelled"; sha256: string; message: string };

export type Request =
  | { type: "list_roots"; id: number }
  | { type: "list_dir"; id: number; path: string }
  | { type: "walk"; id: number; path: string }
  | { type: "upload_begin"; id: number; path: string; size: number; conflict?: Conflict; mkdirs?: boolean; source?: UploadSource }
  | { type: "upload_chunk"; id: number; offset: number; data: Uint8Array }
  | { type: "upload_end"; id: number; sha256: string }
  | { type: "cancel"; id: number }
  | { type: "cancel_download"; transfer: string };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const num = (o: Obj, k: string, d?: number): number | undefined => {
  const v = o[k] ?? d;
  return typeof v === "number" && Number.isFinite(v) ? v : typeof v === "bigint" ? Number(v) : undefined;
};
const str = (o: Obj, k: string, d?: string): string | undefined => {
  const v = o[k] ?? d;
  return typeof v === "string" ? v : undefined;
};

function entry(raw: unknown): Entry | null {
  if (!isObj(raw)) return null;
  const name = str(raw, "name");
  const kind = str(raw, "kind");
  const size = num(raw, "size", 0);
  const mtime = num(raw, "mtime", 0);
  if (name === undefined || size === undefined || mtime === undefined) return null;
  if (kind !== "file" && kind !== "dir" && kind !== "link" && kind !== "other") return null;
  return { name, kind, size, mtime };
}

function list<T>(raw: unknown, parse: (x: unknown) => T | null): T[] | null {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) return null;
  const out = raw.map(parse);
  return out.some((x) => x === null) ? null : (out as T[]);
}

// A decoded map -> a typed reply with defaults applied, or null if malformed.
export function parseReply(raw: unknown): Reply | null {
  if (!isObj(raw)) return null;
  const id = num(raw, "id");
  switch (raw.type) {
    case "roots": {
      const roots = list(raw.roots, (r): Root | null => {
        if (!isObj(r)) return null;
        const path = str(r, "path");
        if (path === undefined) return null;
        return { path, label: str(r, "label", "") ?? "", total: num(r, "total", 0) ?? 0, free: num(r, "free", 0) ?? 0 };
      });
      const separator = str(raw, "separator", "/");
      if (id === undefined || !roots || (separator !== "/" && separator !== "\\")) return null;
      return { type: "roots", id, roots, separator };
    }
    case "listing": {
      const path = str(raw, "path");
      const entries = list(raw.entries, entry);
      if (id === undefined || path === undefined || !entries) return null;
      return { type: "listing", id, path, entries, truncated: raw.truncated === true };
    }
    case "walk_result": {
      const path = str(raw, "path");
      const files = list(raw.files, (f) => {
        if (!isObj(f)) return null;
        const rel = str(f, "rel");
        const size = num(f, "size", 0);
        return rel === undefined || size === undefined ? null : { rel, size };
      });
      const dirs = list(raw.dirs, (d) => (typeof d === "string" ? d : null));
      if (id === undefined || path === undefined || !files || !dirs) return null;
      return { type: "walk_result", id, path, files, dirs, truncated: raw.truncated === true };
    }
    case "upload_ready": {
      const path = str(raw, "path");
      const offset = num(raw, "offset", 0);
      if (id === undefined || path === undefined || offset === undefined) return null;
      return { type: "upload_ready", id, path, offset };
    }
    case "upload_ack": {
      const offset = num(raw, "offset");
      if (id === undefined || offset === undefined) return null;
      return { type: "upload_ack", id, offset };
    }
    case "transfer_done": {
      const size = num(raw, "size");
      const sha256 = str(raw, "sha256");
      if (id === undefined || size === undefined || sha256 === undefined) return null;
      return { type: "transfer_done", id, size, sha256 };
    }
    case "file_error": {
      const code = str(raw, "code");
      const message = str(raw, "message");
      const existing = raw.existing === undefined || raw.existing === null ? null : entry(raw.existing);
      if (id === undefined || code === undefined || message === undefined) return null;
      return { type: "file_error", id, code, message, existing };
    }
    case "download_progress": {
      const transfer = str(raw, "transfer");
      const done = num(raw, "done");
      const total = num(raw, "total");
      const state = str(raw, "state", "running");
      if (transfer === undefined || done === undefined || total === undefined) return null;
      if (state !== "running" && state !== "completed" && state !== "failed" && state !== "cancelled") return null;
      return { type: "download_progress", transfer, done, total, state, sha256: str(raw, "sha256", "") ?? "", message: str(raw, "message", "") ?? "" };
    }
    default:
      return null;
  }
}

export function decodeReply(data: ArrayBuffer | Uint8Array): Reply | null {
  try {
    return parseReply(decode(data instanceof Uint8Array ? data : new Uint8Array(data)));
  } catch {
    return null;
  }
}

export function encodeRequest(m: Request): Uint8Array {
  return encode(m);
}
