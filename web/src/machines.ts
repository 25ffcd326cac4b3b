// Pure machine-list state: applies dashboard events, sorts and filters.
import type { DashboardEvent, Machine } from "./types";

export function applyEvent(machines: readonly Machine[], event: DashboardEvent): Machine[] {
  switch (event.type) {
    case "snapshot":
      return dedupe(event.machines ?? []);
    case "machine": {
      const m = event.machine;
      if (!m || typeof m.id !== "string") return machines.slice();
      const idx = machines.findIndex((x) => x.id === m.id);
      if (idx === -1) return [...machines, m];
      const next = machines.slice();
      next[idx] = m;
      return next;
    }
    case "machine_removed":
      return machines.filter((x) => x.id !== event.id);
    default:
      // Unknown frame types from a newer server are ignored, not fatal.
      return machines.slice();
  }
}

// A snapshot should never carry duplicates, but if it does the last one wins,
// matching how individual "machine" events replace by id.
function dedupe(list: readonly Machine[]): Machine[] {
  const byId = new Map<string, Machine>();
  for (const m of list) if (m && typeof m.id === "string") byId.set(m.id, m);
  return [...byId.values()];
}

const collator = new Intl.Collator(undefined, { sensitivity: "base", numeric: true });

export function compareMachines(a: Machine, b: Machine): number {
  if (a.online !== b.online) return a.online ? -1 : 1;
  return collator.compare(a.name || a.hostname || "", b.name || b.hostname || "") || collator.compare(a.id, b.id);
}

export function sortMachines(machines: readonly Machine[]): Machine[] {
  return machines.slice().sort(compareMachines);
}

function searchableText(m: Machine): string {
  return [m.name, m.hostname, m.company, m.site, m.public_ip, ...(m.logged_on_users ?? [])]
    .filter((x) => typeof x === "string")
    .join("\n")
    .toLowerCase();
}

// Every whitespace-separated term must match some field, so "acme bob" narrows
// to Bob's machines at Acme rather than widening.
export function filterMachines(machines: readonly Machine[], query: string): Machine[] {
  const terms = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (!terms.length) return machines.slice();
  return machines.filter((m) => {
    const text = searchableText(m);
    return terms.every((t) => text.includes(t));
  });
}

export function visibleMachines(machines: readonly Machine[], query: string): Machine[] {
  return sortMachines(filterMachines(machines, query));
}
