import { describe, expect, it } from "vitest";
import {
  attributeError,
  auditDetailsText,
  enrollCommand,
  isPlausibleTotpCode,
  normalizeTotpCode,
  optionalPositiveInt,
  safeImageDataUri,
} from "../src/forms";

describe("form parsing", () => {
  it("parses optional positive integers", () => {
    expect(optionalPositiveInt("")).toBeNull();
    expect(optionalPositiveInt("  ")).toBeNull();
    expect(optionalPositiveInt("24")).toBe(24);
    expect(optionalPositiveInt("0")).toBe("invalid");
    expect(optionalPositiveInt("1.5")).toBe("invalid");
    expect(optionalPositiveInt("-3")).toBe("invalid");
    expect(optionalPositiveInt("1e3")).toBe("invalid");
  });

  it("normalizes TOTP codes", () => {
    expect(normalizeTotpCode(" 123 456 ")).toBe("123456");
    expect(isPlausibleTotpCode("123456")).toBe(true);
    expect(isPlausibleTotpCode("12345")).toBe(false);
    expect(isPlausibleTotpCode("12345a")).toBe(false);
  });

  it("builds the agent enroll command", () => {
    expect(enrollCommand("https://gc.example.com", "abc")).toBe(
      "guruconnect agent enroll --server https://gc.example.com --token abc",
    );
    const fp = "ab".repeat(32);
    expect(enrollCommand("https://gc.example.com", "abc", fp)).toBe(
      `guruconnect agent enroll --server https://gc.example.com --token abc --fingerprint ${fp}`,
    );
    // Anything that is not a fingerprint is left out rather than pasted into a shell.
    expect(enrollCommand("https://gc.example.com", "abc", "; rm -rf /")).not.toContain("rm");
  });

  it("only accepts data: image URIs for the QR code", () => {
    expect(safeImageDataUri("data:image/svg+xml;base64,PHN2Zz4=")).toBe("data:image/svg+xml;base64,PHN2Zz4=");
    expect(safeImageDataUri("javascript:alert(1)")).toBeNull();
    expect(safeImageDataUri("https://evil.example/x.svg")).toBeNull();
    expect(safeImageDataUri(undefined)).toBeNull();
  });
});

describe("custom attribute checks", () => {
  it("enforces the server's limits", () => {
    expect(attributeError("Owner", "Bob", {})).toBeNull();
    expect(attributeError("  ", "x", {})).toMatch(/name/);
    expect(attributeError("k".repeat(65), "x", {})).toMatch(/64/);
    expect(attributeError("k", "v".repeat(1025), {})).toMatch(/1024/);
    expect(attributeError("k", "", {})).toMatch(/Delete/);
    const full = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, "v"]));
    expect(attributeError("new", "v", full)).toMatch(/50/);
    expect(attributeError("k3", "edited", full)).toBeNull();
  });
});

describe("auditDetailsText", () => {
  it("renders before/after changes per field", () => {
    expect(auditDetailsText({ Owner: { before: null, after: "Bob" } })).toBe("Owner: ∅ → Bob");
    expect(
      auditDetailsText({ before: { attention: false, note: "" }, after: { attention: true, note: "<b>x</b>" } }),
    ).toBe('{"attention":false,"note":""} → {"attention":true,"note":"<b>x</b>"}');
  });

  it("handles plain and odd details", () => {
    expect(auditDetailsText({ user: "alice", n: 3 })).toBe("user: alice; n: 3");
    expect(auditDetailsText(null)).toBe("");
    expect(auditDetailsText({ long: "x".repeat(500) }).length).toBeLessThan(220);
  });
});
