// Fetch wrapper for the GuruConnect JSON API: same-origin cookies, CSRF header on
// state-changing requests, and server `detail` messages surfaced as ApiError.
import type {
  ApiKey,
  ApiKeyCreate,
  AuditEntry,
  EnrollmentToken,
  EnrollmentTokenCreate,
  Groups,
  Machine,
  MachinePage,
  MachinePatch,
  NewApiKey,
  NewEnrollmentToken,
  SavedSearch,
  SavedSearchCreate,
  SavedSearchPatch,
  Session,
  TotpEnrollment,
} from "./types";

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export class ApiError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = "ApiError";
    this.status = status;
  }
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export interface RequestOptions {
  method?: string;
  body?: unknown;
  // Login happens before any CSRF token exists, so it must be able to opt out.
  csrf?: boolean;
  // On auth endpoints a 401 means "wrong password/code", not "session gone",
  // so it must not bounce the user back to the login screen.
  quiet401?: boolean;
}

// FastAPI sends `detail` as a string for HTTPException but as a list of
// objects for request-validation errors; both should read well to a person.
export function detailMessage(body: unknown, status: number): string {
  if (body && typeof body === "object" && "detail" in body) {
    const detail = (body as { detail: unknown }).detail;
    if (typeof detail === "string" && detail) return detail;
    if (Array.isArray(detail)) {
      const parts = detail
        .map((d) => (d && typeof d === "object" && "msg" in d ? String((d as { msg: unknown }).msg) : ""))
        .filter(Boolean);
      if (parts.length) return parts.join("; ");
    }
  }
  return `Request failed (HTTP ${status})`;
}

export class ApiClient {
  private csrfToken: string | null = null;
  private readonly fetchImpl: FetchLike;
  // Lets the app drop back to the login screen when a session dies mid-use.
  onUnauthorized: (() => void) | null = null;

  constructor(fetchImpl?: FetchLike) {
    // Calling window.fetch detached from window throws "Illegal invocation".
    this.fetchImpl = fetchImpl ?? ((input, init) => fetch(input, init));
  }

  get csrf(): string | null {
    return this.csrfToken;
  }

  setCsrfToken(token: string | null): void {
    this.csrfToken = token;
  }

