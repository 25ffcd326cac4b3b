// The viewer socket: binary MessagePack frames, reconnect with the dashboard's capped
// backoff, and a stop with a reason for the close codes where retrying cannot help.
import { AUTH_CLOSE_CODES, backoffDelay } from "../live";
import { decodeServerFrame, encodeClientMessage, type ClientMessage, type ServerMessage } from "./messages";

export const CLOSE_FORBIDDEN = 4403;
export const CLOSE_NOT_FOUND = 4404;
export const CLOSE_AGENT_OFFLINE = 4410;

export type ConnState =
  | "connecting" // first attempt, or retrying after an unexpected close
  | "open"
  | "offline" // 4410: the machine's agent is not connected (or went away)
  | "forbidden" // 4403
  | "not_found" // 4404
  | "auth_lost" // 4401/4440: sign in again
  | "stopped";

export function viewerUrl(loc: { protocol: string; host: string }, machineId: string): string {
  return `${loc.protocol === "https:" ? "wss:" : "ws:"}//${loc.host}/ws/viewer/${encodeURIComponent(machineId)}`;
}

// What a close code means for the viewer: a final state, or null to reconnect.
export function finalStateFor(code: number): ConnState | null {
  if (AUTH_CLOSE_CODES.has(code)) return "auth_lost";
  if (code === CLOSE_FORBIDDEN) return "forbidden";
  if (code === CLOSE_NOT_FOUND) return "not_found";
  if (code === CLOSE_AGENT_OFFLINE) return "offline";
  return null;
}

export interface ViewerSocketLike {
  binaryType: string;
  readyState: number;
  bufferedAmount?: number;
  onopen: ((ev: Event) => void) | null;
  onmessage: ((ev: MessageEvent) => void) | null;
  onclose: ((ev: CloseEvent) => void) | null;
  onerror: ((ev: Event) => void) | null;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
}

const OPEN = 1;

export interface ConnectionOptions {
  url: string;
  onMessage: (msg: ServerMessage, byteLength: number) => void;
  onState: (state: ConnState, retryInMs?: number) => void;
  // The socket opened: send the stream settings and anything else the session needs.
  onOpen: () => void;
  createSocket?: (url: string) => ViewerSocketLike;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

export class ViewerConnection {
  private socket: ViewerSocketLike | null = null;
  private timer: unknown = null;
  private attempt = 0;
  private stopped = true;
  private readonly opts: Required<ConnectionOptions>;

  constructor(opts: ConnectionOptions) {
    this.opts = {
      createSocket: (url) => new WebSocket(url) as unknown as ViewerSocketLike,
      setTimer: (fn, ms) => setTimeout(fn, ms),
      clearTimer: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
      ...opts,
    };
  }

  get isOpen(): boolean {
    return !!this.socket && this.socket.readyState === OPEN;
  }

  // Bytes queued on the socket and not yet sent (clipboard transfers pace on it).
  get buffered(): number {
    return this.socket?.bufferedAmount ?? 0;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.attempt = 0;
    this.opts.onState("connecting");
    this.connect();
  }

  stop(state: ConnState = "stopped"): void {
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
        s.close(1000, "viewer closing");
      } catch {
        // Already closed.
      }
    }
    if (state !== "stopped") this.opts.onState(state);
  }

  send(msg: ClientMessage): boolean {
    const s = this.socket;
    if (!s || s.readyState !== OPEN) return false;
    try {
      s.send(encodeClientMessage(msg));
      return true;
    } catch {
      return false;
    }
  }

  private connect(): void {
    this.timer = null;
    if (this.stopped) return;
    let s: ViewerSocketLike;
    try {
      s = this.opts.createSocket(this.opts.url);
    } catch {
      this.scheduleReconnect();
      return;
    }
    s.binaryType = "arraybuffer";
    this.socket = s;
    s.onopen = () => {
      if (this.socket !== s) return;
      this.opts.onState("open");
      this.opts.onOpen();
    };
    s.onmessage = (ev) => {
      if (this.socket !== s) return;
      const data = ev.data;
      if (!(data instanceof ArrayBuffer) && !(data instanceof Uint8Array)) return;
      const msg = decodeServerFrame(data);
      if (!msg) return;
      // A message proves the server accepted us; only then is the backoff reset, so a
      // server that accepts and closes at once is not hammered.
      this.attempt = 0;
      this.opts.onMessage(msg, data.byteLength);
    };
    s.onclose = (ev) => {
      if (this.socket !== s) return;
      this.socket = null;
      if (this.stopped) return;
      const final = finalStateFor(ev.code);
      if (final) {
        this.stopped = true;
        this.opts.onState(final);
        return;
      }
      this.scheduleReconnect();
    };
    // Errors are always followed by close, which decides what happens next.
    s.onerror = () => {};
  }

  private scheduleReconnect(): void {
    const delay = backoffDelay(this.attempt);
    this.attempt++;
    this.opts.onState("connecting", delay);
    this.timer = this.opts.setTimer(() => this.connect(), delay);
  }
}
