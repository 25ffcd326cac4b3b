import { describe, expect, it } from "vitest";
import { applyEvent, filterMachines, sortMachines, visibleMachines } from "../src/machines";
import { machine } from "./helpers";

describe("applyEvent", () => {
  const a = machine({ id: "a" });
  const b = machine({ id: "b" });

  it("replaces everything on snapshot", () => {
    expect(applyEvent([a], { type: "snapshot", machines: [b] })).toEqual([b]);
  });

  it("keeps the last entry when a snapshot repeats an id", () => {
    const b2 = { ...b, name: "newer" };
    expect(applyEvent([], { type: "snapshot", machines: [b, b2] })).toEqual([b2]);
  });

  it("inserts an unknown machine", () => {
    expect(applyEvent([a], { type: "machine", machine: b })).toEqual([a, b]);
  });

  it("replaces a known machine by id without mutating the input", () => {
    const list = [a, b];
    const a2 = { ...a, online: true };
    const next = applyEvent(list, { type: "machine", machine: a2 });
    expect(next).toEqual([a2, b]);
    expect(list[0]).toBe(a);
  });

  it("removes by id and ignores unknown ids", () => {
    expect(applyEvent([a, b], { type: "machine_removed", id: "a" })).toEqual([b]);
    expect(applyEvent([a, b], { type: "machine_removed", id: "zzz" })).toEqual([a, b]);
  });

  it("ignores unknown event types", () => {
    const ev = { type: "something_new" } as unknown as Parameters<typeof applyEvent>[1];
    expect(applyEvent([a], ev)).toEqual([a]);
  });
});

describe("sortMachines", () => {
  it("puts online machines first, then sorts by name naturally and case-insensitively", () => {
    const list = [
      machine({ id: "1", name: "zeta", online: true }),
      machine({ id: "2", name: "alpha", online: false }),
      machine({ id: "3", name: "PC-10", online: true }),
      machine({ id: "4", name: "pc-9", online: true }),
      machine({ id: "5", name: "Beta", online: false }),
    ];
    expect(sortMachines(list).map((m) => m.name)).toEqual(["pc-9", "PC-10", "zeta", "alpha", "Beta"]);
  });

  it("is stable for equal names by using the id", () => {
    const list = [machine({ id: "b", name: "same" }), machine({ id: "a", name: "same" })];
    expect(sortMachines(list).map((m) => m.id)).toEqual(["a", "b"]);
  });
});

describe("filterMachines", () => {
  const list = [
    machine({ id: "1", name: "FRONTDESK-01", hostname: "fd01", company: "Acme", site: "HQ", logged_on_users: ["ACME\\bob"], public_ip: "203.0.113.5" }),
    machine({ id: "2", name: "LAB-PC", hostname: "lab", company: "Globex", site: "Lab", logged_on_users: ["carol"], public_ip: "198.51.100.7" }),
  ];
  const ids = (q: string) => filterMachines(list, q).map((m) => m.id);

  it("returns everything for a blank query", () => {
    expect(ids("   ")).toEqual(["1", "2"]);
  });

  it("matches name, hostname, company, site, user and IP case-insensitively", () => {
    expect(ids("frontdesk")).toEqual(["1"]);
    expect(ids("LAB")).toEqual(["2"]);
    expect(ids("globex")).toEqual(["2"]);
    expect(ids("hq")).toEqual(["1"]);
    expect(ids("bob")).toEqual(["1"]);
    expect(ids("198.51")).toEqual(["2"]);
  });

  it("requires every term to match", () => {
    expect(ids("acme carol")).toEqual([]);
    expect(ids("acme bob")).toEqual(["1"]);
  });

  it("does not search unrelated fields", () => {
    expect(ids("windows")).toEqual([]);
  });

  it("visibleMachines filters then sorts", () => {
    const l = [machine({ id: "x", name: "b", company: "k" }), machine({ id: "y", name: "a", company: "k", online: true })];
    expect(visibleMachines(l, "k").map((m) => m.id)).toEqual(["y", "x"]);
  });
});
