import { describe, expect, it } from "vitest";
import {
  BatchQueue,
  MAX_MISSING,
  appendPage,
  applyEvent,
  applyMachineBatch,
  filterMachines,
  removeMachine,
  sortMachines,
  visibleMachines,
} from "../src/machines";
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

describe("live batches on a paged list", () => {
  const rows = Array.from({ length: 300 }, (_, i) => machine({ id: `m${i}`, name: `pc-${i}` }));

  it("updates loaded rows in place and reports the rest as missing", () => {
    const changed = { ...rows[5], online: true };
    const stranger = machine({ id: "zz" });
    const res = applyMachineBatch(rows, [changed, stranger]);
    expect(res.updated).toBe(1);
    expect(res.missingCount).toBe(1);
    expect(res.missing).toEqual([stranger]);
    expect(res.rows[5]).toBe(changed);
    expect(res.rows.map((m) => m.id)).toEqual(rows.map((m) => m.id)); // no re-sort
    expect(rows[5].online).toBe(false); // input untouched
  });

  it("returns the same array when nothing loaded changed", () => {
    const res = applyMachineBatch(rows, [machine({ id: "nope" })]);
    expect(res.rows).toBe(rows);
  });

  it("the last update for a machine in a batch wins", () => {
    const a1 = { ...rows[0], name: "first" };
    const a2 = { ...rows[0], name: "second" };
    expect(applyMachineBatch(rows, [a1, a2]).rows[0].name).toBe("second");
  });

  it("keeps working across successive batches (index reuse)", () => {
    let cur = rows;
    for (let i = 0; i < 10; i++) cur = applyMachineBatch(cur, [{ ...rows[i], name: `v${i}` }]).rows;
    expect(cur.slice(0, 10).map((m) => m.name)).toEqual(Array.from({ length: 10 }, (_, i) => `v${i}`));
  });

  it("applies a 5,000-machine batch quickly", () => {
    const loaded = Array.from({ length: 2000 }, (_, i) => machine({ id: `m${i}` }));
    const batch = Array.from({ length: 5000 }, (_, i) => ({ ...machine({ id: `m${i}` }), online: true }));
    applyMachineBatch(loaded, batch); // warm up
    const t0 = performance.now();
    const res = applyMachineBatch(loaded.slice(), batch);
    const ms = performance.now() - t0;
    expect(res.updated).toBe(2000);
    expect(res.missingCount).toBe(3000);
    expect(res.missing.length).toBe(MAX_MISSING);
    expect(ms).toBeLessThan(50);
  });

  it("appends pages without duplicates and removes machines", () => {
    const next = appendPage(rows.slice(0, 3), [rows[2], rows[3], rows[3]]);
    expect(next.map((m) => m.id)).toEqual(["m0", "m1", "m2", "m3"]);
    expect(removeMachine(next, "m1").map((m) => m.id)).toEqual(["m0", "m2", "m3"]);
    expect(removeMachine(next, "zz")).toBe(next);
  });
});

describe("BatchQueue", () => {
  it("coalesces by id and signals only the first add", () => {
    const q = new BatchQueue();
    expect(q.add([machine({ id: "a" })])).toBe(true);
    expect(q.add([machine({ id: "a", name: "new" }), machine({ id: "b" })])).toBe(false);
    const { machines, overflowed } = q.take();
    expect(machines.map((m) => [m.id, m.name])).toEqual([
      ["a", "new"],
      ["b", "b"],
    ]);
    expect(overflowed).toBe(false);
    expect(q.size).toBe(0);
  });

  it("caps distinct machines and reports overflow", () => {
    const q = new BatchQueue(3);
    q.add(Array.from({ length: 10 }, (_, i) => machine({ id: `m${i}` })));
    q.add([machine({ id: "m0", name: "still updated" })]);
    const { machines, overflowed } = q.take();
    expect(machines).toHaveLength(3);
    expect(machines[0].name).toBe("still updated");
    expect(overflowed).toBe(true);
    expect(q.take().overflowed).toBe(false);
  });
});
