import { describe, expect, it } from "vitest";
import { cleanCode, joinMessage } from "../src/portal/join";
import {
  applySessionEvent,
  canConnect,
  mergeChat,
  parseSupportEvent,
  statusLabel,
  type ChatLine,
  type SupportSession,
} from "../src/support";

function session(over: Partial<SupportSession> & { id: string }): SupportSession {
  return {
    code: "123456",
    link: "https://x/?code=123456",
    name: "",
    note: "",
    status: "waiting",
    consent: "pending",
    assigned_to: null,
    technician: "",
    created_by: "bob",
    created_at: "2026-01-01T10:00:00Z",
    expires_at: null,
    joined_at: null,
    consent_at: null,
    ended_at: null,
    ended_by: "",
    end_reason: "",
    duration_seconds: null,
    guest: { hostname: "", os: "", username: "", ip: "" },
    agent_connected: false,
    desktop_target: `support-${over.id}`,
    ...over,
  };
}

const line = (id: number, text = "x"): ChatLine => ({ id, sender: "guest", author: "a", text, at: "" });

describe("support list", () => {
  it("adds, updates, orders newest first and drops finished sessions", () => {
    let list = applySessionEvent([], { type: "session", session: session({ id: "a" }) });
    list = applySessionEvent(list, { type: "session", session: session({ id: "b", created_at: "2026-01-02T00:00:00Z" }) });
    expect(list.map((s) => s.id)).toEqual(["b", "a"]);
    list = applySessionEvent(list, { type: "session", session: session({ id: "a", status: "joined" }) });
    expect(list.find((s) => s.id === "a")?.status).toBe("joined");
    list = applySessionEvent(list, { type: "session", session: session({ id: "a", status: "ended" }) });
    expect(list.map((s) => s.id)).toEqual(["b"]);
    expect(applySessionEvent(list, { type: "session_gone", id: "b" })).toEqual([]);
  });

  it("labels statuses and allows Connect only with consent and a connected guest", () => {
    expect(statusLabel(session({ id: "a", status: "joined" }))).toBe("guest joined (asking for access)");
    expect(statusLabel(session({ id: "a", status: "joined", consent: "denied" }))).toContain("denied");
    expect(canConnect(session({ id: "a", status: "active", consent: "allowed", agent_connected: true }))).toBe(true);
    expect(canConnect(session({ id: "a", status: "active", consent: "allowed", agent_connected: false }))).toBe(false);
    expect(canConnect(session({ id: "a", status: "joined", consent: "denied", agent_connected: true }))).toBe(false);
  });

  it("merges chat lines once each, in order", () => {
    expect(mergeChat([line(2), line(1)], [line(3), line(2, "y")]).map((l) => [l.id, l.text])).toEqual([
      [1, "x"],
      [2, "y"],
      [3, "x"],
    ]);
  });

  it("parses live frames and ignores junk", () => {
    expect(parseSupportEvent('{"type":"hello"}')).toEqual({ type: "hello" });
    expect(parseSupportEvent('{"type":"session_gone","id":"a"}')).toEqual({ type: "session_gone", id: "a" });
    expect(parseSupportEvent('{"type":"chat","session_id":"a","line":{"id":1}}')?.type).toBe("chat");
    for (const junk of ["", "{", "[]", '{"type":"session"}', '{"type":"chat","session_id":1}', '{"type":"x"}']) {
      expect(parseSupportEvent(junk)).toBeNull();
    }
  });
});

describe("portal", () => {
  it("accepts six digits with spaces or a dash, nothing else", () => {
    expect(cleanCode(" 123 456 ")).toBe("123456");
    expect(cleanCode("123-456")).toBe("123456");
    for (const bad of ["12345", "1234567", "12a456", ""]) expect(cleanCode(bad)).toBeNull();
  });

  it("turns server answers into sentences", () => {
    expect(joinMessage(404, { detail: "That code is not valid." })).toBe("That code is not valid.");
    expect(joinMessage(429, { detail: "too many wrong codes from your network; try again in 60 seconds" })).toBe(
      "Too many wrong codes from your network; try again in 60 seconds.",
    );
    expect(joinMessage(500, null)).toContain("HTTP 500");
  });
});
