// Clipboard sync and paste-as-keystrokes, the viewer's side.
//
//   send   local clipboard (navigator.clipboard.read, or what the user pasted) ->
//          clipboard_offer + clipboard_chunk*, paced on the socket's buffer
//   receive clipboard_offer + chunks -> sizes and SHA-256 checked -> written to the local
//          clipboard (automatic sync on, or the answer to "Get clipboard")
//   type   type_text -> type_progress ... until done/cancelled; type_cancel stops it
//
// What was just received is remembered by hash, so the next automatic read (on focus)
// does not send it straight back to the remote machine.
import {
  CHUNK_BYTES,
  CLIP_KINDS,
  MAX_TYPE_CHARS,
  clipboardChunkMsg,
  clipboardOfferMsg,
  clipboardRequestMsg,
  typeCancelMsg,
  typeTextMsg,
  type ClipFormat,
  type ClipKind,
  type ClipboardServerMessage,
  type CopiedFileInfo,
  type TypeState,
} from "./clipboardMessages";
import type { ClientMessage } from "./messages";

export type ClipItem = Partial<Record<ClipKind, Uint8Array>>;

export const MIME: Record<ClipKind, string> = { text: "text/plain", html: "text/html", png: "image/png" };
// Above this many characters the paste dialog asks before typing.
export const CONFIRM_TYPE_CHARS = 200;
const BUFFER_HIGH = 1024 * 1024; // bytes queued on the socket before we wait

// The browser's clipboard, behind an interface so tests can use a real in-memory one.
export interface ClipboardAccess {
  read(): Promise<ClipItem>;
  write(item: ClipItem): Promise<void>;
}

export interface TransferStatus {
  direction: "send" | "receive";
  done: number;
  total: number;
}

export interface TypingStatus {
  job: number;
  typed: number;
  total: number;
  state: TypeState;
  skipped: number;
}

export interface RemoteFiles {
  files: CopiedFileInfo[];
  truncated: boolean;
}

export interface ClipboardUi {
  auto: boolean;
  transfer: TransferStatus | null;
  notice: string; // last outcome, for the status line
  error: string; // last error (over the limit, refused...)
  typing: TypingStatus | null;
  files: RemoteFiles | null; // the last files copied on the remote machine
  sent: number; // items sent / received, for tests and the probe
  received: number;
}

export interface ClipboardSyncOptions {
  send: (m: ClientMessage) => boolean;
  access: ClipboardAccess;
  onUi: (ui: ClipboardUi) => void;
  buffered?: () => number; // bytes the socket has not sent yet
  sleep?: (ms: number) => Promise<void>;
}

