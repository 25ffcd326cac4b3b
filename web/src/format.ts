// Pure display formatting. Agent-supplied numbers may be missing or nonsense,
// so every formatter degrades to a placeholder instead of throwing.

export const EMPTY = "—";

const BYTE_UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

export function formatBytes(bytes: number | null | undefined): string {
  if (typeof bytes !== "number" || !Number.isFinite(bytes) || bytes < 0) return EMPTY;
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${BYTE_UNITS[unit]}`;
}

// Accepts ISO strings (API timestamps) and unix seconds (agent inventory).
export function toDate(value: string | number | null | undefined): Date | null {
  if (value === null || value === undefined || value === "") return null;
  const d = typeof value === "number" ? new Date(value * 1000) : new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}

export function formatDateTime(value: string | number | null | undefined): string {
  const d = toDate(value);
  return d ? d.toLocaleString() : EMPTY;
}

export function formatRelative(value: string | number | null | undefined, now: number = Date.now()): string {
  if (value === null || value === undefined || value === "") return "never";
  const d = toDate(value);
  if (!d) return EMPTY;
  // Agent and browser clocks drift; a timestamp slightly in the future is "now".
  const secs = Math.max(0, Math.floor((now - d.getTime()) / 1000));
  if (secs < 45) return "just now";
  const mins = Math.round(secs / 60);
  if (mins < 60) return `${mins} min ago`;
  const hours = Math.floor(secs / 3600);
  if (hours < 24) return `${hours} h ago`;
  const days = Math.floor(secs / 86400);
  if (days < 30) return `${days} d ago`;
  return d.toLocaleDateString();
}

// Two most significant units are enough to judge idle time or uptime at a glance.
export function formatDuration(seconds: number | null | undefined): string {
  if (typeof seconds !== "number" || !Number.isFinite(seconds) || seconds < 0) return "unknown";
  const s = Math.floor(seconds);
  const parts: [number, string][] = [
    [Math.floor(s / 86400), "d"],
    [Math.floor((s % 86400) / 3600), "h"],
    [Math.floor((s % 3600) / 60), "min"],
    [s % 60, "s"],
  ];
  const first = parts.findIndex(([n]) => n > 0);
  if (first === -1) return "0 s";
  return parts
    .slice(first, first + 2)
    .filter(([n]) => n > 0)
    .map(([n, u]) => `${n} ${u}`)
    .join(" ");
}

export function formatList(items: readonly string[] | null | undefined): string {
  const clean = (items ?? []).filter((x) => typeof x === "string" && x !== "");
  return clean.length ? clean.join(", ") : EMPTY;
}

export function textOrEmpty(value: string | number | null | undefined): string {
  if (value === null || value === undefined || value === "") return EMPTY;
  return String(value);
}