  async request<T>(path: string, opts: RequestOptions = {}): Promise<T> {
    const method = (opts.method ?? "GET").toUpperCase();
    const headers: Record<string, string> = { Accept: "application/json" };
    const init: RequestInit = { method, headers, credentials: "same-origin" };
    if (opts.body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(opts.body);
    }
    if (!SAFE_METHODS.has(method) && opts.csrf !== false && this.csrfToken) {
      headers["X-CSRF-Token"] = this.csrfToken;
    }

    let res: Response;
    try {
      res = await this.fetchImpl(path, init);
    } catch {
      throw new ApiError(0, "Cannot reach the server. Check your connection.");
    }

    if (res.status === 204) return undefined as T;
    const text = await res.text();
    let body: unknown = undefined;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
    }
    if (!res.ok) {
      const err = new ApiError(res.status, detailMessage(body, res.status));
      if (res.status === 401 && !opts.quiet401) this.onUnauthorized?.();
      throw err;
    }
    return body as T;
  }

  private async sessionCall(path: string, opts: RequestOptions): Promise<Session> {
    const s = await this.request<Session>(path, opts);
    this.csrfToken = s.csrf_token;
    return s;
  }

  // --- auth ---

  // Returns null when not signed in instead of treating it as an error.
  async getSession(): Promise<Session | null> {
    try {
      return await this.sessionCall("/api/v1/auth/session", { quiet401: true });
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) {
        this.csrfToken = null;
        return null;
      }
      throw e;
    }
  }

  login(username: string, password: string): Promise<Session> {
    this.csrfToken = null;
    return this.sessionCall("/api/v1/auth/login", {
      method: "POST",
      body: { username, password },
      csrf: false,
      quiet401: true,
    });
  }

  verifyTotp(code: string): Promise<Session> {
    return this.sessionCall("/api/v1/auth/totp/verify", { method: "POST", body: { code }, quiet401: true });
  }

  enrollTotp(): Promise<TotpEnrollment> {
    return this.request<TotpEnrollment>("/api/v1/auth/totp/enroll", { method: "POST" });
  }

  confirmTotp(code: string): Promise<Session> {
    return this.sessionCall("/api/v1/auth/totp/confirm", { method: "POST", body: { code }, quiet401: true });
  }

  async logout(): Promise<void> {
    try {
      await this.request<void>("/api/v1/auth/logout", { method: "POST" });
    } finally {
      this.csrfToken = null;
    }
  }

  async changePassword(current_password: string, new_password: string): Promise<void> {
    await this.request<void>("/api/v1/auth/password", {
      method: "POST",
      body: { current_password, new_password },
      quiet401: true,
    });
    // The server revokes the session after a password change.
    this.csrfToken = null;
  }

  async listScopes(): Promise<string[]> {
    return (await this.request<{ scopes: string[] }>("/api/v1/auth/scopes")).scopes ?? [];
  }

  // --- machines ---

  // `query` is a ready query string (see listQuery in filters.ts), e.g. "?site=&limit=100".
  async listMachines(query = ""): Promise<MachinePage> {
    const page = await this.request<Partial<MachinePage>>(`/api/v1/machines${query}`);
    const machines = Array.isArray(page?.machines) ? page.machines : [];
    return {
      machines,
      // The server counts only on the first page of a query; later pages say null.
      total: typeof page?.total === "number" ? page.total : null,
      next_cursor: typeof page?.next_cursor === "string" && page.next_cursor ? page.next_cursor : null,
    };
  }

  getMachine(id: string): Promise<Machine> {
    return this.request<Machine>(`/api/v1/machines/${encodeURIComponent(id)}`);
  }

  patchMachine(id: string, body: MachinePatch): Promise<Machine> {
    return this.request<Machine>(`/api/v1/machines/${encodeURIComponent(id)}`, { method: "PATCH", body });
  }

  async machineAudit(id: string): Promise<AuditEntry[]> {
    const r = await this.request<{ entries?: AuditEntry[] }>(`/api/v1/machines/${encodeURIComponent(id)}/audit`);
    return Array.isArray(r?.entries) ? r.entries : [];
  }

  getGroups(): Promise<Groups> {
    return this.request<Groups>("/api/v1/machines/groups");
  }

  // --- saved searches ---

  async listSavedSearches(): Promise<SavedSearch[]> {
    const r = await this.request<{ searches?: SavedSearch[] }>("/api/v1/saved-searches");
    return Array.isArray(r?.searches) ? r.searches : [];
  }

  createSavedSearch(body: SavedSearchCreate): Promise<SavedSearch> {
    return this.request<SavedSearch>("/api/v1/saved-searches", { method: "POST", body });
  }

  updateSavedSearch(id: number, body: SavedSearchPatch): Promise<SavedSearch> {
    return this.request<SavedSearch>(`/api/v1/saved-searches/${encodeURIComponent(String(id))}`, {
      method: "PATCH",
      body,
    });
  }

  async deleteSavedSearch(id: number): Promise<void> {
    await this.request<void>(`/api/v1/saved-searches/${encodeURIComponent(String(id))}`, { method: "DELETE" });
  }

  // --- enrollment tokens ---

  async listEnrollmentTokens(): Promise<EnrollmentToken[]> {
    return (await this.request<{ tokens: EnrollmentToken[] }>("/api/v1/enrollment-tokens")).tokens ?? [];
  }

  createEnrollmentToken(body: EnrollmentTokenCreate): Promise<NewEnrollmentToken> {
    return this.request<NewEnrollmentToken>("/api/v1/enrollment-tokens", { method: "POST", body });
  }

  async revokeEnrollmentToken(id: string | number): Promise<void> {
    await this.request<void>(`/api/v1/enrollment-tokens/${encodeURIComponent(String(id))}`, {
      method: "DELETE",
    });
  }

  // --- API keys ---

  async listApiKeys(): Promise<ApiKey[]> {
    return (await this.request<{ keys: ApiKey[] }>("/api/v1/api-keys")).keys ?? [];
  }

  createApiKey(body: ApiKeyCreate): Promise<NewApiKey> {
    return this.request<NewApiKey>("/api/v1/api-keys", { method: "POST", body });
  }

  async revokeApiKey(id: string | number): Promise<void> {
    await this.request<void>(`/api/v1/api-keys/${encodeURIComponent(String(id))}`, { method: "DELETE" });
  }
}