export async function sha256(data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", data as Uint8Array<ArrayBuffer>));
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

async function fingerprint(item: ClipItem): Promise<string> {
  const parts: string[] = [];
  for (const kind of CLIP_KINDS) {
    const data = item[kind];
    if (data) parts.push(`${kind}:${Array.from(await sha256(data), (b) => b.toString(16).padStart(2, "0")).join("")}`);
  }
  return parts.join(",");
}

export function describeSize(bytes: number): string {
  if (bytes >= 1_000_000) return `${(bytes / 1_000_000).toFixed(1)} MB`;
  if (bytes >= 1000) return `${Math.round(bytes / 1000)} kB`;
  return `${bytes} bytes`;
}

interface Incoming {
  transfer: number;
  formats: ClipFormat[];
  total: number;
  parts: Uint8Array[];
  received: number;
  nextIndex: number;
  request: number;
}

export class ClipboardSync {
  private ui: ClipboardUi = { auto: true, transfer: null, notice: "", error: "", typing: null, files: null, sent: 0, received: 0 };
  private nextId = 1;
  private incoming: Incoming | null = null;
  private pendingRequest = 0;
  // Fingerprints of the item last sent or received, and of that item as the browser
  // gives it back (Chromium re-encodes images and sanitizes HTML on its clipboard).
  private known = new Set<string>();
  private sending = false;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly opts: ClipboardSyncOptions) {
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  get state(): ClipboardUi {
    return this.ui;
  }

  setAuto(auto: boolean): void {
    this.update({ auto });
  }

  // --- local -> remote ---

  // Automatic sync (window focus): send the local clipboard if it changed.
  async syncLocal(): Promise<void> {
    if (!this.ui.auto) return;
    await this.sendClipboard(false);
  }

  // "Send clipboard" (explicit = true sends even an unchanged item).
  async sendClipboard(explicit = true): Promise<boolean> {
    let item: ClipItem;
    try {
      item = await this.opts.access.read();
    } catch (err) {
      if (explicit) this.update({ error: `The browser did not let us read your clipboard (${(err as Error).message || err}).` });
      return false;
    }
    if (!CLIP_KINDS.some((k) => item[k])) {
      if (explicit) this.update({ error: "Your clipboard holds nothing we can send (text, HTML or a PNG image)." });
      return false;
    }
    const print = await fingerprint(item);
    if (!explicit && this.known.has(print)) return false;
    return this.sendItem(item, print);
  }

  async sendItem(item: ClipItem, print?: string): Promise<boolean> {
    if (this.sending) return false;
    this.sending = true;
    try {
      const formats: ClipFormat[] = [];
      const bodies: Uint8Array[] = [];
      for (const kind of CLIP_KINDS) {
        const data = item[kind];
        if (!data) continue;
        formats.push({ kind, size: data.length, sha256: await sha256(data) });
        bodies.push(data);
      }
      const total = bodies.reduce((n, b) => n + b.length, 0);
      const transfer = this.nextId++;
      if (!this.opts.send(clipboardOfferMsg(transfer, formats))) return false;
      this.known = new Set([print ?? (await fingerprint(item))]);
      this.update({ transfer: { direction: "send", done: 0, total }, error: "" });
      let index = 0;
      let done = 0;
      for (const body of bodies) {
        for (let at = 0; at < body.length; at += CHUNK_BYTES) {
          while ((this.opts.buffered?.() ?? 0) > BUFFER_HIGH) await this.sleep(20);
          if (this.ui.error && this.ui.transfer === null) return false; // refused meanwhile
          const data = body.subarray(at, at + CHUNK_BYTES);
          if (!this.opts.send(clipboardChunkMsg(transfer, index++, data))) {
            this.update({ transfer: null, error: "The connection closed while sending the clipboard." });
            return false;
          }
          done += data.length;
          this.update({ transfer: { direction: "send", done, total } });
        }
      }
      this.update({ transfer: null, notice: `Clipboard sent (${describeSize(total)}).`, sent: this.ui.sent + 1 });
      return true;
    } finally {
      this.sending = false;
    }
  }

  // --- remote -> local ---

  requestRemote(): void {
    this.pendingRequest = this.nextId++;
    this.opts.send(clipboardRequestMsg(this.pendingRequest));
  }

  // Handles a clipboard/typing message; returns once the item is written, for tests.
  async onMessage(m: ClipboardServerMessage): Promise<void> {
    switch (m.type) {
      case "clipboard_offer": {
        const total = m.formats.reduce((n, f) => n + f.size, 0);
        this.incoming = { transfer: m.transfer, formats: m.formats, total, parts: [], received: 0, nextIndex: 0, request: m.request };
        this.update({ transfer: { direction: "receive", done: 0, total } });
        if (total === 0) await this.complete();
        return;
      }
      case "clipboard_chunk": {
        const inc = this.incoming;
        if (!inc || inc.transfer !== m.transfer) return;
        if (m.index !== inc.nextIndex || inc.received + m.data.length > inc.total) {
          this.incoming = null;
          this.update({ transfer: null, error: "A clipboard item arrived damaged and was dropped." });
          return;
        }
        inc.parts.push(m.data);
        inc.received += m.data.length;
        inc.nextIndex++;
        this.update({ transfer: { direction: "receive", done: inc.received, total: inc.total } });
        if (inc.received === inc.total) await this.complete();
        return;
      }
      case "clipboard_files": {
        const asked = m.request !== 0 && m.request === this.pendingRequest;
        if (asked) this.pendingRequest = 0;
        if (!asked && !this.ui.auto) return;
        const n = m.files.length;
        const notice = `The remote machine copied ${n}${m.truncated ? "+" : ""} ${n === 1 ? "item" : "items"}: download below.`;
        this.update({ files: { files: m.files, truncated: m.truncated }, notice, error: "", received: this.ui.received + 1 });
        return;
      }
      case "clipboard_error":
        if (this.incoming && this.incoming.transfer === m.transfer) this.incoming = null;
        this.update({ transfer: null, error: m.message });
        return;
      case "type_progress":
        this.update({ typing: { job: m.job, typed: m.typed, total: m.total, state: m.state, skipped: m.skipped } });
        return;
    }
  }

  private async complete(): Promise<void> {
    const inc = this.incoming!;
    this.incoming = null;
    const body = new Uint8Array(inc.total);
    let at = 0;
    for (const p of inc.parts) {
      body.set(p, at);
      at += p.length;
    }
    const item: ClipItem = {};
    at = 0;
    for (const f of inc.formats) {
      const data = body.subarray(at, at + f.size);
      at += f.size;
      if (!sameBytes(await sha256(data), f.sha256)) {
        this.update({ transfer: null, error: `The ${f.kind} from the remote clipboard failed its SHA-256 check; dropped.` });
        return;
      }
      item[f.kind] = data;
    }
    const asked = inc.request !== 0 && inc.request === this.pendingRequest;
    if (asked) this.pendingRequest = 0;
    this.update({ transfer: null });
    if (!asked && !this.ui.auto) return;
    this.known = new Set([await fingerprint(item)]);
    try {
      await this.opts.access.write(item);
      try {
        this.known.add(await fingerprint(await this.opts.access.read()));
      } catch {
        // Reading back is only for echo suppression; writing worked.
      }
      this.update({ notice: `Remote clipboard copied here (${describeSize(inc.total)}).`, error: "", received: this.ui.received + 1 });
    } catch (err) {
      this.update({ error: `The browser did not let us write your clipboard (${(err as Error).message || err}).` });
    }
  }

  dismissFiles(): void {
    this.update({ files: null });
  }

  // --- paste as keystrokes ---

  typeText(text: string, intervalMs: number): number | null {
    if (!text || [...text].length > MAX_TYPE_CHARS) return null;
    const job = this.nextId++;
    if (!this.opts.send(typeTextMsg(job, text, intervalMs))) return null;
    this.update({ typing: { job, typed: 0, total: [...text].length, state: "typing", skipped: 0 } });
    return job;
  }

  cancelTyping(): void {
    const t = this.ui.typing;
    if (t && t.state === "typing") this.opts.send(typeCancelMsg(t.job));
  }

  private update(patch: Partial<ClipboardUi>): void {
    this.ui = { ...this.ui, ...patch };
    this.opts.onUi(this.ui);
  }
}

// --- the real browser clipboard ------------------------------------------------------------

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export const browserClipboard: ClipboardAccess = {
  async read(): Promise<ClipItem> {
    const item: ClipItem = {};
    const clip = navigator.clipboard;
    if (typeof clip.read === "function") {
      for (const entry of await clip.read()) {
        for (const kind of CLIP_KINDS) {
          if (!item[kind] && entry.types.includes(MIME[kind])) {
            const blob = await entry.getType(MIME[kind]);
            item[kind] = new Uint8Array(await blob.arrayBuffer());
          }
        }
      }
      return item;
    }
    const text = await clip.readText();
    if (text) item.text = encoder.encode(text);
    return item;
  },
  async write(item: ClipItem): Promise<void> {
    const clip = navigator.clipboard;
    if (typeof ClipboardItem === "undefined" || typeof clip.write !== "function") {
      if (item.text) await clip.writeText(decoder.decode(item.text));
      return;
    }
    const blobs: Record<string, Blob> = {};
    for (const kind of CLIP_KINDS) {
      const data = item[kind];
      if (data) blobs[MIME[kind]] = new Blob([data as Uint8Array<ArrayBuffer>], { type: MIME[kind] });
    }
    await clip.write([new ClipboardItem(blobs)]);
  },
};
