// The file panel's connection: one WebSocket to /ws/files/<machine_id> for browsing and
// uploads, plain HTTP downloads (the browser's download manager writes them to disk and
// resumes them), and the transfer queue. The UI subscribes to snapshots.
import { Sha256 } from "./sha256";
import { addSample, nextChunk, nextToStart, type TransferView } from "./queue";
import { DEFAULT_WINDOW, decodeReply, encodeRequest, type Conflict, type Entry, type Reply, type Request, type Root, type UploadSource } from "./messages";

export type FilesConn = "connecting" | "open" | "forbidden" | "offline" | "auth_lost" | "not_found";

export interface Incoming {
  file: File;
  relative: string; // "a/b/c.txt" for a dropped folder, else the file name
}

export interface PanelSnapshot {
  conn: FilesConn;
  roots: Root[];
  separator: "/" | "\\";
  transfers: Transfer[];
}

export interface Transfer extends TransferView {
  conflict: Conflict;
  existing: Entry | null;
  source: UploadSource;
  file?: File;
  mkdirs: boolean;
  nonce?: string;
}

const RETRY_MS = 2000;
const HASH_SLICE = 4 * 1024 * 1024;
type AnyRequest = Request extends infer R ? (R extends { id: number } ? Omit<R, "id"> : never) : never;

export function filesUrl(loc: { protocol: string; host: string }, machineId: string): string {
  return `${loc.protocol === "https:" ? "wss:" : "ws:"}//${loc.host}/ws/files/${encodeURIComponent(machineId)}`;
}

export function downloadUrl(machineId: string, path: string, nonce: string, folder = false): string {
  const q = new URLSearchParams({ path, transfer: nonce });
  const what = folder ? "download-folder" : "download";
  return `/api/v1/machines/${encodeURIComponent(machineId)}/files/${what}?${q.toString()}`;
}

// Re-reads the state after an await (the user may have cancelled meanwhile).
const isCancelled = (t: Transfer): boolean => t.state === "cancelled";

