import { encode } from "@msgpack/msgpack";
import { describe, expect, it } from "vitest";
import { ViewerConnection, finalStateFor, viewerUrl, type ConnState, type ViewerSocketLike } from "../src/viewer/connection";
import { pingMsg, type ServerMessage } from "../src/viewer/messages";
import { viewRoute, viewerHref } from "../src/viewer/route";
import { viewerMessage } from "../src/viewer/Viewer";
import type { ViewerUi } from "../src/viewer/session";

class FakeSocket implements ViewerSocketLike {
  binaryType = "blob";
  readyState = 0;
  onopen: ((ev: Event) => void) | null = null;
  onmessage: ((ev: MessageEvent) => void) | null = null;
  onclose: ((ev: CloseEvent) => void) | null = null;
  onerror: ((ev: Event) => void) | null = null;
  sent: Uint8Array[] = [];
  closed = false;
  constructor(readonly url: string) {}
  send(data: Uint8Array) {
    this.sent.push(data);
  }
  close() {
    this.closed = true;
  }
  open() {
    this.readyState = 1;
    this.onopen?.({} as Event);
  }
  receive(msg: unknown) {
    const b = encode(msg);
    this.onmessage?.({ data: b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) } as MessageEvent);
  }
  serverClose(code: number) {
    this.readyState = 3;
    this.onclose?.({ code } as CloseEvent);
  }
}

function harness() {
  const sockets: FakeSocket[] = [];
  const timers: Array<{ fn: () => void; ms: number }> = [];
  const states: Array<[ConnState, number | undefined]> = [];
  const messages: ServerMessage[] = [];
  let opened = 0;
  const conn = new ViewerConnection({
    url: "wss://host/ws/viewer/m1",
    onMessage: (m) => messages.push(m),
    onState: (s, retry) => states.push([s, retry]),
    onOpen: () => opened++,
    createSocket: (url) => {
      const s = new FakeSocket(url);
      sockets.push(s);
      return s;
    },
    setTimer: (fn, ms) => {
      const t = { fn, ms };
      timers.push(t);
      return t;
    },
    clearTimer: (h) => {
      const i = timers.indexOf(h as { fn: () => void; ms: number });
      if (i >= 0) timers.splice(i, 1);
    },
  });
  return { conn, sockets, timers, states, messages, opened: () => opened };
}

