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

// --- live batches against a server-paged list ---------------------------------------

// id → position for a loaded list. Updating rows in place keeps every position, so
// the index of the old array is reused for the new one instead of rebuilt.
const indexes = new WeakMap<readonly Machine[], Map<string, number>>();

function indexOf(rows: readonly Machine[]): Map<string, number> {
  let idx = indexes.get(rows);
  if (!idx) {
    idx = new Map();
    for (let i = 0; i < rows.length; i++) idx.set(rows[i].id, i);
    indexes.set(rows, idx);
  }
  return idx;
}

export interface BatchResult {
  rows: Machine[]; // the same array when nothing loaded changed
  updated: number;
  // Changed machines that are not loaded (at most MAX_MISSING kept; missingCount is exact).
  missing: Machine[];
  missingCount: number;
}

export const MAX_MISSING = 1000;

// Replaces loaded rows by id, in place (no re-sorting while the user looks at them).
// Linear in the batch size; the list is copied once at most.
export function applyMachineBatch(rows: readonly Machine[], batch: readonly Machine[]): BatchResult {
  const idx = indexOf(rows);
  let next: Machine[] | null = null;
  let updated = 0;
  let missingCount = 0;
  const missing: Machine[] = [];
  for (const m of batch) {
    if (!m || typeof m.id !== "string") continue;
    const i = idx.get(m.id);
    if (i === undefined) {
      missingCount++;
      if (missing.length < MAX_MISSING) missing.push(m);
      continue;
    }
    if (!next) next = rows.slice();
    next[i] = m;
    updated++;
  }
  if (!next) return { rows: rows as Machine[], updated, missing, missingCount };
  indexes.set(next, idx);
  return { rows: next, updated, missing, missingCount };
}

export function removeMachine(rows: readonly Machine[], id: string): Machine[] {
  const i = indexOf(rows).get(id);
  if (i === undefined) return rows as Machine[];
  return rows.filter((m) => m.id !== id);
}

// Appends a further page, skipping ids already shown (a machine can move across the
// page boundary between requests).
export function appendPage(rows: readonly Machine[], page: readonly Machine[]): Machine[] {
  const idx = indexOf(rows);
  const seen = new Set<string>();
  const next = rows.slice();
  for (const m of page) {
    if (!m || typeof m.id !== "string" || idx.has(m.id) || seen.has(m.id)) continue;
    seen.add(m.id);
    next.push(m);
  }
  return next;
}

// Collects live updates between renders: the last update per machine wins, and
// beyond `max` distinct machines it stops collecting and reports overflow, so a
// flood costs bounded memory and one list refetch instead of a frozen page.
export class BatchQueue {
  private pending = new Map<string, Machine>();
  private overflowed = false;
  constructor(readonly max = 20_000) {}

  // True when the queue went from empty to non-empty (the caller schedules a flush).
  add(machines: readonly Machine[]): boolean {
    const wasEmpty = this.pending.size === 0 && !this.overflowed;
    for (const m of machines) {
      if (!m || typeof m.id !== "string") continue;
      if (this.pending.size >= this.max && !this.pending.has(m.id)) {
        this.overflowed = true;
        continue;
      }
      this.pending.set(m.id, m);
    }
    return wasEmpty && (this.pending.size > 0 || this.overflowed);
  }

  take(): { machines: Machine[]; overflowed: boolean } {
    const out = { machines: [...this.pending.values()], overflowed: this.overflowed };
    this.pending = new Map();
    this.overflowed = false;
    return out;
  }

  get size(): number {
    return this.pending.size;
  }
}
