import { describe, expect, it } from "vitest";
import { enrollCommand, isPlausibleTotpCode, normalizeTotpCode, optionalPositiveInt, safeImageDataUri } from "../src/forms";

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
