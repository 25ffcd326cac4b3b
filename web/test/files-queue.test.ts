import { describe, expect, it } from "vitest";
import { Sha256 } from "../src/files/sha256";
import { addSample, formatDuration, formatRate, fraction, nextChunk, nextToStart, remainingSeconds, speed, type TransferView } from "../src/files/queue";
import { formatBytes, joinPath, parentPath, sortEntries, uploadTarget } from "../src/files/paths";
import type { Entry } from "../src/files/messages";

const MiB = 1024 * 1024;

describe("sha256 (FIPS 180-4 vectors)", () => {
  const hex = (parts: Uint8Array[]) => parts.reduce((h, p) => h.update(p), new Sha256()).hex();
  const enc = (s: string) => new TextEncoder().encode(s);
  it("hashes the standard messages", () => {
    expect(hex([])).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(hex([enc("abc")])).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(hex([enc("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")])).toBe("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  });
  it("gives the same digest however the input is split", () => {
    const data = new Uint8Array(1000).map((_, i) => (i * 31) & 255);
    const whole = hex([data]);
    expect(hex([data.subarray(0, 1), data.subarray(1, 64), data.subarray(64, 65), data.subarray(65)])).toBe(whole);
    expect(hex([data.subarray(0, 999), data.subarray(999)])).toBe(whole);
    const million = new Uint8Array(1_000_000).fill(0x61);
    expect(hex([million])).toBe("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  });
});

describe("transfer queue math", () => {
  it("measures speed over a sliding window and estimates the time left", () => {
    let s = addSample([], 0, 0);
    s = addSample(s, 1000, 10 * MiB);
    s = addSample(s, 2000, 20 * MiB);
    expect(speed(s)).toBeCloseTo(10 * MiB);
    expect(remainingSeconds(100 * MiB, 20 * MiB, speed(s))).toBeCloseTo(8);
    for (let t = 3000; t <= 10000; t += 1000) s = addSample(s, t, (t / 1000) * 5 * MiB);
    expect(s[0]!.t).toBeGreaterThanOrEqual(10000 - 4000);
    expect(speed([])).toBe(0);
    expect(remainingSeconds(10, 5, 0)).toBeNull();
    expect(remainingSeconds(10, 10, 0)).toBe(0);
  });

  it("plans chunks within the credit window", () => {
    const window = 4 * MiB;
    expect(nextChunk(10 * MiB, 0, 0, window)).toEqual([0, MiB]);
    expect(nextChunk(10 * MiB, 4 * MiB, 0, window)).toBeNull(); // wait for an ack
    expect(nextChunk(10 * MiB, 4 * MiB, MiB, window)).toEqual([4 * MiB, 5 * MiB]);
    expect(nextChunk(MiB + 5, MiB, MiB, window)).toEqual([MiB, MiB + 5]);
    expect(nextChunk(MiB, MiB, MiB, window)).toBeNull();
  });

  it("runs one transfer at a time in queue order", () => {
    const t = (id: number, state: TransferView["state"]): TransferView => ({ id, direction: "upload", name: `${id}`, path: "", size: 1, done: 0, state, message: "", sha256: "", samples: [] });
    expect(nextToStart([t(1, "completed"), t(2, "queued"), t(3, "queued")])?.id).toBe(2);
    expect(nextToStart([t(1, "running"), t(2, "queued")])).toBeNull();
    expect(nextToStart([t(1, "conflict"), t(2, "queued")])?.id).toBe(2);
  });

  it("formats", () => {
    expect(fraction(0, 0)).toBe(1);
    expect(fraction(200, 50)).toBe(0.25);
    expect(formatDuration(75)).toBe("1 min 15 s");
    expect(formatDuration(null)).toBe("–");
    expect(formatRate(125_000_000)).toBe("125.0 MB/s");
    expect(formatBytes(1536)).toBe("1.5 KiB");
    expect(formatBytes(1024 ** 3)).toBe("1.0 GiB");
  });
});

describe("remote paths", () => {
  it("joins and walks up, stopping at the roots", () => {
    expect(joinPath("/", "etc", "/")).toBe("/etc");
    expect(joinPath("C:\\Users", "bob", "\\")).toBe("C:\\Users\\bob");
    expect(parentPath("/home/alice", "/", ["/"])).toBe("/home");
    expect(parentPath("/home", "/", ["/"])).toBe("/");
    expect(parentPath("/", "/", ["/"])).toBeNull();
    expect(parentPath("/srv/share/x", "/", ["/srv/share"])).toBe("/srv/share");
    expect(parentPath("/srv/share", "/", ["/srv/share"])).toBeNull();
    expect(parentPath("C:\\Users\\bob", "\\", ["C:\\"])).toBe("C:\\Users");
    expect(parentPath("C:\\Users", "\\", ["C:\\"])).toBe("C:\\");
    expect(uploadTarget("/tmp", "tree/sub/a.txt", "/")).toBe("/tmp/tree/sub/a.txt");
  });

  it("sorts folders first, names naturally, by size or date both ways", () => {
    const e = (name: string, kind: Entry["kind"], size = 0, mtime = 0): Entry => ({ name, kind, size, mtime });
    const entries = [e("file10", "file", 5, 3), e("file2", "file", 50, 1), e("zdir", "dir"), e("Adir", "dir")];
    expect(sortEntries(entries, "name", true).map((x) => x.name)).toEqual(["Adir", "zdir", "file2", "file10"]);
    expect(sortEntries(entries, "size", false).map((x) => x.name)).toEqual(["zdir", "Adir", "file2", "file10"]);
    expect(sortEntries(entries, "mtime", true).map((x) => x.name)).toEqual(["Adir", "zdir", "file2", "file10"]);
  });
});
