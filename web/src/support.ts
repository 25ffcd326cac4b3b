// Support sessions on the technician's side: the API calls, the /ws/support-live
// client, and pure helpers that fold live events into the list (tested in
// web/test/support.test.ts). The UI is components/SupportView.tsx.
import type { ApiClient } from "./api";
import { AUTH_CLOSE_CODES, backoffDelay, type SocketLike } from "./live";

export type SupportStatus = "waiting" | "joined" | "active" | "ended" | "cancelled" | "expired";

export interface SupportSession {
  id: string;
  code: string;
  link: string;
  name: string;
  note: string;
  status: SupportStatus;
  consent: "pending" | "allowed" | "denied";
  assigned_to: number | null;
  technician: string;
  created_by: string;
  created_at: string;
  expires_at: string | null;
  joined_at: string | null;
  consent_at: string | null;
  ended_at: string | null;
  ended_by: string;
  end_reason: string;
  duration_seconds: number | null;
  guest: { hostname: string; os: string; username: string; ip: string };
  agent_connected: boolean;
  desktop_target: string;
}

export interface ChatLine {
  id: number;
  sender: "technician" | "guest";
  author: string;
  text: string;
  at: string;
}

export interface SupportCreate {
  name: string;
  note: string;
  assigned_to: number | null;
  expires_in_minutes: number | null;
}

export interface Technician {
  id: number;
  username: string;
}

export type SupportEvent =
  | { type: "hello" }
  | { type: "session"; session: SupportSession }
  | { type: "session_gone"; id: string }
  | { type: "chat"; session_id: string; line: ChatLine };

const BASE = "/api/v1/support-sessions";

export const supportApi = {
  list: (api: ApiClient, history = false) =>
    api.request<{ sessions: SupportSession[] }>(history ? `${BASE}?history=true` : BASE).then((r) => r.sessions),
  create: (api: ApiClient, body: SupportCreate) => api.request<SupportSession>(BASE, { method: "POST", body }),
  technicians: (api: ApiClient) =>
    api.request<{ technicians: Technician[] }>(`${BASE}/technicians`).then((r) => r.technicians),
  end: (api: ApiClient, id: string) =>
    api.request<SupportSession>(`${BASE}/${encodeURIComponent(id)}/end`, { method: "POST" }),
  claim: (api: ApiClient, id: string) =>
    api.request<SupportSession>(`${BASE}/${encodeURIComponent(id)}/claim`, { method: "POST" }),
  chat: (api: ApiClient, id: string) =>
    api.request<{ lines: ChatLine[] }>(`${BASE}/${encodeURIComponent(id)}/chat`).then((r) => r.lines),
  say: (api: ApiClient, id: string, text: string) =>
    api.request<ChatLine>(`${BASE}/${encodeURIComponent(id)}/chat`, { method: "POST", body: { text } }),
};

export const LIVE_STATUSES: ReadonlySet<SupportStatus> = new Set(["waiting", "joined", "active"]);

const STATUS_LABELS: Record<SupportStatus, string> = {
  waiting: "waiting",
  joined: "guest joined",
  active: "active",
  ended: "ended",
  cancelled: "cancelled",
  expired: "expired",
};

export function statusLabel(s: Pick<SupportSession, "status" | "consent">): string {
  if (s.status === "joined" && s.consent === "denied") return "guest joined (access denied)";
  if (s.status === "joined" && s.consent === "pending") return "guest joined (asking for access)";
  return STATUS_LABELS[s.status] ?? s.status;
}

// The viewer may open only once the guest allowed access (the server checks it too).
export function canConnect(s: SupportSession): boolean {
  return s.status === "active" && s.consent === "allowed" && s.agent_connected;
}

// Live list: newest first; a session that is over leaves it (it is in History).
export function applySessionEvent(list: SupportSession[], event: SupportEvent): SupportSession[] {
  if (event.type === "session_gone") return list.filter((s) => s.id !== event.id);
  if (event.type !== "session") return list;
  const s = event.session;
  const rest = list.filter((x) => x.id !== s.id);
  if (!LIVE_STATUSES.has(s.status)) return rest;
  const next = [s, ...rest];
  next.sort((a, b) => (a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : 0));
  return next;
}

// Chat lines arrive by REST reply and by the live socket: keep one of each, in order.
export function mergeChat(lines: ChatLine[], more: ChatLine[]): ChatLine[] {
  const byId = new Map(lines.map((l) => [l.id, l]));
  for (const l of more) byId.set(l.id, l);
  return [...byId.values()].sort((a, b) => a.id - b.id);
}

export function parseSupportEvent(data: unknown): SupportEvent | null {
  if (typeof data !== "string") return null;
  let m: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(data);
    if (!parsed || typeof parsed !== "object") return null;
    m = parsed as Record<string, unknown>;
  } catch {
    return null;
  }
  switch (m.type) {
    case "hello":
      return { type: "hello" };
    case "session":
      return isSession(m.session) ? { type: "session", session: m.session } : null;
    case "session_gone":
      return typeof m.id === "string" ? { type: "session_gone", id: m.id } : null;
    case "chat":
      return typeof m.session_id === "string" && isLine(m.line)
        ? { type: "chat", session_id: m.session_id, line: m.line }
        : null;
    default:
      return null;
  }
}

function isSession(x: unknown): x is SupportSession {
  return !!x && typeof x === "object" && typeof (x as { id?: unknown }).id === "string";
}

function isLine(x: unknown): x is ChatLine {
  return !!x && typeof x === "object" && typeof (x as { id?: unknown }).id === "number";
}

export function supportLiveUrl(loc: { protocol: string; host: string }): string {
  return `${loc.protocol === "https:" ? "wss:" : "ws:"}//${loc.host}/ws/support-live`;
}

// Reconnects with the dashboard socket's backoff; stops when the sign-in is gone.
export class SupportLive {
  private socket: SocketLike | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private attempt = 0;
  private stopped = false;

  constructor(
    private readonly url: string,
    private readonly onEvent: (e: SupportEvent) => void,
    private readonly onAuthLost: () => void,
    private readonly createSocket: (url: string) => SocketLike = (u) => new WebSocket(u),
  ) {}

  start(): void {
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    const s = this.socket;
    this.socket = null;
    if (s) {
      s.onopen = s.onmessage = s.onclose = s.onerror = null;
      s.close(1000, "client closing");
    }
  }

  private connect(): void {
    if (this.stopped) return;
    const s = this.createSocket(this.url);
    this.socket = s;
    s.onmessage = (ev) => {
      const event = parseSupportEvent(ev.data);
      if (!event) return;
      if (event.type === "hello") this.attempt = 0;
      this.onEvent(event);
    };
    s.onclose = (ev) => {
      if (this.socket !== s || this.stopped) return;
      this.socket = null;
      if (AUTH_CLOSE_CODES.has(ev.code)) {
        this.stopped = true;
        this.onAuthLost();
        return;
      }
      this.timer = setTimeout(() => this.connect(), backoffDelay(this.attempt++));
    };
    s.onerror = () => {};
  }
}
