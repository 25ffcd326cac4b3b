// Dashboard WebSocket client: parses server frames, reconnects with capped
// exponential backoff, and stops for good when the server says the session is gone.
import type { DashboardEvent, Machine } from "./types";

export type LiveStatus = "live" | "reconnecting";

// Close codes the server uses when the cookie session is revoked or missing;
// reconnecting would only loop, so the user must sign in again.
export const AUTH_CLOSE_CODES: ReadonlySet<number> = new Set([4440, 4401]);

export const BACKOFF_INITIAL_MS = 1000;
export const BACKOFF_MAX_MS = 10000;

export function backoffDelay(attempt: number): number {
  return Math.min(BACKOFF_INITIAL_MS * 2 ** Math.max(0, attempt), BACKOFF_MAX_MS);
}

export function dashboardUrl(loc: { protocol: string; host: string }): string {
  return `${loc.protocol === "https:" ? "wss:" : "ws:"}//${loc.host}/ws/dashboard`;
}

export function parseEvent(data: unknown): DashboardEvent | null {
  if (typeof data !== "string") return null;
  let msg: unknown;
  try {
    msg = JSON.parse(data);
  } catch {
    return null;
  }
  if (!msg || typeof msg !== "object") return null;
  const m = msg as Record<string, unknown>;
  switch (m.type) {
    case "hello":
    case "groups_changed":
    case "saved_searches_changed":
      return { type: m.type };
    case "machines":
      return Array.isArray(m.machines) ? { type: "machines", machines: m.machines.filter(isMachineLike) } : null;
    case "machine":
      // Older servers send one machine per frame: the same thing as a batch of one.
      return isMachineLike(m.machine) ? { type: "machines", machines: [m.machine] } : null;
    case "snapshot":
      return Array.isArray(m.machines) ? { type: "snapshot", machines: m.machines.filter(isMachineLike) } : null;
    case "machine_removed":
      return typeof m.id === "string" ? { type: "machine_removed", id: m.id } : null;
    default:
      return null;
  }
}

function isMachineLike(x: unknown): x is Machine {
  return !!x && typeof x === "object" && typeof (x as { id?: unknown }).id === "string";
}

// Just the parts of WebSocket we use, so tests can drive a fake socket.
export interface SocketLike {
  onopen: ((ev: Event) => void) | null;
  onmessage: ((ev: MessageEvent) => void) | null;
  onclose: ((ev: CloseEvent) => void) | null;
  onerror: ((ev: Event) => void) | null;
  close(code?: number, reason?: string): void;
}

export interface LiveOptions {
  url: string;
  onEvent: (event: DashboardEvent) => void;
  onStatus: (status: LiveStatus) => void;
  onAuthLost: () => void;
  createSocket?: (url: string) => SocketLike;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

export class LiveClient {
  private socket: SocketLike | null = null;
  private timer: unknown = null;
  private attempt = 0;
  private stopped = true;
  private readonly opts: Required<LiveOptions>;

  constructor(opts: LiveOptions) {
    this.opts = {
      createSocket: (url) => new WebSocket(url),
      setTimer: (fn, ms) => setTimeout(fn, ms),
      clearTimer: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
      ...opts,
    };
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.attempt = 0;
    this.opts.onStatus("reconnecting");
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) {
      this.opts.clearTimer(this.timer);
      this.timer = null;
    }
    const s = this.socket;
    this.socket = null;
    if (s) {
      s.onopen = s.onmessage = s.onclose = s.onerror = null;
      try {
        s.close(1000, "client closing");
      } catch {
        // Already closed or never opened; nothing to clean up.
      }
    }
  }

  private connect(): void {
    this.timer = null;
    if (this.stopped) return;
    let s: SocketLike;
    try {
      s = this.opts.createSocket(this.opts.url);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.socket = s;
    s.onmessage = (ev) => {
      const event = parseEvent(ev.data);
      if (!event) return;
      if (event.type === "hello" || event.type === "snapshot") {
        // Only a greeting proves the server accepted us; resetting on mere
        // "open" would hammer a server that accepts then immediately closes.
        this.attempt = 0;
        this.opts.onStatus("live");
      }
      this.opts.onEvent(event);
    };
    s.onclose = (ev) => {
      if (this.socket !== s) return;
      this.socket = null;
      if (this.stopped) return;
      if (AUTH_CLOSE_CODES.has(ev.code)) {
        this.stopped = true;
        this.opts.onStatus("reconnecting");
        this.opts.onAuthLost();
        return;
      }
      this.scheduleReconnect();
    };
    // Errors are always followed by close, which handles reconnection.
    s.onerror = () => {};
  }

  private scheduleReconnect(): void {
    this.opts.onStatus("reconnecting");
    const delay = backoffDelay(this.attempt);
    this.attempt++;
    this.timer = this.opts.setTimer(() => this.connect(), delay);
  }
}
