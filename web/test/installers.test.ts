import { describe, expect, it } from "vitest";
import { downloadPath, installerBody, installerStatus, type Installer } from "../src/installers";

const form = {
  name_mode: "machine" as const,
  name: "ignored",
  company: " Glaztech ",
  site: "Zürich \"HQ\"",
  department: "",
  device_type: "Laptop",
  tag: "VIP's",
};

describe("installer form", () => {
  it("keeps values as typed, trimmed, and drops the name when using the machine name", () => {
    expect(installerBody(form)).toEqual({ ...form, name: "", company: "Glaztech" });
  });
  it("explains what is missing or too long", () => {
    expect(installerBody({ ...form, company: "  " })).toBe("Company is required.");
    expect(installerBody({ ...form, name_mode: "custom", name: " " })).toMatch(/Enter a name/);
    expect(installerBody({ ...form, tag: "x".repeat(257) })).toMatch(/tag is longer than 256/);
  });
  it("builds download paths and statuses", () => {
    expect(downloadPath("a/b", "linux.sh")).toBe("/api/v1/installers/a%2Fb/linux.sh");
    const base = { revoked: false, expires_at: null } as unknown as Installer;
    expect(installerStatus(base, 0)).toBe("active");
    expect(installerStatus({ ...base, revoked: true }, 0)).toBe("revoked");
    expect(installerStatus({ ...base, expires_at: "2000-01-01T00:00:00Z" }, Date.now())).toBe("expired");
  });
});
