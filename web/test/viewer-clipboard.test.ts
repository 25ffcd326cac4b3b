/// <reference types="node" />
// Clipboard and typing messages against the bytes Python produces
// (tests/vectors/clipboard.json), and ClipboardSync's send / receive / typing logic
// with an in-memory clipboard standing in for the browser's (the edge we cannot run
// in Node; the end-to-end tests use Chromium's real one).
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { decode, encode } from "@msgpack/msgpack";
import { describe, expect, it } from "vitest";
import { ClipboardSync, sha256, type ClipItem, type ClipboardUi } from "../src/viewer/clipboard";
import {
  CHUNK_BYTES,
  clipboardChunkMsg,
  clipboardOfferMsg,
  clipboardRequestMsg,
  typeCancelMsg,
  typeTextMsg,
  type ClipboardServerMessage,
} from "../src/viewer/clipboardMessages";
import { decodeServerFrame, encodeClientMessage, type ClientMessage } from "../src/viewer/messages";
import { transferText } from "../src/viewer/ClipboardControls";
import { characters, typingSummary } from "../src/viewer/PasteDialog";

const here = dirname(fileURLToPath(import.meta.url));
const vectors: Record<string, string> = JSON.parse(readFileSync(resolve(here, "../../tests/vectors/clipboard.json"), "utf8"));
const bytesOf = (name: string) => Uint8Array.from(vectors[name]!.match(/../g)!.map((h) => parseInt(h, 16)));
const hexOf = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const enc = new TextEncoder();

describe("clipboard vectors", () => {
  it("parses what the server sends", () => {
    const offer = decodeServerFrame(bytesOf("clipboard_offer"));
    expect(offer).toMatchObject({ type: "clipboard_offer", transfer: 3, request: 0 });
    expect(offer && offer.type === "clipboard_offer" && offer.formats.map((f) => [f.kind, f.size])).toEqual([["text", 5], ["html", 8]]);
    expect(decodeServerFrame(bytesOf("clipboard_offer_answer"))).toMatchObject({ transfer: 4, request: 9 });
    expect(decodeServerFrame(bytesOf("clipboard_chunk"))).toEqual({ type: "clipboard_chunk", transfer: 3, index: 0, data: enc.encode("hello<b>hi</b") });
    expect(decodeServerFrame(bytesOf("clipboard_error"))).toEqual({ type: "clipboard_error", transfer: 3, message: "too large", request: 0 });
    expect(decodeServerFrame(bytesOf("type_progress"))).toEqual({ type: "type_progress", job: 2, typed: 10, total: 27, state: "typing", skipped: 0 });
    expect(decodeServerFrame(bytesOf("clipboard_files"))).toEqual({
      type: "clipboard_files",
      files: [
        { path: "/home/ann/report ü.pdf", kind: "file", size: 12345 },
        { path: "C:\\Users\\ann\\Logs", kind: "dir", size: 0 },
      ],
      truncated: true,
      request: 4,
    });
    expect(decodeServerFrame(bytesOf("type_progress_done"))).toEqual({ type: "type_progress", job: 2, typed: 27, total: 27, state: "done", skipped: 1 });
  });

  it("builds the exact bytes Python expects", () => {
    const offer = decode(bytesOf("clipboard_offer")) as { formats: { kind: "text"; size: number; sha256: Uint8Array }[] };
    const same = (name: string, m: ClientMessage) => expect(hexOf(encodeClientMessage(m))).toBe(vectors[name]);
    same("clipboard_offer", clipboardOfferMsg(3, offer.formats));
    same("clipboard_chunk", clipboardChunkMsg(3, 0, enc.encode("hello<b>hi</b")));
    same("clipboard_request", clipboardRequestMsg(1));
    same("type_text", typeTextMsg(2, "Pa$$w0rd! é ü 😀 \t\n", 40));
    same("type_text_default", typeTextMsg(5, "x"));
    same("type_cancel", typeCancelMsg(2));
  });

  it("rejects malformed clipboard messages", () => {
    const bad = [
      { type: "clipboard_offer", transfer: 1, formats: [] },
      { type: "clipboard_offer", transfer: 1, formats: [{ kind: "pdf", size: 1, sha256: new Uint8Array(32) }] },
      { type: "clipboard_offer", transfer: 1, formats: [{ kind: "text", size: 1, sha256: new Uint8Array(31) }] },
      { type: "clipboard_chunk", transfer: 1, index: -1, data: new Uint8Array(1) },
      { type: "clipboard_files", files: [] },
      { type: "clipboard_files", files: [{ path: "" }] },
      { type: "clipboard_files", files: [{ path: "/a", kind: "socket" }] },
      { type: "clipboard_files", files: [{ path: "/a", size: -1 }] },
      { type: "clipboard_files", files: Array(501).fill({ path: "/a" }) },
      { type: "type_progress", job: 1, typed: 1, total: 2, state: "exploded" },
    ];
    for (const m of bad) expect(decodeServerFrame(encode(m))).toBeNull();
  });

  it("ignores the server's acks to the worker, which a viewer never gets", () => {
    expect(decodeServerFrame(bytesOf("clipboard_ack"))).toBeNull();
    expect(decodeServerFrame(bytesOf("clipboard_ack_stop"))).toBeNull();
  });
});

