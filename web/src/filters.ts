// Pure machine-view state: which filters are set, and how that state maps to the
// URL hash (#/machines?...) and to the server's list query string.
//
// A filter key that is present with "" is meaningful for the metadata fields: it is
// the "(none)" group (the value is missing). So "not set" is an absent key, never "".

export const DIMENSION_KEYS = ["company", "site", "department", "os", "device_type", "tag"] as const;
export const FILTER_KEYS = ["q", ...DIMENSION_KEYS, "status", "checkin", "online"] as const;

export type DimensionKey = (typeof DIMENSION_KEYS)[number];
export type FilterKey = (typeof FILTER_KEYS)[number];
export type Filters = Partial<Record<FilterKey, string>>;

export const STATUS_VALUES = [
  "attention",
  "host_connected",
  "guest_connected",
  "recently_accessed",
  "offline_30d",
  "offline_1y",
  "outdated",
  "powered_on_10m",
] as const;
export const CHECKIN_VALUES = ["lt_1h", "lt_24h", "lt_7d", "gt_30d"] as const;
export const ONLINE_VALUES = ["true", "false"] as const;

const ENUMS: Partial<Record<FilterKey, readonly string[]>> = {
  status: STATUS_VALUES,
  checkin: CHECKIN_VALUES,
  online: ONLINE_VALUES,
};

const DIMENSIONS: ReadonlySet<string> = new Set(DIMENSION_KEYS);
const MAX_VALUE = 256;

export interface ViewState {
  filters: Filters;
  // The saved search the view was opened from, for highlighting; dropped when the
  // filters are edited afterwards.
  saved: number | null;
}

export const EMPTY_VIEW: ViewState = { filters: {}, saved: null };

export function isDimension(key: string): key is DimensionKey {
  return DIMENSIONS.has(key);
}

// Keeps only valid (key, value) pairs, in canonical key order: unknown keys, values of
// the wrong kind and meaningless empties are dropped.
export function cleanFilters(input: Record<string, unknown>): Filters {
  const out: Filters = {};
  for (const key of FILTER_KEYS) {
    if (!Object.prototype.hasOwnProperty.call(input, key)) continue;
    const raw = input[key];
    if (typeof raw !== "string") continue;
    const value = key === "q" ? raw.trim() : raw;
    if (value.length > MAX_VALUE) continue;
    if (value === "" && !isDimension(key)) continue;
    const allowed = ENUMS[key];
    if (allowed && !allowed.includes(value)) continue;
    out[key] = value;
  }
  return out;
}

export function parseViewQuery(query: string): ViewState {
  const params = new URLSearchParams(query.replace(/^\?/, ""));
  const raw: Record<string, string> = {};
  for (const key of FILTER_KEYS) {
    const v = params.get(key);
    if (v !== null) raw[key] = v;
  }
  const savedRaw = params.get("saved");
  const saved = savedRaw && /^\d{1,15}$/.test(savedRaw) ? Number(savedRaw) : null;
  return { filters: cleanFilters(raw), saved: saved && saved > 0 ? saved : null };
}

function encodePairs(pairs: Array<[string, string]>): string {
  return pairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("&");
}

function filterPairs(filters: Filters): Array<[string, string]> {
  const clean = cleanFilters(filters);
  return FILTER_KEYS.filter((k) => clean[k] !== undefined).map((k) => [k, clean[k] as string]);
}

// Canonical query string (no leading "?"), "" when nothing is set.
export function formatViewQuery(view: ViewState): string {
  const pairs = filterPairs(view.filters);
  if (view.saved !== null) pairs.push(["saved", String(view.saved)]);
  return encodePairs(pairs);
}

export function machinesHash(view: ViewState): string {
  const q = formatViewQuery(view);
  return q ? `#/machines?${q}` : "#/machines";
}

// "#/machines?x=1" → { route: "machines", query: "x=1" }.
export function splitHash(hash: string): { route: string; query: string } {
  const h = hash.replace(/^#\/?/, "");
  const i = h.indexOf("?");
  return i === -1 ? { route: h, query: "" } : { route: h.slice(0, i), query: h.slice(i + 1) };
}

export const PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 500;

// Query string for GET /api/v1/machines, with only the set parameters (an empty
// dimension value is sent explicitly as `key=`, meaning "missing").
export function listQuery(filters: Filters, cursor: string | null = null, limit = PAGE_SIZE): string {
  const pairs = filterPairs(filters);
  if (cursor) pairs.push(["cursor", cursor]);
  pairs.push(["limit", String(Math.max(1, Math.min(MAX_PAGE_SIZE, Math.floor(limit) || PAGE_SIZE)))]);
  return `?${encodePairs(pairs)}`;
}

export function hasFilters(filters: Filters): boolean {
  return FILTER_KEYS.some((k) => filters[k] !== undefined);
}

export function sameFilters(a: Filters, b: Filters): boolean {
  return formatViewQuery({ filters: a, saved: null }) === formatViewQuery({ filters: b, saved: null });
}

// Saved searches store their filters as a flat string map with the same names.
export function savedQuery(filters: Filters): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of filterPairs(filters)) out[k] = v;
  return out;
}

export function withFilter(filters: Filters, key: FilterKey, value: string | undefined): Filters {
  const next: Filters = { ...filters };
  if (value === undefined) delete next[key];
  else next[key] = value;
  return cleanFilters(next);
}

export function withoutFilter(filters: Filters, key: FilterKey): Filters {
  const next = withFilter(filters, key, undefined);
  // A site is only meaningful inside its company in the sidebar; dropping the
  // company chip drops the site with it.
  if (key === "company") delete next.site;
  return next;
}

// Whether a machine could belong to the filtered list, judged on the fields the
// browser can check exactly. Unknown kinds of filter (q, status, …) say "maybe".
export function mightMatch(
  m: { company?: string; site?: string; department?: string; device_type?: string; tag?: string; os_name?: string; online?: boolean },
  filters: Filters,
): boolean {
  const eq = (v: string | undefined, want: string | undefined) => want === undefined || (v ?? "") === want;
  return (
    eq(m.company, filters.company) &&
    eq(m.site, filters.site) &&
    eq(m.department, filters.department) &&
    eq(m.device_type, filters.device_type) &&
    eq(m.tag, filters.tag) &&
    eq(m.os_name, filters.os) &&
    (filters.online === undefined || String(!!m.online) === filters.online)
  );
}
