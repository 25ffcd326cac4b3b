import { describe, expect, it } from "vitest";
import { activeGroupKey, activeKey, applyGroup, orderSavedSearches, shapeGroups } from "../src/groups";
import type { Groups, SavedSearch } from "../src/types";

const groups: Groups = {
  total: 10,
  online: 4,
  companies: [
    { value: "zeta", count: 1, sites: [{ value: "", count: 1 }] },
    { value: "", count: 2, sites: [{ value: "", count: 2 }] },
    { value: "Acme", count: 7, sites: [{ value: "HQ", count: 5 }, { value: "", count: 1 }, { value: "Branch 10", count: 1 }] },
  ],
  departments: [{ value: "", count: 3 }, { value: "Sales", count: 7 }],
  os: [{ value: "Windows 11", count: 6 }, { value: "Ubuntu", count: 4 }],
  device_types: [],
  tags: [{ value: "vip", count: 1 }],
  status: { attention: 2, host_connected: 1 },
  current_agent_version: "1.2.3",
};

describe("shapeGroups", () => {
  const sections = shapeGroups(groups);
  const byId = Object.fromEntries(sections.map((s) => [s.id, s]));

  it("builds every section in order", () => {
    expect(sections.map((s) => s.id)).toEqual(["status", "companies", "departments", "os", "device_types", "tags"]);
    expect(shapeGroups(null)).toEqual([]);
  });

  it("nests sites under companies, sorted, with (none) last", () => {
    const companies = byId.companies.items;
    expect(companies.map((c) => c.label)).toEqual(["Acme", "zeta", "(none)"]);
    expect(companies[0]).toMatchObject({ key: "company:Acme", count: 7, filters: { company: "Acme" }, none: false });
    expect(companies[0].children!.map((s) => [s.key, s.label, s.count])).toEqual([
      ["site:Acme/Branch 10", "Branch 10", 1],
      ["site:Acme/HQ", "HQ", 5],
      ["site:Acme/", "(none)", 1],
    ]);
    expect(companies[0].children![2].filters).toEqual({ company: "Acme", site: "" });
    expect(companies[2]).toMatchObject({ key: "company:", none: true, filters: { company: "" } });
  });

  it("labels missing values (none) and filters them with the empty value", () => {
    const dept = byId.departments.items;
    expect(dept.map((d) => d.label)).toEqual(["Sales", "(none)"]);
    expect(dept[1]).toMatchObject({ key: "department:", filters: { department: "" }, none: true });
    expect(byId.os.items.map((o) => o.key)).toEqual(["os:Ubuntu", "os:Windows 11"]);
    expect(byId.tags.items[0].filters).toEqual({ tag: "vip" });
    expect(byId.device_types.items).toEqual([]);
  });

  it("lists every status group, zero when the server left one out", () => {
    const status = byId.status.items;
    expect(status).toHaveLength(8);
    expect(status[0]).toMatchObject({ key: "status:attention", count: 2, filters: { status: "attention" } });
    expect(status.find((s) => s.key === "status:outdated")!.count).toBe(0);
  });

  it("survives malformed input", () => {
    const bad = { ...groups, companies: [null, { value: 3 }], os: "nope", status: null } as unknown as Groups;
    const s = shapeGroups(bad);
    expect(s.find((x) => x.id === "companies")!.items).toEqual([]);
    expect(s.find((x) => x.id === "os")!.items).toEqual([]);
  });
});

describe("group selection", () => {
  it("maps filters to the highlighted entry, most specific first", () => {
    expect(activeGroupKey({})).toBe("all");
    expect(activeGroupKey({ q: "x", checkin: "lt_1h" })).toBe("all");
    expect(activeGroupKey({ online: "true" })).toBe("online");
    expect(activeGroupKey({ company: "Acme" })).toBe("company:Acme");
    expect(activeGroupKey({ company: "Acme", site: "" })).toBe("site:Acme/");
    expect(activeGroupKey({ department: "" })).toBe("department:");
    expect(activeGroupKey({ status: "outdated", online: "true" })).toBe("status:outdated");
    expect(activeKey({ filters: { company: "A" }, saved: 7 })).toBe("saved:7");
  });

  it("replaces group filters and keeps refinements", () => {
    expect(applyGroup({ q: "bob", company: "A", site: "B", checkin: "lt_1h", os: "Linux" }, { tag: "vip" })).toEqual({
      q: "bob",
      checkin: "lt_1h",
      os: "Linux",
      tag: "vip",
    });
    expect(applyGroup({ os: "Linux", status: "attention" }, { os: "" })).toEqual({ os: "" });
    expect(applyGroup({ department: "x" }, { company: "A", site: "" })).toEqual({ company: "A", site: "" });
  });
});

describe("orderSavedSearches", () => {
  const s = (id: number, name: string, pinned: boolean, mine: boolean): SavedSearch => ({
    id,
    name,
    pinned,
    mine,
    shared: !mine,
    owner: mine ? "me" : "other",
    query: {},
  });
  it("puts pinned first, then mine, then by name", () => {
    const list = [s(1, "b", false, true), s(2, "a", false, false), s(3, "z", true, false), s(4, "a", false, true)];
    expect(orderSavedSearches(list).map((x) => x.id)).toEqual([3, 4, 1, 2]);
  });
});
