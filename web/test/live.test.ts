import { describe, expect, it } from "vitest";
import { LiveClient, backoffDelay, dashboardUrl, parseEvent, type LiveStatus, type SocketLike } from "../src/live";
import type { DashboardEvent } from "../src/types";
import { machine } from "./helpers";

const last = <T,>(xs: T[]): T => xs[xs.length - 1];

class FakeSocket implements SocketLike {
  onopen: ((ev: Event) => void) | null = null;
  onmessage: ((ev: MessageEvent) => void) | null = null;
  onclose: ((ev: CloseEvent) => void) | null = null;
  onerror: ((ev: Event) => void) | null = null;
  closed = false;
  constructor(readonly url: string) {}
  close() {
    this.closed = true;
  }
  receive(data: unknown) {
    this.onmessage?.({ data: JSON.stringify(data) } as MessageEvent);
  }
  serverClose(code: number) {
    this.onclose?.({ code } as CloseEvent);
  }
}

function harness() {
  const sockets: FakeSocket[] = [];
  const timers: Array<{ fn: () => void; ms: number; cleared: boolean }> = [];
  const events: DashboardEvent[] = [];
  const statuses: LiveStatus[] = [];
  let authLost = 0;
  const client = new LiveClient({
    url: "wss://host/ws/dashboard",
    onEvent: (e) => events.push(e),
    onStatus: (s) => statuses.push(s),
    onAuthLost: () => authLost++,
    createSocket: (url) => {
      const s = new FakeSocket(url);
      sockets.push(s);
      return s;
    },
    setTimer: (fn, ms) => {
      const t = { fn, ms, cleared: false };
      timers.push(t);
      return t;
    },
    clearTimer: (h) => {
      (h as { cleared: boolean }).cleared = true;
    },
  });
  const fire = () => {
    const t = timers[timers.length - 1];
    if (!t.cleared) t.fn();
  };
  return { client, sockets, timers, events, statuses, authLost: () => authLost, fire };
}

describe("live helpers", () => {
  it("doubles from 1s and caps at 10s", () => {
    expect([0, 1, 2, 3, 4, 5, 20].map(backoffDelay)).toEqual([1000, 2000, 4000, 8000, 10000, 10000, 10000]);
  });

  it("picks ws or wss from the page protocol", () => {
    expect(dashboardUrl({ protocol: "https:", host: "gc.example.com" })).toBe("wss://gc.example.com/ws/dashboard");
    expect(dashboardUrl({ protocol: "http:", host: "localhost:8000" })).toBe("ws://localhost:8000/ws/dashboard");
  });

  it("parses known frames and drops junk", () => {
    expect(parseEvent('{"type":"machine_removed","id":"x"}')).toEqual({ type: "machine_removed", id: "x" });
    expect(parseEvent('{"type":"snapshot","machines":[]}')).toEqual({ type: "snapshot", machines: [] });
    expect(parseEvent("not json")).toBeNull();
    expect(parseEvent('{"type":"machine"}')).toBeNull();
    expect(parseEvent('{"type":"other"}')).toBeNull();
    expect(parseEvent(new ArrayBuffer(2))).toBeNull();
  });

  it("parses the batched protocol", () => {
    expect(parseEvent('{"type":"hello"}')).toEqual({ type: "hello" });
    expect(parseEvent('{"type":"groups_changed","extra":1}')).toEqual({ type: "groups_changed" });
    expect(parseEvent('{"type":"saved_searches_changed"}')).toEqual({ type: "saved_searches_changed" });
    const a = machine({ id: "a" });
    expect(parseEvent(JSON.stringify({ type: "machines", machines: [a, null, { no: "id" }] }))).toEqual({
      type: "machines",
      machines: [a],
    });
    expect(parseEvent('{"type":"machines"}')).toBeNull();
  });

  it("turns a single machine frame into a batch of one", () => {
    const a = machine({ id: "a" });
    expect(parseEvent(JSON.stringify({ type: "machine", machine: a }))).toEqual({ type: "machines", machines: [a] });
  });
});

describe("LiveClient", () => {
  it("reports live after hello and forwards events", () => {
    const h = harness();
    h.client.start();
    expect(h.sockets[0].url).toBe("wss://host/ws/dashboard");
    expect(h.statuses).toEqual(["reconnecting"]);
    const m = machine({ id: "a" });
    h.sockets[0].receive({ type: "machines", machines: [m] });
    expect(last(h.statuses)).toBe("reconnecting");
    h.sockets[0].receive({ type: "hello" });
    h.sockets[0].receive({ type: "machine", machine: m });
    h.sockets[0].receive({ type: "groups_changed" });
    expect(last(h.statuses)).toBe("live");
    expect(h.events.map((e) => e.type)).toEqual(["machines", "hello", "machines", "groups_changed"]);
  });

  it("still goes live on a legacy snapshot", () => {
    const h = harness();
    h.client.start();
    h.sockets[0].receive({ type: "snapshot", machines: [] });
    expect(last(h.statuses)).toBe("live");
  });

  it("reconnects with exponential backoff and resets after a snapshot", () => {
    const h = harness();
    h.client.start();
    h.sockets[0].serverClose(1006);
    expect(last(h.statuses)).toBe("reconnecting");
    expect(h.timers.map((t) => t.ms)).toEqual([1000]);
    h.fire();
    h.sockets[1].serverClose(1011);
    h.fire();
    h.sockets[2].serverClose(1006);
    h.fire();
    h.sockets[3].serverClose(1006);
    h.fire();
    h.sockets[4].serverClose(1006);
    h.fire();
    h.sockets[5].serverClose(1006);
    expect(h.timers.map((t) => t.ms)).toEqual([1000, 2000, 4000, 8000, 10000, 10000]);
    h.fire();
    h.sockets[6].receive({ type: "hello" });
    h.sockets[6].serverClose(1001);
    expect(last(h.timers).ms).toBe(1000);
  });

  it.each([4440, 4401])("stops and reports auth loss on close code %i", (code) => {
    const h = harness();
    h.client.start();
    h.sockets[0].receive({ type: "hello" });
    h.sockets[0].serverClose(code);
    expect(h.authLost()).toBe(1);
    expect(h.timers).toHaveLength(0);
    expect(last(h.statuses)).toBe("reconnecting");
  });

  it("stop() closes the socket and cancels any pending reconnect", () => {
    const h = harness();
    h.client.start();
    h.sockets[0].serverClose(1006);
    h.client.stop();
    expect(h.timers[0].cleared).toBe(true);
    h.timers[0].fn();
    expect(h.sockets).toHaveLength(1);

    const h2 = harness();
    h2.client.start();
    h2.client.stop();
    expect(h2.sockets[0].closed).toBe(true);
    expect(h2.timers).toHaveLength(0);
  });
});
