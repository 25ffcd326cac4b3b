import { describe, expect, it } from "vitest";
import { EMPTY, formatBytes, formatDateTime, formatDuration, formatList, formatRelative, toDate } from "../src/format";

describe("formatBytes", () => {
  it("uses binary units", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(1536)).toBe("1.5 KiB");
    expect(formatBytes(16 * 1024 ** 3)).toBe("16.0 GiB");
    expect(formatBytes(500107862016)).toBe("465.8 GiB");
    expect(formatBytes(2 * 1024 ** 4)).toBe("2.0 TiB");
  });

  it("shows a placeholder for missing or bogus values", () => {
    expect(formatBytes(undefined)).toBe(EMPTY);
    expect(formatBytes(null)).toBe(EMPTY);
    expect(formatBytes(-1)).toBe(EMPTY);
    expect(formatBytes(Number.NaN)).toBe(EMPTY);
  });
});

describe("formatRelative", () => {
  const now = Date.parse("2024-05-01T12:00:00Z");
  const ago = (s: number) => new Date(now - s * 1000).toISOString();

  it("describes recent times", () => {
    expect(formatRelative(ago(10), now)).toBe("just now");
    expect(formatRelative(ago(120), now)).toBe("2 min ago");
    expect(formatRelative(ago(59 * 60), now)).toBe("59 min ago");
    expect(formatRelative(ago(3 * 3600 + 100), now)).toBe("3 h ago");
    expect(formatRelative(ago(2 * 86400), now)).toBe("2 d ago");
  });

  it("treats future timestamps (clock skew) as now", () => {
    expect(formatRelative(ago(-300), now)).toBe("just now");
  });

  it("handles missing and invalid input", () => {
    expect(formatRelative(null, now)).toBe("never");
    expect(formatRelative("not a date", now)).toBe(EMPTY);
  });

  it("falls back to a date for old timestamps", () => {
    expect(formatRelative(ago(90 * 86400), now)).toBe(new Date(now - 90 * 86400 * 1000).toLocaleDateString());
  });
});

describe("formatDuration", () => {
  it("shows up to two units", () => {
    expect(formatDuration(0)).toBe("0 s");
    expect(formatDuration(59)).toBe("59 s");
    expect(formatDuration(125)).toBe("2 min 5 s");
    expect(formatDuration(3600)).toBe("1 h");
    expect(formatDuration(3725)).toBe("1 h 2 min");
    expect(formatDuration(90061)).toBe("1 d 1 h");
  });

  it("reports -1 and missing values as unknown", () => {
    expect(formatDuration(-1)).toBe("unknown");
    expect(formatDuration(undefined)).toBe("unknown");
  });
});

describe("dates", () => {
  it("reads unix seconds and ISO strings", () => {
    expect(toDate(1714564800)?.toISOString()).toBe("2024-05-01T12:00:00.000Z");
    expect(toDate(1714564800.5)?.getTime()).toBe(1714564800500);
    expect(toDate("2024-05-01T12:00:00Z")?.getTime()).toBe(1714564800000);
    expect(toDate(null)).toBeNull();
    expect(toDate("garbage")).toBeNull();
  });

  it("formats as local date-time or placeholder", () => {
    expect(formatDateTime(1714564800)).toBe(new Date(1714564800000).toLocaleString());
    expect(formatDateTime(null)).toBe(EMPTY);
  });
});

describe("formatList", () => {
  it("joins non-empty strings", () => {
    expect(formatList(["a", "", "b"])).toBe("a, b");
    expect(formatList([])).toBe(EMPTY);
    expect(formatList(undefined)).toBe(EMPTY);
  });
});
