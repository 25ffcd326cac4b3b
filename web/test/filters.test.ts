import { describe, expect, it } from "vitest";
import {
  cleanFilters,
  formatViewQuery,
  listQuery,
  machinesHash,
  mightMatch,
  parseViewQuery,
  savedQuery,
  splitHash,
  withFilter,
  withoutFilter,
  type ViewState,
} from "../src/filters";
import { machine } from "./helpers";

const roundTrip = (v: ViewState) => parseViewQuery(formatViewQuery(v));

describe("URL ⇄ view state", () => {
  it("round-trips every filter and the saved search id", () => {
    const v: ViewState = {
      filters: {
        q: "bob & alice",
        company: "Acme, Inc.",
        site: "HQ/2nd floor",
        department: "Fin#ance",
        os: "Windows 11 Pro",
        device_type: "laptop",
        tag: "vip?=1",
        status: "attention",
        checkin: "gt_30d",
        online: "false",
      },
      saved: 42,
    };
    expect(roundTrip(v)).toEqual(v);
  });

  it("keeps empty dimension values: they are the (none) groups", () => {
    const v: ViewState = { filters: { company: "Acme", site: "" }, saved: null };
    const q = formatViewQuery(v);
    expect(q).toBe("company=Acme&site=");
    expect(parseViewQuery(q)).toEqual(v);
    expect(parseViewQuery("department=&tag=")).toEqual({ filters: { department: "", tag: "" }, saved: null });
  });

  it("drops empties that mean nothing, unknown params and bad enum values", () => {
    expect(parseViewQuery("q=&status=&checkin=&online=").filters).toEqual({});
    expect(parseViewQuery("foo=1&cursor=abc&limit=5&company=A").filters).toEqual({ company: "A" });
    expect(parseViewQuery("status=bogus&checkin=lt_2h&online=yes").filters).toEqual({});
    expect(parseViewQuery("saved=abc").saved).toBeNull();
    expect(parseViewQuery("saved=0").saved).toBeNull();
    expect(parseViewQuery("?q=%20x%20").filters).toEqual({ q: "x" });
  });

  it("decodes + as space and tolerates a leading ?", () => {
    expect(parseViewQuery("?q=a+b").filters).toEqual({ q: "a b" });
  });

  it("writes keys in a canonical order", () => {
    expect(formatViewQuery({ filters: { online: "true", q: "x", company: "A" }, saved: null })).toBe(
      "q=x&company=A&online=true",
    );
  });

  it("builds and splits the hash", () => {
    expect(machinesHash({ filters: {}, saved: null })).toBe("#/machines");
    expect(machinesHash({ filters: { site: "" }, saved: 3 })).toBe("#/machines?site=&saved=3");
    expect(splitHash("#/machines?site=&saved=3")).toEqual({ route: "machines", query: "site=&saved=3" });
    expect(splitHash("#/account")).toEqual({ route: "account", query: "" });
    expect(splitHash("")).toEqual({ route: "", query: "" });
  });
});

describe("listQuery", () => {
  it("sends only the set params, with the none-group as key=", () => {
    expect(listQuery({})).toBe("?limit=100");
    expect(listQuery({ company: "Acme & Co", site: "", online: "true" })).toBe(
      "?company=Acme%20%26%20Co&site=&online=true&limit=100",
    );
  });

  it("adds the cursor and clamps the limit", () => {
    expect(listQuery({ q: "x" }, "abc=", 100)).toBe("?q=x&cursor=abc%3D&limit=100");
    expect(listQuery({}, null, 10_000)).toBe("?limit=500");
    expect(listQuery({}, null, 0)).toBe("?limit=100");
  });

  it("never sends a filter object's stray keys", () => {
    expect(listQuery(cleanFilters({ company: "A", evil: "1", status: 5 }))).toBe("?company=A&limit=100");
  });
});

describe("filter helpers", () => {
  it("sets, clears and removes filters; removing the company removes its site", () => {
    const f = withFilter({ company: "A", site: "B" }, "os", "Linux");
    expect(f).toEqual({ company: "A", site: "B", os: "Linux" });
    expect(withFilter(f, "os", undefined)).toEqual({ company: "A", site: "B" });
    expect(withoutFilter(f, "company")).toEqual({ os: "Linux" });
    expect(withoutFilter(f, "site")).toEqual({ company: "A", os: "Linux" });
  });

  it("saved queries are flat string maps including none-groups", () => {
    expect(savedQuery({ company: "", q: "x" })).toEqual({ q: "x", company: "" });
  });

  it("mightMatch rules out machines that cannot be in the filtered list", () => {
    const m = machine({ id: "a", company: "Acme", site: "", online: true, os_name: "Linux" });
    expect(mightMatch(m, {})).toBe(true);
    expect(mightMatch(m, { company: "Acme", site: "" })).toBe(true);
    expect(mightMatch(m, { company: "Globex" })).toBe(false);
    expect(mightMatch(m, { site: "HQ" })).toBe(false);
    expect(mightMatch(m, { online: "false" })).toBe(false);
    expect(mightMatch(m, { os: "Linux", q: "anything", status: "attention" })).toBe(true);
  });
});
