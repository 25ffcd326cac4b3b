/// <reference types="node" />
// The viewer's codec against the bytes Python produces (tests/vectors/desktop.json,
// written from src/guruconnect/protocol/desktop.py and checked in pytest).
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { decode, encode } from "@msgpack/msgpack";
import { describe, expect, it } from "vitest";
import {
  decodeServerFrame,
  encodeClientMessage,
  keyMsg,
  keyframeRequestMsg,
  parseServerMessage,
  pingMsg,
  pointerMsg,
  releaseAllMsg,
  releaseControlMsg,
  streamSettingsMsg,
  takeControlMsg,
  type ClientMessage,
} from "../src/viewer/messages";

const here = dirname(fileURLToPath(import.meta.url));
const vectors: Record<string, string> = JSON.parse(readFileSync(resolve(here, "../../tests/vectors/desktop.json"), "utf8"));

function bytesOf(name: string): Uint8Array {
  const hex = vectors[name];
  if (!hex) throw new Error(`no vector ${name}`);
  return Uint8Array.from(hex.match(/../g)!.map((h) => parseInt(h, 16)));
}

const hexOf = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

describe("server -> viewer vectors", () => {
  it("parses monitors, filling primary/name defaults", () => {
    expect(decodeServerFrame(bytesOf("monitors"))).toEqual({
      type: "monitors",
      monitors: [
        { id: 0, x: 0, y: 0, width: 1920, height: 1080, primary: true, name: "DP-1" },
        { id: 1, x: 1920, y: 0, width: 1280, height: 1024, primary: false, name: "" },
      ],
    });
  });

  it("parses a video keyframe with binary data and monitor -1 by default", () => {
    const m = decodeServerFrame(bytesOf("video"));
    expect(m).toEqual({
      type: "video",
      seq: 7,
      keyframe: true,
      width: 1920,
      height: 1080,
      data: new Uint8Array([0, 0, 0, 1, 0x67, 0x42]),
      monitor: -1,
      codec: "h264",
      captured_at: 1700000000.25,
      input_seq: 3,
    });
    expect((m as { data: unknown }).data).toBeInstanceOf(Uint8Array);
  });

  it("parses a video delta with omitted captured_at/input_seq", () => {
    expect(decodeServerFrame(bytesOf("video_delta"))).toMatchObject({
      type: "video",
      seq: 8,
      keyframe: false,
      monitor: 1,
      codec: "h264",
      captured_at: 0,
      input_seq: 0,
      data: new Uint8Array([0, 1]),
    });
  });

  it("parses JPEG tiles", () => {
    expect(decodeServerFrame(bytesOf("tiles"))).toEqual({
      type: "tiles",
      seq: 2,
      keyframe: false,
      width: 1280,
      height: 1024,
      tiles: [{ x: 64, y: 128, width: 64, height: 64, data: new Uint8Array([0xff, 0xd8, 0xff]) }],
      monitor: 1,
      codec: "jpeg",
      captured_at: 0,
      input_seq: 9,
    });
  });

  it("parses viewer_state and pong", () => {
    expect(decodeServerFrame(bytesOf("viewer_state"))).toEqual({
      type: "viewer_state",
      role: "observer",
      viewers: 2,
      controller: "alice",
      agent_connected: true,
    });
    expect(decodeServerFrame(bytesOf("pong"))).toEqual({ type: "pong", t: 12.5 });
  });

  it("fills viewer_state defaults and rejects malformed or unknown messages", () => {
    expect(parseServerMessage({ type: "viewer_state", role: "controller", viewers: 1 })).toEqual({
      type: "viewer_state",
      role: "controller",
      viewers: 1,
      controller: "",
      agent_connected: false,
    });
    expect(parseServerMessage({ type: "viewer_state", role: "boss", viewers: 1 })).toBeNull();
    expect(parseServerMessage({ type: "video", seq: 1, keyframe: true, width: 10, height: 10 })).toBeNull();
    expect(parseServerMessage({ type: "video", seq: 1, keyframe: true, width: 10, height: 10, data: new Uint8Array(1), codec: "vp9" })).toBeNull();
    expect(parseServerMessage({ type: "monitors", monitors: [] })).toBeNull();
    expect(parseServerMessage({ type: "tiles", seq: 1, keyframe: true, width: 2, height: 2, tiles: [{ x: 0 }] })).toBeNull();
    expect(parseServerMessage({ type: "something_new" })).toBeNull();
    expect(parseServerMessage([1, 2])).toBeNull();
    expect(decodeServerFrame(new Uint8Array([0xc1]))).toBeNull();
  });

  it("accepts an ArrayBuffer as the socket delivers it", () => {
    const b = bytesOf("pong");
    const ab = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
    expect(decodeServerFrame(ab)).toEqual({ type: "pong", t: 12.5 });
  });
});