export function nonce(): string {
  const b = new Uint8Array(12);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

export class FilesClient {
  conn: FilesConn = "connecting";
  roots: Root[] = [];
  separator: "/" | "\\" = "/";
  transfers: Transfer[] = [];
  private ws: WebSocket | null = null;
  private nextId = 1;
  private waiting = new Map<number, (r: Reply) => void>();
  private destroyed = false;
  private retry: ReturnType<typeof setTimeout> | null = null;
  private openWaiters: (() => void)[] = [];

  constructor(
    private machineId: string,
    private onChange: (s: PanelSnapshot) => void,
  ) {}

  snapshot(): PanelSnapshot {
    return { conn: this.conn, roots: this.roots, separator: this.separator, transfers: this.transfers.map((t) => ({ ...t })) };
  }

  private changed(): void {
    if (!this.destroyed) this.onChange(this.snapshot());
  }

  connect(): void {
    this.conn = "connecting";
    this.changed();
    const ws = new WebSocket(filesUrl(location, this.machineId));
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    ws.onopen = () => {
      void this.request({ type: "list_roots" }).then((r) => {
        // Closed meanwhile (e.g. 4403 right after the upgrade): onClose has decided.
        if (this.ws !== ws || ws.readyState !== WebSocket.OPEN) return;
        if (r.type === "roots") {
          this.roots = r.roots;
          this.separator = r.separator;
        }
        this.conn = "open";
        this.changed();
        for (const w of this.openWaiters.splice(0)) w();
        this.pump();
      });
    };
    ws.onmessage = (e) => {
      const reply = decodeReply(e.data as ArrayBuffer);
      if (reply) this.dispatch(reply);
    };
    ws.onclose = (e) => this.onClose(e.code);
  }

  destroy(): void {
    this.destroyed = true;
    if (this.retry) clearTimeout(this.retry);
    this.ws?.close(1000);
  }

  private onClose(code: number): void {
    this.ws = null;
    for (const [id, resolve] of this.waiting) resolve({ type: "file_error", id, code: "io", message: "connection lost", existing: null });
    this.waiting.clear();
    for (const t of this.transfers) {
      // A dropped upload goes back to the queue: the agent kept <name>.part, so the
      // next attempt resumes where this one stopped.
      if (t.state === "running" && t.direction === "upload") {
        t.state = "queued";
        t.message = "Connection lost: will resume";
      }
    }
    if (this.destroyed) return;
    if (code === 4403) this.conn = "forbidden";
    else if (code === 4401 || code === 4440) this.conn = "auth_lost";
    else if (code === 4404) this.conn = "not_found";
    else {
      this.conn = "offline";
      this.retry = setTimeout(() => this.connect(), RETRY_MS);
    }
    this.changed();
  }

  private dispatch(reply: Reply): void {
    if (reply.type === "download_progress") {
      const t = this.transfers.find((x) => x.nonce === reply.transfer);
      if (!t) return;
      t.done = reply.done;
      t.size = reply.total;
      t.samples = addSample(t.samples, performance.now(), reply.done);
      if (reply.state !== "running") {
        t.state = reply.state === "completed" && t.done >= t.size ? "completed" : reply.state === "completed" ? "running" : reply.state;
        t.sha256 = reply.sha256;
        t.message = reply.message;
      } else if (t.state !== "cancelled") {
        t.state = "running";
      }
      this.changed();
      return;
    }
    const handler = this.waiting.get(reply.id);
    if (handler) handler(reply);
  }

  private send(m: Request): void {
    this.ws?.send(encodeRequest(m) as Uint8Array<ArrayBuffer>);
  }

  // One request, one reply (or a persistent handler for uploads).
  request(m: AnyRequest): Promise<Reply> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, (r) => {
        this.waiting.delete(id);
        resolve(r);
      });
      if (!this.ws || this.ws.readyState !== WebSocket.OPEN) {
        this.waiting.delete(id);
        resolve({ type: "file_error", id, code: "io", message: "not connected", existing: null });
        return;
      }
      this.send({ ...m, id } as Request);
    });
  }

  whenOpen(): Promise<void> {
    return this.conn === "open" ? Promise.resolve() : new Promise((r) => this.openWaiters.push(r));
  }

  // --- the queue ---------------------------------------------------------------------

  private add(t: Omit<Transfer, "id" | "samples" | "done" | "message" | "sha256" | "existing">): Transfer {
    const full: Transfer = { ...t, id: this.nextId++, samples: [], done: 0, message: "", sha256: "", existing: null };
    this.transfers.push(full);
    return full;
  }

  upload(items: Incoming[], folder: string, source: UploadSource): void {
    for (const item of items) {
      const path = item.relative.split("/").filter(Boolean).reduce((acc, p) => (acc.endsWith(this.separator) ? acc + p : acc + this.separator + p), folder);
      this.add({ direction: "upload", name: item.relative, path, size: item.file.size, state: "queued", conflict: "ask", source, file: item.file, mkdirs: item.relative.includes("/") });
    }
    this.changed();
    this.pump();
  }

  download(path: string, name: string, size: number, folder = false): void {
    const t = this.add({ direction: "download", name, path, size, state: "running", conflict: "ask", source: "panel", mkdirs: false, nonce: nonce() });
    t.samples = addSample([], performance.now(), 0);
    // A hidden frame, not a link: the response (Content-Disposition: attachment) goes
    // to the browser's download manager, and an error answer stays out of sight. A link
    // clicked from this page was cancelled by headless Chromium for large files.
    const frame = document.createElement("iframe");
    frame.hidden = true;
    frame.src = downloadUrl(this.machineId, path, t.nonce!, folder);
    document.body.appendChild(frame);
    setTimeout(() => frame.remove(), 10 * 60_000);
    this.changed();
  }

  async downloadFolder(path: string, name: string): Promise<string | null> {
    const r = await this.request({ type: "walk", path });
    if (r.type === "file_error") return r.message;
    if (r.type !== "walk_result") return "unexpected answer";
    if (r.files.length === 0) return "The folder has no files.";
    if (r.truncated) return "The folder holds too many files for one archive: download its subfolders one at a time.";
    // One ZIP archive, made by the server as the files arrive (folder_download.py).
    this.download(r.path, `${name}.zip`, r.files.reduce((n, f) => n + f.size, 0), true);
    return null;
  }

  cancel(id: number): void {
    const t = this.transfers.find((x) => x.id === id);
    if (!t) return;
    if (t.direction === "download" && t.nonce) {
      this.send({ type: "cancel_download", transfer: t.nonce });
    } else if (t.state === "running") {
      this.send({ type: "cancel", id: t.id });
    }
    t.state = "cancelled";
    t.message = "Cancelled";
    this.changed();
    this.pump();
  }

  resolveConflict(id: number, choice: "overwrite" | "rename" | "skip"): void {
    const t = this.transfers.find((x) => x.id === id);
    if (!t || t.state !== "conflict") return;
    if (choice === "skip") {
      t.state = "skipped";
      t.message = "Skipped: a file with this name exists";
    } else {
      t.conflict = choice;
      t.state = "queued";
      t.message = "";
    }
    this.changed();
    this.pump();
  }

  clearFinished(): void {
    this.transfers = this.transfers.filter((t) => t.state === "queued" || t.state === "running" || t.state === "conflict");
    this.changed();
  }

  private pump(): void {
    if (this.conn !== "open") return;
    const uploads = this.transfers.filter((t) => t.direction === "upload");
    const next = nextToStart(uploads);
    if (next) void this.runUpload(next);
  }

  private async runUpload(t: Transfer): Promise<void> {
    const file = t.file!;
    t.state = "running";
    t.message = "";
    this.changed();
    const ws = this.ws;
    const begin = await this.request({ type: "upload_begin", path: t.path, size: t.size, conflict: t.conflict, mkdirs: t.mkdirs, source: t.source });
    if (isCancelled(t)) return;
    if (begin.type === "file_error") {
      if (begin.code === "exists") {
        t.state = "conflict";
        t.existing = begin.existing;
        t.message = begin.message;
      } else if (this.ws === ws && this.conn === "open") {
        t.state = "failed";
        t.message = begin.message;
      }
      this.changed();
      this.pump();
      return;
    }
    if (begin.type !== "upload_ready") return;
    t.id = begin.id; // the agent knows this upload by the request's id
    t.path = begin.path;
    const result = await this.stream(t, file, begin.offset);
    if (ws !== this.ws) return; // the connection dropped: onClose re-queued it
    if (t.state === "running") {
      if (result.type === "transfer_done") {
        t.state = "completed";
        t.sha256 = result.sha256;
        t.done = t.size;
      } else if (result.type === "file_error") {
        t.state = result.code === "cancelled" ? "cancelled" : "failed";
        t.message = result.message;
      }
    }
    this.changed();
    this.pump();
  }

  // Send the file from ``offset`` with at most DEFAULT_WINDOW bytes unacknowledged;
  // the SHA-256 covers the whole file, so the part the agent already has is hashed
  // locally first.
  private stream(t: Transfer, file: File, offset: number): Promise<Reply> {
    return new Promise((resolve) => {
      const hasher = new Sha256();
      let sent = offset;
      let acked = offset;
      let pumping = false;
      let finished = false;
      const finish = (r: Reply) => {
        if (finished) return;
        finished = true;
        this.waiting.delete(t.id);
        resolve(r);
      };
      const pumpChunks = async () => {
        if (pumping) return;
        pumping = true;
        try {
          for (;;) {
            if (finished || t.state !== "running" || !this.ws) return;
            const next = nextChunk(t.size, sent, acked, DEFAULT_WINDOW);
            if (!next) break;
            const data = new Uint8Array(await file.slice(next[0], next[1]).arrayBuffer());
            if (finished || t.state !== "running" || !this.ws) return;
            hasher.update(data);
            this.send({ type: "upload_chunk", id: t.id, offset: next[0], data });
            sent = next[1];
          }
          if (sent >= t.size && !finished && !endSent) {
            endSent = true;
            this.send({ type: "upload_end", id: t.id, sha256: hasher.hex() });
          }
        } catch (err) {
          finish({ type: "file_error", id: t.id, code: "io", message: `cannot read ${t.name}: ${String(err)}`, existing: null });
        } finally {
          pumping = false;
        }
      };
      let endSent = false;
      this.waiting.set(t.id, (r) => {
        if (r.type === "upload_ack") {
          acked = r.offset;
          t.done = r.offset;
          t.samples = addSample(t.samples, performance.now(), r.offset);
          this.changed();
          void pumpChunks();
        } else {
          finish(r);
        }
      });
      void (async () => {
        for (let at = 0; at < offset; at += HASH_SLICE) {
          hasher.update(new Uint8Array(await file.slice(at, Math.min(offset, at + HASH_SLICE)).arrayBuffer()));
        }
        t.done = offset;
        t.samples = addSample([], performance.now(), offset);
        if (offset > 0) t.message = `Resumed at ${Math.round((100 * offset) / Math.max(1, t.size))}%`;
        this.changed();
        await pumpChunks();
      })();
    });
  }
}
