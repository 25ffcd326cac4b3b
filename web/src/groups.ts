// Pure shaping of GET /api/v1/machines/groups into the sidebar's sections, and the
// mapping between sidebar entries and filters.
import { STATUS_VALUES, type Filters, type ViewState } from "./filters";
import type { GroupCount, Groups, SavedSearch } from "./types";

export const NONE_LABEL = "(none)";

export const STATUS_LABELS: Record<string, string> = {
  attention: "Needs attention",
  host_connected: "Host connected",
  guest_connected: "Guest connected",
  recently_accessed: "Recently accessed",
  offline_30d: "Offline > 30 days",
  offline_1y: "Offline > 1 year",
  outdated: "Outdated agent",
  powered_on_10m: "Powered on < 10 min",
};

export interface GroupItem {
  key: string; // data-group, e.g. "company:Acme", "site:Acme/HQ", "status:attention"
  label: string;
  count: number;
  filters: Filters; // what clicking it selects
  none: boolean; // the "(none)" group: the value is missing
  children?: GroupItem[];
}

export interface GroupSection {
  id: "status" | "companies" | "departments" | "os" | "device_types" | "tags";
  title: string;
  items: GroupItem[];
}

export function groupLabel(value: string): string {
  return value === "" ? NONE_LABEL : value;
}

const collator = new Intl.Collator(undefined, { sensitivity: "base", numeric: true });

// Alphabetical, with the "(none)" group last so real names lead.
function byValue(a: GroupCount, b: GroupCount): number {
  if ((a.value === "") !== (b.value === "")) return a.value === "" ? 1 : -1;
  return collator.compare(a.value, b.value) || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0);
}

function validCounts(list: unknown): GroupCount[] {
  if (!Array.isArray(list)) return [];
  return list.filter(
    (g): g is GroupCount => !!g && typeof g === "object" && typeof g.value === "string" && typeof g.count === "number",
  );
}

function flat(kind: "department" | "os" | "device_type" | "tag", list: unknown): GroupItem[] {
  return validCounts(list)
    .slice()
    .sort(byValue)
    .map((g) => ({ key: `${kind}:${g.value}`, label: groupLabel(g.value), count: g.count, filters: { [kind]: g.value }, none: g.value === "" }));
}

export function shapeGroups(groups: Groups | null): GroupSection[] {
  if (!groups) return [];
  const status = groups.status && typeof groups.status === "object" ? groups.status : {};
  const companies = validCounts(groups.companies)
    .slice()
    .sort(byValue)
    .map((c) => ({
      key: `company:${c.value}`,
      label: groupLabel(c.value),
      count: c.count,
      filters: { company: c.value },
      none: c.value === "",
      children: validCounts((c as { sites?: unknown }).sites)
        .slice()
        .sort(byValue)
        .map((s) => ({
          key: `site:${c.value}/${s.value}`,
          label: groupLabel(s.value),
          count: s.count,
          filters: { company: c.value, site: s.value },
          none: s.value === "",
        })),
    }));
  return [
    {
      id: "status",
      title: "Status",
      items: STATUS_VALUES.map((name) => ({
        key: `status:${name}`,
        label: STATUS_LABELS[name],
        count: typeof status[name] === "number" ? status[name] : 0,
        filters: { status: name },
        none: false,
      })),
    },
    { id: "companies", title: "Companies", items: companies },
    { id: "departments", title: "Departments", items: flat("department", groups.departments) },
    { id: "os", title: "OS", items: flat("os", groups.os) },
    { id: "device_types", title: "Device types", items: flat("device_type", groups.device_types) },
    { id: "tags", title: "Tags", items: flat("tag", groups.tags) },
  ];
}

// Filters that a sidebar click replaces; the rest (text, check-in, online, OS) are
// refinements that stay as the user moves between groups.
const GROUP_KEYS = ["company", "site", "department", "device_type", "tag", "status"] as const;

export function applyGroup(current: Filters, group: Filters): Filters {
  const next: Filters = { ...current };
  for (const k of GROUP_KEYS) delete next[k];
  if (group.os !== undefined) delete next.os;
  return { ...next, ...group };
}

// Which sidebar entry the filters correspond to (most specific first), or "all" /
// "online" when no group filter is set.
export function activeGroupKey(filters: Filters): string {
  if (filters.company !== undefined && filters.site !== undefined) return `site:${filters.company}/${filters.site}`;
  if (filters.company !== undefined) return `company:${filters.company}`;
  if (filters.status !== undefined) return `status:${filters.status}`;
  if (filters.department !== undefined) return `department:${filters.department}`;
  if (filters.device_type !== undefined) return `device_type:${filters.device_type}`;
  if (filters.tag !== undefined) return `tag:${filters.tag}`;
  if (filters.os !== undefined) return `os:${filters.os}`;
  if (filters.online === "true") return "online";
  return "all";
}

// The highlighted sidebar entry: an opened saved search wins over its groups.
export function activeKey(view: ViewState): string {
  return view.saved !== null ? `saved:${view.saved}` : activeGroupKey(view.filters);
}

// Pinned first, then mine before others' shared ones, then by name.
export function orderSavedSearches(list: readonly SavedSearch[]): SavedSearch[] {
  return list
    .slice()
    .sort(
      (a, b) =>
        Number(b.pinned) - Number(a.pinned) ||
        Number(b.mine) - Number(a.mine) ||
        collator.compare(a.name, b.name) ||
        a.id - b.id,
    );
}
