// Remote paths as the panel shows them: joining, parents, breadcrumbs, and sorting.
import type { Entry } from "./messages";

export type SortKey = "name" | "size" | "mtime";

export function joinPath(base: string, name: string, sep: "/" | "\\"): string {
  return base.endsWith(sep) ? base + name : base + sep + name;
}

// The parent folder, or null at a root (one of ``roots``).
export function parentPath(path: string, sep: "/" | "\\", roots: string[]): string | null {
  if (roots.includes(path)) return null;
  const trimmed = path.endsWith(sep) ? path.slice(0, -1) : path;
  const cut = trimmed.lastIndexOf(sep);
  if (cut < 0) return null;
  const parent = trimmed.slice(0, cut + 1);
  const candidate = parent.length > 1 && roots.every((r) => r !== parent) ? parent.slice(0, -1) : parent;
  return candidate || sep;
}

// Folders first, then by the key; names compare naturally ("file2" before "file10").
export function sortEntries(entries: Entry[], key: SortKey, ascending: boolean): Entry[] {
  const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });
  const dir = ascending ? 1 : -1;
  return [...entries].sort((a, b) => {
    const fa = a.kind === "dir" ? 0 : 1;
    const fb = b.kind === "dir" ? 0 : 1;
    if (fa !== fb) return fa - fb;
    let c = 0;
    if (key === "size") c = a.size - b.size;
    else if (key === "mtime") c = a.mtime - b.mtime;
    if (c === 0) c = collator.compare(a.name, b.name);
    return c * dir;
  });
}

// The name for an upload: dropped folders keep their relative path ("a/b/c.txt").
export function uploadTarget(folder: string, relative: string, sep: "/" | "\\"): string {
  return relative
    .split("/")
    .filter((p) => p !== "")
    .reduce((acc, part) => joinPath(acc, part, sep), folder);
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v >= 100 ? 0 : 1)} ${units[i]}`;
}