describe("viewer -> server vectors: byte-for-byte what Python encodes", () => {
  const cases: Array<[string, () => ClientMessage]> = [
    ["pointer", () => pointerMsg({ seq: 5, x: 1930, y: 20, buttons: 1, wheel_y: -2 })],
    ["key", () => keyMsg({ seq: 6, down: true, code: "KeyE", key: "é" })],
    ["key_up", () => keyMsg({ seq: 7, down: false, code: "ShiftLeft", key: "Shift" })],
    ["release_all", () => releaseAllMsg(8)],
    ["stream_settings", () => streamSettingsMsg({ monitor: 1, codec: "jpeg", quality: "speed", max_fps: 15 })],
    ["stream_settings_default", () => streamSettingsMsg({ monitor: -1, codec: "h264", quality: "balanced", max_fps: 30 })],
    ["keyframe_request", () => keyframeRequestMsg()],
    ["take_control", () => takeControlMsg()],
    ["ping", () => pingMsg(12.5)],
  ];
  for (const [name, build] of cases) {
    it(name, () => {
      expect(hexOf(encodeClientMessage(build()))).toBe(vectors[name]);
    });
  }

  it("covers every inbound vector in the file", () => {
    const outbound = new Set(["monitors", "video", "video_delta", "tiles", "viewer_state", "pong"]);
    const inbound = Object.keys(vectors).filter((k) => !outbound.has(k));
    expect(inbound.sort()).toEqual(cases.map(([n]) => n).sort());
  });
});

describe("builders", () => {
  it("omit defaults and keep explicit zero coordinates", () => {
    expect(pointerMsg({ seq: 1, x: 0, y: 0 })).toEqual({ type: "pointer", seq: 1, x: 0, y: 0 });
    expect(keyMsg({ seq: 2, down: false, code: "", key: "ü" })).toEqual({ type: "key", seq: 2, down: false, key: "ü" });
    expect(releaseAllMsg(0)).toEqual({ type: "release_all" });
    expect(streamSettingsMsg()).toEqual({ type: "stream_settings" });
    expect(releaseControlMsg()).toEqual({ type: "release_control" });
  });

  it("clamp values to the protocol's ranges", () => {
    expect(pointerMsg({ seq: 1, x: 99999, y: -99999, buttons: 64, wheel_x: 500, wheel_y: -500 })).toEqual({
      type: "pointer",
      seq: 1,
      x: 32767,
      y: -32768,
      buttons: 31,
      wheel_x: 100,
      wheel_y: -100,
    });
    expect(streamSettingsMsg({ max_fps: 0, monitor: 99 })).toEqual({ type: "stream_settings", monitor: 64, max_fps: 1 });
    expect(keyMsg({ seq: 1, down: true, code: "x".repeat(40), key: "y".repeat(40) })).toMatchObject({
      code: "x".repeat(32),
      key: "y".repeat(32),
    });
  });

  it("round-trips through msgpack with the tag first", () => {
    const m = decode(encode(pointerMsg({ seq: 3, x: 10, y: 20, buttons: 2 }))) as Record<string, unknown>;
    expect(Object.keys(m)).toEqual(["type", "seq", "x", "y", "buttons"]);
  });
});
