/// <reference types="node" />
// The browser decodes agent-protocol frames with @msgpack/msgpack; these are the exact
// bytes the Python definitions produce (tests/vectors/protocol.json, checked in pytest).
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { decode } from "@msgpack/msgpack";
import { describe, expect, it } from "vitest";

const here = dirname(fileURLToPath(import.meta.url));
const vectors: Record<string, string> = JSON.parse(
  readFileSync(resolve(here, "../../tests/vectors/protocol.json"), "utf8"),
);

function frame(name: string): Record<string, unknown> {
  const hex = vectors[name];
  if (!hex) throw new Error(`no vector ${name}`);
  const bytes = Uint8Array.from(hex.match(/../g)!.map((h) => parseInt(h, 16)));
  return decode(bytes) as Record<string, unknown>;
}

describe("protocol test vectors", () => {
  it("decodes server_hello with a 32-byte binary challenge", () => {
    const m = frame("server_hello");
    expect(m.type).toBe("server_hello");
    expect(m.versions).toEqual([1]);
    expect(m.challenge).toBeInstanceOf(Uint8Array);
    expect(Array.from(m.challenge as Uint8Array)).toEqual([...Array(32).keys()]);
  });

  it("decodes welcome with float intervals", () => {
    expect(frame("welcome")).toEqual({
      type: "welcome",
      version: 1,
      heartbeat_interval: 30,
      inventory_interval: 900,
      public_ip: "203.0.113.7",
    });
  });

  it("decodes heartbeats and acks", () => {
    expect(frame("heartbeat")).toEqual({ type: "heartbeat", seq: 42, idle_seconds: 5 });
    expect(frame("heartbeat_ack")).toEqual({ type: "heartbeat_ack", seq: 42, server_time: 1700000000.5 });
  });

  it("decodes inventory, omitting defaults", () => {
    expect(frame("inventory")).toEqual({
      type: "inventory",
      hostname: "pc-01",
      os_type: "linux",
      cpu_count: 8,
      logged_on_users: ["alice"],
    });
  });
});