class MemoryClipboard {
  item: ClipItem = {};
  writes = 0;
  async read(): Promise<ClipItem> {
    return { ...this.item };
  }
  async write(item: ClipItem): Promise<void> {
    this.writes++;
    this.item = { ...item };
  }
}

function harness() {
  const sent: ClientMessage[] = [];
  const access = new MemoryClipboard();
  const uis: ClipboardUi[] = [];
  const sync = new ClipboardSync({ send: (m) => (sent.push(m), true), access, onUi: (u) => uis.push(u) });
  return { sent, access, uis, sync };
}

// What the server would relay for an item: the client's own messages, as received.
function asReceived(m: ClientMessage): ClipboardServerMessage {
  return decodeServerFrame(encodeClientMessage(m)) as ClipboardServerMessage;
}

describe("ClipboardSync", () => {
  it("sends an item in chunks with sizes and hashes, and its progress", async () => {
    const { sent, access, uis, sync } = harness();
    const png = new Uint8Array(CHUNK_BYTES * 2 + 10).map((_, i) => i % 251);
    access.item = { text: enc.encode("héllo"), png };
    expect(await sync.sendClipboard()).toBe(true);
    const offer = sent[0] as { type: string; formats: { kind: string; size: number; sha256: Uint8Array }[] };
    expect(offer.type).toBe("clipboard_offer");
    expect(offer.formats.map((f) => [f.kind, f.size])).toEqual([["text", 6], ["png", png.length]]);
    expect(hexOf(offer.formats[1]!.sha256)).toBe(hexOf(await sha256(png)));
    const chunks = sent.slice(1) as unknown as { index: number; data: Uint8Array }[];
    expect(chunks.map((c) => c.index)).toEqual([0, 1, 2, 3]); // text, then png in 3
    expect(chunks.reduce((n, c) => n + c.data.length, 0)).toBe(6 + png.length);
    const progress = uis.filter((u) => u.transfer).map((u) => u.transfer!.done);
    expect(progress.at(-1)).toBe(6 + png.length);
    expect(uis.at(-1)).toMatchObject({ transfer: null, sent: 1 });
    // Automatic sync does not send the same item twice.
    await sync.syncLocal();
    expect(sent.length).toBe(5);
  });

  it("receives an item into the local clipboard and does not send it back", async () => {
    const a = harness();
    const b = harness();
    a.access.item = { html: enc.encode("<b>x</b>"), text: enc.encode("x") };
    await a.sync.sendClipboard();
    for (const m of a.sent) await b.sync.onMessage(asReceived(m));
    expect(b.access.item).toEqual({ text: enc.encode("x"), html: enc.encode("<b>x</b>") });
    expect(b.sync.state.received).toBe(1);
    await b.sync.syncLocal();
    expect(b.sent).toEqual([]); // no echo to the remote machine
  });

  it("does not echo an item the browser re-encoded on its clipboard", async () => {
    const a = harness();
    const b = harness();
    // Like Chromium: HTML comes back with a <meta charset> in front.
    const write = b.access.write.bind(b.access);
    b.access.write = async (item: ClipItem) => {
      await write({ ...item, html: item.html && enc.encode(`<meta charset="utf-8">${new TextDecoder().decode(item.html)}`) });
    };
    a.access.item = { html: enc.encode("<i>remote</i>") };
    await a.sync.sendClipboard();
    for (const m of a.sent) await b.sync.onMessage(asReceived(m));
    await b.sync.syncLocal();
    expect(b.sent).toEqual([]);
    // A new local copy is sent as usual.
    b.access.item = { text: enc.encode("new") };
    await b.sync.syncLocal();
    expect(b.sent.length).toBe(2);
  });

  it("drops an item whose hash does not match, and says so", async () => {
    const a = harness();
    const b = harness();
    a.access.item = { text: enc.encode("abc") };
    await a.sync.sendClipboard();
    const chunk = asReceived(a.sent[1]!) as { data: Uint8Array };
    chunk.data = enc.encode("abd");
    await b.sync.onMessage(asReceived(a.sent[0]!));
    await b.sync.onMessage(chunk as ClipboardServerMessage);
    expect(b.access.writes).toBe(0);
    expect(b.sync.state.error).toMatch(/SHA-256/);
  });

  it("with automatic sync off, keeps remote copies out unless asked for", async () => {
    const a = harness();
    const b = harness();
    b.sync.setAuto(false);
    a.access.item = { text: enc.encode("remote") };
    await a.sync.sendClipboard();
    for (const m of a.sent) await b.sync.onMessage(asReceived(m));
    expect(b.access.writes).toBe(0);
    b.sync.requestRemote();
    const request = b.sent[0] as unknown as { request: number };
    await b.sync.onMessage({ type: "clipboard_offer", transfer: 9, formats: (asReceived(a.sent[0]!) as unknown as { formats: never[] }).formats, request: request.request });
    await b.sync.onMessage({ type: "clipboard_chunk", transfer: 9, index: 0, data: enc.encode("remote") });
    expect(b.access.item).toEqual({ text: enc.encode("remote") });
  });

  it("lists files copied on the remote machine, and leaves the local clipboard alone", async () => {
    const { access, sync } = harness();
    const files = [{ path: "/srv/a b.txt", kind: "file" as const, size: 3 }, { path: "/srv/logs", kind: "dir" as const, size: 0 }];
    await sync.onMessage({ type: "clipboard_files", files, truncated: false, request: 0 });
    expect(sync.state.files).toEqual({ files, truncated: false });
    expect(sync.state.notice).toBe("The remote machine copied 2 items: download below.");
    expect(access.writes).toBe(0);
    sync.dismissFiles();
    expect(sync.state.files).toBeNull();
    // With automatic sync off, only an answer to "Get clipboard" is shown.
    sync.setAuto(false);
    await sync.onMessage({ type: "clipboard_files", files, truncated: true, request: 0 });
    expect(sync.state.files).toBeNull();
    sync.requestRemote();
    await sync.onMessage({ type: "clipboard_files", files, truncated: true, request: 1 });
    expect(sync.state.files).toEqual({ files, truncated: true });
  });

  it("shows the server's error (over the limit) and the typing progress", async () => {
    const { sync, sent } = harness();
    await sync.onMessage({ type: "clipboard_error", transfer: 1, message: "Your clipboard holds 20.0 MB: more than this server's clipboard limit of 16.8 MB.", request: 0 });
    expect(sync.state.error).toMatch(/limit/);
    const job = sync.typeText("Pa$$ 😀", 40)!;
    expect(sent[0]).toMatchObject({ type: "type_text", job, text: "Pa$$ 😀" });
    expect(sync.state.typing).toMatchObject({ total: 6, state: "typing" });
    await sync.onMessage({ type: "type_progress", job, typed: 3, total: 6, state: "typing", skipped: 0 });
    sync.cancelTyping();
    expect(sent[1]).toEqual({ type: "type_cancel", job });
    await sync.onMessage({ type: "type_progress", job, typed: 3, total: 6, state: "cancelled", skipped: 0 });
    expect(typingSummary(sync.state.typing)).toBe("Cancelled after 3 of 6 characters.");
    expect(characters("😀é")).toBe(2);
    expect(sync.typeText("", 40)).toBeNull();
  });

  it("describes a transfer in progress", () => {
    const ui: ClipboardUi = { auto: true, transfer: { direction: "receive", done: 500_000, total: 2_000_000 }, notice: "", error: "", typing: null, files: null, sent: 0, received: 0 };
    expect(transferText(ui)).toBe("Receiving clipboard 25% of 2.0 MB");
  });
});