describe("viewer connection", () => {
  it("builds the socket URL and maps close codes", () => {
    expect(viewerUrl({ protocol: "https:", host: "gc.example:8443" }, "ab/c d")).toBe("wss://gc.example:8443/ws/viewer/ab%2Fc%20d");
    expect(viewerUrl({ protocol: "http:", host: "localhost" }, "m1")).toBe("ws://localhost/ws/viewer/m1");
    expect([4401, 4440, 4403, 4404, 4410, 1006, 1011, 4000].map(finalStateFor)).toEqual([
      "auth_lost",
      "auth_lost",
      "forbidden",
      "not_found",
      "offline",
      null,
      null,
      null,
    ]);
  });

  it("opens a binary socket, reports messages, and sends only while open", () => {
    const h = harness();
    h.conn.start();
    const s = h.sockets[0];
    expect(s.binaryType).toBe("arraybuffer");
    expect(h.conn.send(pingMsg(1.5))).toBe(false);
    s.open();
    expect(h.opened()).toBe(1);
    expect(h.conn.send(pingMsg(1.5))).toBe(true);
    expect(s.sent).toHaveLength(1);
    s.receive({ type: "pong", t: 1.5 });
    s.receive({ type: "mystery" });
    s.onmessage?.({ data: "text frame" } as MessageEvent);
    expect(h.messages).toEqual([{ type: "pong", t: 1.5 }]);
    expect(h.states.map(([st]) => st)).toEqual(["connecting", "open"]);
  });

  it("reconnects with backoff on unexpected closes; a message resets the backoff", () => {
    const h = harness();
    h.conn.start();
    h.sockets[0].serverClose(1006);
    expect(h.timers.map((t) => t.ms)).toEqual([1000]);
    h.timers.shift()!.fn();
    h.sockets[1].serverClose(1011);
    expect(h.timers.map((t) => t.ms)).toEqual([2000]);
    h.timers.shift()!.fn();
    h.sockets[2].open();
    h.sockets[2].receive({ type: "viewer_state", role: "controller", viewers: 1 });
    h.sockets[2].serverClose(1006);
    expect(h.timers.map((t) => t.ms)).toEqual([1000]);
    expect(h.states.filter(([st]) => st === "connecting").map(([, r]) => r)).toEqual([undefined, 1000, 2000, 1000]);
  });

  for (const [code, state] of [
    [4401, "auth_lost"],
    [4440, "auth_lost"],
    [4403, "forbidden"],
    [4404, "not_found"],
    [4410, "offline"],
  ] as const) {
    it(`stops for good on ${code} (${state})`, () => {
      const h = harness();
      h.conn.start();
      h.sockets[0].open();
      h.sockets[0].serverClose(code);
      expect(h.states[h.states.length - 1][0]).toBe(state);
      expect(h.timers).toEqual([]);
    });
  }

  it("can be started again after the machine went offline", () => {
    const h = harness();
    h.conn.start();
    h.sockets[0].serverClose(4410);
    h.conn.start();
    expect(h.sockets).toHaveLength(2);
  });

  it("stop closes the socket, cancels retries and ignores late events", () => {
    const h = harness();
    h.conn.start();
    h.sockets[0].serverClose(1006);
    h.conn.stop();
    expect(h.timers).toEqual([]);
    h.conn.start();
    const s = h.sockets[1];
    h.conn.stop();
    expect(s.closed).toBe(true);
    s.serverClose(1006);
    expect(h.timers).toEqual([]);
  });
});

describe("viewer route", () => {
  it("round-trips machine ids through the hash", () => {
    expect(viewerHref("m-1")).toBe("/console#/view/m-1");
    expect(viewRoute("#/view/m-1")).toBe("m-1");
    expect(viewRoute(new URL(`http://x${viewerHref("a b/é")}`).hash)).toBe("a b/é");
    expect(viewRoute("#/machines")).toBeNull();
    expect(viewRoute("#/view/")).toBeNull();
    expect(viewRoute("#/view/%E0%A4%A")).toBeNull();
    expect(viewRoute("")).toBeNull();
  });
});

describe("viewer messages on screen", () => {
  const base: ViewerUi = {
    conn: "open",
    retryInMs: null,
    role: "controller",
    controller: "bob",
    viewers: 1,
    agentConnected: true,
    monitors: [],
    monitor: -1,
    quality: "balanced",
    effective: { quality: "balanced", max_fps: 30 },
    codec: "h264",
    preferredCodec: "h264",
    fps: 0,
    rttMs: null,
    kbps: 0,
    hasFrame: true,
    frameWidth: 1920,
    frameHeight: 1080,
  };
  it("says what is going on until the screen is live", () => {
    expect(viewerMessage(base)).toBeNull();
    expect(viewerMessage({ ...base, hasFrame: false, agentConnected: false })).toBe("Waiting for the machine…");
    expect(viewerMessage({ ...base, hasFrame: false })).toBe("Starting the remote screen…");
    expect(viewerMessage({ ...base, conn: "connecting" })).toBe("Connecting…");
    expect(viewerMessage({ ...base, conn: "connecting", retryInMs: 4000 })).toMatch(/Reconnecting in 4 s/);
    expect(viewerMessage({ ...base, conn: "offline" })).toBe("The machine is offline.");
    expect(viewerMessage({ ...base, conn: "forbidden" })).toMatch(/do not have access/);
    expect(viewerMessage({ ...base, conn: "not_found" })).toMatch(/does not exist/);
  });
});
