import { describe, expect, it, vi } from "vitest";
import { ApiClient, ApiError, detailMessage, type FetchLike } from "../src/api";

interface Call {
  url: string;
  init: RequestInit;
}

function fakeFetch(responses: Array<{ status: number; body?: unknown }>) {
  const calls: Call[] = [];
  const impl: FetchLike = async (url, init) => {
    calls.push({ url, init: init ?? {} });
    const r = responses.shift() ?? { status: 200, body: {} };
    const text = r.body === undefined ? "" : JSON.stringify(r.body);
    return new Response(r.status === 204 ? null : text, { status: r.status });
  };
  return { impl, calls };
}

const header = (c: Call, name: string) => (c.init.headers as Record<string, string>)[name];

const session = (token: string, state = "active") => ({
  state,
  csrf_token: token,
  user: { id: 1, username: "alice", role: "admin", mfa_enabled: true },
});

describe("ApiClient CSRF handling", () => {
  it("sends no CSRF token with login and stores the one it returns", async () => {
    const { impl, calls } = fakeFetch([{ status: 200, body: session("tok-1", "mfa_required") }]);
    const api = new ApiClient(impl);
    api.setCsrfToken("stale");
    const s = await api.login("alice", "pw");
    expect(s.state).toBe("mfa_required");
    expect(calls[0].url).toBe("/api/v1/auth/login");
    expect(calls[0].init.method).toBe("POST");
    expect(header(calls[0], "X-CSRF-Token")).toBeUndefined();
    expect(JSON.parse(calls[0].init.body as string)).toEqual({ username: "alice", password: "pw" });
    expect(api.csrf).toBe("tok-1");
  });

  it("adds X-CSRF-Token and same-origin credentials to every state-changing method", async () => {
    const { impl, calls } = fakeFetch([
      { status: 201, body: { id: 1, token: "secret" } },
      { status: 204 },
      { status: 201, body: { id: 2, key: "k" } },
      { status: 204 },
      { status: 200, body: {} },
    ]);
    const api = new ApiClient(impl);
    api.setCsrfToken("csrf-abc");
    await api.createEnrollmentToken({ company: "A", site: "B", note: "", expires_in_hours: 24, max_uses: null });
    await api.revokeEnrollmentToken(1);
    await api.createApiKey({ name: "ci", scopes: ["machines:read"], expires_in_days: null });
    await api.revokeApiKey(2);
    await api.request("/api/v1/x", { method: "patch", body: {} });
    expect(calls.map((c) => c.init.method)).toEqual(["POST", "DELETE", "POST", "DELETE", "PATCH"]);
    for (const c of calls) {
      expect(header(c, "X-CSRF-Token")).toBe("csrf-abc");
      expect(c.init.credentials).toBe("same-origin");
    }
    expect(calls[1].url).toBe("/api/v1/enrollment-tokens/1");
    expect(calls[3].url).toBe("/api/v1/api-keys/2");
  });

  it("does not send the token on GET requests", async () => {
    const { impl, calls } = fakeFetch([{ status: 200, body: { machines: [] } }]);
    const api = new ApiClient(impl);
    api.setCsrfToken("csrf-abc");
    await api.listMachines();
    expect(header(calls[0], "X-CSRF-Token")).toBeUndefined();
    expect(calls[0].init.credentials).toBe("same-origin");
  });

  it("updates the token after TOTP verification and clears it on logout", async () => {
    const { impl, calls } = fakeFetch([{ status: 200, body: session("tok-2") }, { status: 204 }]);
    const api = new ApiClient(impl);
    api.setCsrfToken("tok-1");
    await api.verifyTotp("123456");
    expect(header(calls[0], "X-CSRF-Token")).toBe("tok-1");
    expect(api.csrf).toBe("tok-2");
    await api.logout();
    expect(header(calls[1], "X-CSRF-Token")).toBe("tok-2");
    expect(api.csrf).toBeNull();
  });

  it("clears the token after a password change because the server revokes the session", async () => {
    const { impl, calls } = fakeFetch([{ status: 204 }]);
    const api = new ApiClient(impl);
    api.setCsrfToken("tok");
    await api.changePassword("old", "new");
    expect(header(calls[0], "X-CSRF-Token")).toBe("tok");
    expect(JSON.parse(calls[0].init.body as string)).toEqual({ current_password: "old", new_password: "new" });
    expect(api.csrf).toBeNull();
  });

  it("sends POST without a body for TOTP enroll", async () => {
    const { impl, calls } = fakeFetch([{ status: 200, body: { secret: "S", otpauth_uri: "u", qr_svg_data_uri: "d" } }]);
    const api = new ApiClient(impl);
    api.setCsrfToken("t");
    await api.enrollTotp();
    expect(calls[0].init.body).toBeUndefined();
    expect(header(calls[0], "Content-Type")).toBeUndefined();
    expect(header(calls[0], "X-CSRF-Token")).toBe("t");
  });
});

