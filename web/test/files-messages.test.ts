/// <reference types="node" />
// File-transfer messages against tests/vectors/files.json (written from the Python
// definitions): what the server sends decodes the same here, and what the panel sends is
// byte-for-byte what msgspec produces.
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { decodeReply, encodeRequest, type Request } from "../src/files/messages";

const here = dirname(fileURLToPath(import.meta.url));
const vectors: Record<string, string> = JSON.parse(readFileSync(resolve(here, "../../tests/vectors/files.json"), "utf8"));
const bytes = (name: string) => Uint8Array.from(vectors[name]!.match(/../g)!.map((h) => parseInt(h, 16)));
const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const SHA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

describe("files vectors: server -> browser", () => {
  it("decodes roots and listings with defaults filled in", () => {
    expect(decodeReply(bytes("roots"))).toEqual({ type: "roots", id: 1, roots: [{ path: "/", label: "/", total: 1000, free: 400 }], separator: "/" });
    expect(decodeReply(bytes("listing"))).toEqual({
      type: "listing",
      id: 2,
      path: "/home/alice",
      entries: [
        { name: "docs", kind: "dir", size: 0, mtime: 1700000000.5 },
        { name: "été.txt", kind: "file", size: 12, mtime: 1700000001 },
      ],
      truncated: false,
    });
  });

  it("decodes transfer replies", () => {
    expect(decodeReply(bytes("walk_result"))).toEqual({ type: "walk_result", id: 3, path: "/srv", files: [{ rel: "a/b.txt", size: 3 }], dirs: ["a"], truncated: false });
    expect(decodeReply(bytes("upload_ready"))).toEqual({ type: "upload_ready", id: 4, path: "/tmp/x (1).bin", offset: 1048576 });
    expect(decodeReply(bytes("upload_ack"))).toEqual({ type: "upload_ack", id: 4, offset: 2097152 });
    expect(decodeReply(bytes("transfer_done"))).toEqual({ type: "transfer_done", id: 4, size: 2097152, sha256: SHA });
    expect(decodeReply(bytes("file_error"))).toEqual({
      type: "file_error",
      id: 5,
      code: "exists",
      message: "x.bin already exists",
      existing: { name: "x.bin", kind: "file", size: 9, mtime: 1.5 },
    });
    expect(decodeReply(bytes("download_progress"))).toEqual({ type: "download_progress", transfer: "abcdef0123456789", done: 10, total: 20, state: "running", sha256: "", message: "" });
  });

  it("ignores malformed frames", () => {
    expect(decodeReply(new Uint8Array([0xc1]))).toBeNull();
    expect(decodeReply(encodeRequest({ type: "cancel", id: 1 }))).toBeNull();
  });
});

describe("files vectors: browser -> server", () => {
  const cases: [string, Request][] = [
    ["list_roots", { type: "list_roots", id: 1 }],
    ["list_dir", { type: "list_dir", id: 2, path: "C:\\Users" }],
    ["walk", { type: "walk", id: 3, path: "/srv" }],
    ["upload_begin", { type: "upload_begin", id: 4, path: "/tmp/x.bin", size: 3, conflict: "rename", mkdirs: true, source: "paste" }],
    ["upload_chunk", { type: "upload_chunk", id: 4, offset: 0, data: new TextEncoder().encode("abc") }],
    ["upload_end", { type: "upload_end", id: 4, sha256: SHA }],
    ["cancel", { type: "cancel", id: 4 }],
    ["cancel_download", { type: "cancel_download", transfer: "abcdef0123456789" }],
  ];
  for (const [name, message] of cases) {
    it(`encodes ${name} exactly as msgspec does`, () => {
      expect(hex(encodeRequest(message))).toBe(vectors[name]);
    });
  }
});
