// Files from a drop or a paste, with dropped folders walked into their files (each keeps
// its path relative to the dropped folder, so a folder upload recreates the tree).
import type { Incoming } from "./client";

interface FsEntry {
  isFile: boolean;
  isDirectory: boolean;
  name: string;
  file?: (ok: (f: File) => void, err: (e: unknown) => void) => void;
  createReader?: () => { readEntries: (ok: (e: FsEntry[]) => void, err: (e: unknown) => void) => void };
}

async function walk(entry: FsEntry, prefix: string, out: Incoming[]): Promise<void> {
  if (entry.isFile && entry.file) {
    const file = await new Promise<File>((ok, err) => entry.file!(ok, err));
    out.push({ file, relative: prefix + entry.name });
  } else if (entry.isDirectory && entry.createReader) {
    const reader = entry.createReader();
    // readEntries returns at most 100 entries per call: read until it returns none.
    for (;;) {
      const batch = await new Promise<FsEntry[]>((ok, err) => reader.readEntries(ok, err));
      if (batch.length === 0) break;
      for (const child of batch) await walk(child, `${prefix}${entry.name}/`, out);
    }
  }
}

export async function filesFromTransfer(data: DataTransfer | null): Promise<Incoming[]> {
  if (!data) return [];
  const entries: FsEntry[] = [];
  for (const item of Array.from(data.items ?? [])) {
    if (item.kind !== "file") continue;
    const entry = (item as DataTransferItem & { webkitGetAsEntry?: () => FsEntry | null }).webkitGetAsEntry?.();
    if (entry) entries.push(entry);
  }
  if (entries.length > 0) {
    const out: Incoming[] = [];
    for (const entry of entries) await walk(entry, "", out);
    return out;
  }
  return Array.from(data.files ?? []).map((file) => ({ file, relative: file.name }));
}

// From <input type=file webkitdirectory>: webkitRelativePath is "folder/sub/file".
export function filesFromInput(list: FileList | null): Incoming[] {
  return Array.from(list ?? []).map((file) => ({
    file,
    relative: (file as File & { webkitRelativePath?: string }).webkitRelativePath || file.name,
  }));
}

export function hasFiles(data: DataTransfer | null): boolean {
  return !!data && Array.from(data.types ?? []).includes("Files");
}