describe("ApiClient errors", () => {
  it("surfaces the server's detail message with the status", async () => {
    const { impl } = fakeFetch([{ status: 429, body: { detail: "too many attempts, wait 60s" } }]);
    const api = new ApiClient(impl);
    const err = await api.login("a", "b").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(429);
    expect((err as ApiError).message).toBe("too many attempts, wait 60s");
  });

  it("returns null from getSession on 401 without signalling unauthorized", async () => {
    const { impl } = fakeFetch([{ status: 401, body: { detail: "not signed in" } }]);
    const api = new ApiClient(impl);
    const onUnauth = vi.fn();
    api.onUnauthorized = onUnauth;
    expect(await api.getSession()).toBeNull();
    expect(onUnauth).not.toHaveBeenCalled();
  });

  it("signals unauthorized on 401 from data endpoints but not from a wrong TOTP code", async () => {
    const { impl } = fakeFetch([
      { status: 401, body: { detail: "session expired" } },
      { status: 401, body: { detail: "invalid code" } },
    ]);
    const api = new ApiClient(impl);
    const onUnauth = vi.fn();
    api.onUnauthorized = onUnauth;
    await expect(api.listMachines()).rejects.toThrow("session expired");
    expect(onUnauth).toHaveBeenCalledTimes(1);
    await expect(api.verifyTotp("000000")).rejects.toThrow("invalid code");
    expect(onUnauth).toHaveBeenCalledTimes(1);
  });

  it("falls back to a generic message for non-JSON errors and network failures", async () => {
    const api = new ApiClient(async () => new Response("<html>bad gateway</html>", { status: 502 }));
    await expect(api.listMachines()).rejects.toThrow("Request failed (HTTP 502)");
    const offline = new ApiClient(async () => {
      throw new TypeError("Failed to fetch");
    });
    const err = await offline.listMachines().catch((e: unknown) => e);
    expect((err as ApiError).status).toBe(0);
  });

  it("joins FastAPI validation error messages", () => {
    expect(detailMessage({ detail: [{ msg: "field required" }, { msg: "too short" }] }, 422)).toBe(
      "field required; too short",
    );
    expect(detailMessage({ detail: "" }, 400)).toBe("Request failed (HTTP 400)");
    expect(detailMessage(null, 500)).toBe("Request failed (HTTP 500)");
  });

  it("URL-encodes machine ids", async () => {
    const { impl, calls } = fakeFetch([{ status: 200, body: {} }]);
    await new ApiClient(impl).getMachine("a/b?c");
    expect(calls[0].url).toBe("/api/v1/machines/a%2Fb%3Fc");
  });
});

describe("machine search, edits and saved searches", () => {
  it("lists a page with a query string and normalises the envelope", async () => {
    const { impl, calls } = fakeFetch([
      { status: 200, body: { machines: [{ id: "a" }], total: 7, next_cursor: "c1" } },
      { status: 200, body: { machines: [] } },
    ]);
    const api = new ApiClient(impl);
    expect(await api.listMachines("?site=&limit=100")).toEqual({ machines: [{ id: "a" }], total: 7, next_cursor: "c1" });
    expect(calls[0].url).toBe("/api/v1/machines?site=&limit=100");
    expect(await api.listMachines()).toEqual({ machines: [], total: null, next_cursor: null });
  });

  it("PATCHes machines and saved searches with the CSRF token, and surfaces 403 details", async () => {
    const { impl, calls } = fakeFetch([
      { status: 200, body: { id: "m1" } },
      { status: 403, body: { detail: "you may not edit machines" } },
      { status: 201, body: { id: 5 } },
      { status: 200, body: { id: 5 } },
      { status: 204 },
    ]);
    const api = new ApiClient(impl);
    api.setCsrfToken("t");
    await api.patchMachine("m/1", { attention: true, attention_note: "disk" });
    await expect(api.patchMachine("m1", { custom_attributes: { k: "" } })).rejects.toThrow("you may not edit machines");
    await api.createSavedSearch({ name: "n", query: { site: "" }, shared: true, pinned: false });
    await api.updateSavedSearch(5, { pinned: true });
    await api.deleteSavedSearch(5);
    expect(calls.map((c) => `${c.init.method} ${c.url}`)).toEqual([
      "PATCH /api/v1/machines/m%2F1",
      "PATCH /api/v1/machines/m1",
      "POST /api/v1/saved-searches",
      "PATCH /api/v1/saved-searches/5",
      "DELETE /api/v1/saved-searches/5",
    ]);
    for (const c of calls) expect(header(c, "X-CSRF-Token")).toBe("t");
    expect(JSON.parse(calls[1].init.body as string)).toEqual({ custom_attributes: { k: "" } });
  });

  it("reads groups, audit entries and saved searches", async () => {
    const { impl, calls } = fakeFetch([
      { status: 200, body: { total: 1 } },
      { status: 200, body: { entries: [{ at: "x", user: "u", action: "a", details: {} }] } },
      { status: 200, body: { searches: [{ id: 1 }] } },
      { status: 200, body: {} },
    ]);
    const api = new ApiClient(impl);
    expect((await api.getGroups()).total).toBe(1);
    expect(await api.machineAudit("m1")).toHaveLength(1);
    expect(await api.listSavedSearches()).toEqual([{ id: 1 }]);
    expect(await api.listSavedSearches()).toEqual([]);
    expect(calls.map((c) => c.url)).toEqual([
      "/api/v1/machines/groups",
      "/api/v1/machines/m1/audit",
      "/api/v1/saved-searches",
      "/api/v1/saved-searches",
    ]);
  });
});
