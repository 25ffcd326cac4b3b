// The file panel: a drawer in the viewer that browses the remote machine (roots, folders,
// sizes, dates, sorting), uploads (picker, folder picker, drop, paste), downloads, and
// shows the transfer queue with progress, speed, remaining time, cancel and conflicts.
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { FilesClient, type Incoming, type PanelSnapshot, type Transfer } from "./client";
import { filesFromInput, filesFromTransfer, hasFiles } from "./drop";
import type { Entry, UploadSource } from "./messages";
import { formatBytes, joinPath, parentPath, sortEntries, type SortKey } from "./paths";
import { formatDuration, formatRate, fraction, remainingSeconds, speed } from "./queue";

const CONN_TEXT: Record<string, string> = {
  connecting: "Connecting to the machine's files…",
  offline: "The machine's files are not reachable. Retrying…",
  forbidden: "You do not have the file transfer permission (machines:files).",
  auth_lost: "Your session has ended. Please sign in again.",
  not_found: "This machine does not exist.",
};

export interface IncomingBatch {
  items: Incoming[];
  source: UploadSource;
  seq: number;
}

function when(mtime: number): string {
  return mtime ? new Date(mtime * 1000).toLocaleString() : "";
}

function TransferRow({ t, client }: { t: Transfer; client: FilesClient }) {
  const rate = speed(t.samples);
  const left = remainingSeconds(t.size, t.done, rate);
  const pct = Math.round(fraction(t.size, t.done) * 100);
  const active = t.state === "running" || t.state === "queued";
  return (
    <li class={`transfer ${t.state}`} data-state={t.state} data-name={t.name}>
      <div class="transfer-head">
        <span class="transfer-dir">{t.direction === "upload" ? "↑" : "↓"}</span>
        <span class="transfer-name" title={t.path}>
          {t.name}
        </span>
        <span class="transfer-state">{t.state}</span>
        {active ? (
          <button type="button" class="btn ghost small transfer-cancel" onClick={() => client.cancel(t.id)}>
            Cancel
          </button>
        ) : null}
      </div>
      <progress max={100} value={pct} />
      <div class="transfer-stats muted">
        <span class="transfer-pct">{pct}%</span> · {formatBytes(t.done)} of {formatBytes(t.size)}
        {t.state === "running" ? (
          <>
            {" "}
            · <span class="transfer-speed">{formatRate(rate)}</span> · <span class="transfer-eta">{formatDuration(left)}</span> left
          </>
        ) : null}
        {t.sha256 ? (
          <span class="transfer-sha" title="SHA-256, checked on the machine">
            {" "}
            · SHA-256 {t.sha256.slice(0, 12)}…
          </span>
        ) : null}
      </div>
      {t.message ? <div class={`transfer-message${t.state === "failed" ? " error" : ""}`}>{t.message}</div> : null}
      {t.state === "conflict" ? (
        <div class="transfer-conflict" role="alertdialog" aria-label={`${t.name} already exists`}>
          <span>
            <b>{t.name}</b> already exists{t.existing ? ` (${formatBytes(t.existing.size)}, ${when(t.existing.mtime)})` : ""}.
          </span>
          <button type="button" class="btn small conflict-overwrite" onClick={() => client.resolveConflict(t.id, "overwrite")}>
            Overwrite
          </button>
          <button type="button" class="btn small conflict-rename" onClick={() => client.resolveConflict(t.id, "rename")}>
            Keep both
          </button>
          <button type="button" class="btn ghost small conflict-skip" onClick={() => client.resolveConflict(t.id, "skip")}>
            Skip
          </button>
        </div>
      ) : null}
    </li>
  );
}

export function FilePanel({ machineId, incoming, onClose }: { machineId: string; incoming: IncomingBatch | null; onClose: () => void }) {
  const clientRef = useRef<FilesClient | null>(null);
  const [snap, setSnap] = useState<PanelSnapshot | null>(null);
  const [folder, setFolder] = useState<string | null>(null);
  const [entries, setEntries] = useState<Entry[]>([]);
  const [error, setError] = useState("");
  const [loading, setLoading] = useState(false);
  const [sortKey, setSortKey] = useState<SortKey>("name");
  const [ascending, setAscending] = useState(true);
  const [dragging, setDragging] = useState(false);
  const handled = useRef(0);
  const filesInput = useRef<HTMLInputElement>(null);
  const folderInput = useRef<HTMLInputElement>(null);

  useEffect(() => {
    const client = new FilesClient(machineId, setSnap);
    clientRef.current = client;
    client.connect();
    return () => {
      clientRef.current = null;
      client.destroy();
    };
  }, [machineId]);

  const sep = snap?.separator ?? "/";
  const rootPaths = (snap?.roots ?? []).map((r) => r.path);

  const open = async (path: string) => {
    const client = clientRef.current;
    if (!client) return;
    setLoading(true);
    const r = await client.request({ type: "list_dir", path });
    setLoading(false);
    if (r.type === "listing") {
      setFolder(r.path);
      setEntries(r.entries);
      setError(r.truncated ? "Only the first 20,000 entries are shown." : "");
    } else if (r.type === "file_error") {
      setError(r.message);
    }
  };

  // First connection: show the first root.
  useEffect(() => {
    if (snap?.conn === "open" && folder === null && snap.roots.length > 0) void open(snap.roots[0]!.path);
  }, [snap?.conn, snap?.roots.length]);

  // Files dropped or pasted onto the viewer: upload into the folder shown.
  useEffect(() => {
    const client = clientRef.current;
    if (!incoming || incoming.seq === handled.current || !client || folder === null) return;
    handled.current = incoming.seq;
    client.upload(incoming.items, folder, incoming.source);
  }, [incoming, folder]);

  // Refresh the listing when an upload into this folder completes.
  const completed = (snap?.transfers ?? []).filter((t) => t.state === "completed" && t.direction === "upload").length;
  useEffect(() => {
    if (folder !== null && completed > 0) void open(folder);
  }, [completed]);

  const sorted = useMemo(() => sortEntries(entries, sortKey, ascending), [entries, sortKey, ascending]);
  const sortBy = (key: SortKey) => {
    if (key === sortKey) setAscending(!ascending);
    else {
      setSortKey(key);
      setAscending(true);
    }
  };
  const arrow = (key: SortKey) => (key === sortKey ? (ascending ? " ▲" : " ▼") : "");

  const uploadItems = (items: Incoming[], source: UploadSource) => {
    if (folder !== null && items.length > 0) clientRef.current?.upload(items, folder, source);
  };

  const parent = folder !== null ? parentPath(folder, sep, rootPaths) : null;
  const conn = snap?.conn ?? "connecting";
  const transfers = snap?.transfers ?? [];

  return (
    <aside
      id="file-panel"
      class={`file-panel${dragging ? " dragging" : ""}`}
      data-conn={conn}
      aria-label="Files on the remote machine"
      onDragOver={(e) => {
        if (hasFiles(e.dataTransfer)) {
          e.preventDefault();
          setDragging(true);
        }
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={(e) => {
        e.preventDefault();
        e.stopPropagation();
        setDragging(false);
        void filesFromTransfer(e.dataTransfer).then((items) => uploadItems(items, "drop"));
      }}
    >
      <header class="file-panel-head">
        <b>Files</b>
        <span class="spacer" />
        <button type="button" id="file-panel-close" class="btn ghost small" onClick={onClose} aria-label="Close the file panel">
          ✕
        </button>
      </header>
      {conn !== "open" ? (
        <p id="file-panel-status" class="file-panel-status" role="status">
          {CONN_TEXT[conn]}
        </p>
      ) : null}
      <div class="file-panel-bar">
        <select
          id="file-root"
          aria-label="Root"
          value={rootPaths.find((r) => folder?.startsWith(r)) ?? ""}
          onChange={(e) => void open(e.currentTarget.value)}
          disabled={conn !== "open"}
        >
          {(snap?.roots ?? []).map((r) => (
            <option key={r.path} value={r.path}>
              {r.label || r.path}
              {r.total ? ` (${formatBytes(r.free)} free)` : ""}
            </option>
          ))}
        </select>
        <button type="button" id="file-up" class="btn ghost small" disabled={parent === null} onClick={() => parent !== null && void open(parent)}>
          Up
        </button>
        <button type="button" id="file-refresh" class="btn ghost small" disabled={folder === null} onClick={() => folder !== null && void open(folder)}>
          Refresh
        </button>
        <button type="button" id="file-upload" class="btn small" disabled={folder === null} onClick={() => filesInput.current?.click()}>
          Upload files
        </button>
        <button type="button" id="file-upload-folder" class="btn ghost small" disabled={folder === null} onClick={() => folderInput.current?.click()}>
          Upload folder
        </button>
        <input
          ref={filesInput}
          id="file-input"
          type="file"
          multiple
          hidden
          onChange={(e) => {
            uploadItems(filesFromInput(e.currentTarget.files), "panel");
            e.currentTarget.value = "";
          }}
        />
        <input
          ref={folderInput}
          id="folder-input"
          type="file"
          hidden
          {...{ webkitdirectory: true }}
          onChange={(e) => {
            uploadItems(filesFromInput(e.currentTarget.files), "panel");
            e.currentTarget.value = "";
          }}
        />
      </div>
      <div id="file-path" class="file-path mono" title={folder ?? ""}>
        {folder ?? ""}
        {loading ? <span class="muted"> · loading…</span> : null}
      </div>
      {error ? (
        <p id="file-error" class="file-error" role="alert">
          {error}
        </p>
      ) : null}
      <div class="file-list">
        <table id="file-table">
          <thead>
            <tr>
              <th class="sortable" onClick={() => sortBy("name")}>
                Name{arrow("name")}
              </th>
              <th class="sortable num" onClick={() => sortBy("size")}>
                Size{arrow("size")}
              </th>
              <th class="sortable" onClick={() => sortBy("mtime")}>
                Modified{arrow("mtime")}
              </th>
              <th />
            </tr>
          </thead>
          <tbody>
            {sorted.map((e) => {
              const path = folder !== null ? joinPath(folder, e.name, sep) : e.name;
              return (
                <tr key={e.name} class={`entry ${e.kind}`} data-name={e.name} data-kind={e.kind}>
                  <td>
                    {e.kind === "dir" ? (
                      <a href="#" class="entry-open" onClick={(ev) => (ev.preventDefault(), void open(path))}>
                        📁 {e.name}
                      </a>
                    ) : (
                      <span>{e.name}</span>
                    )}
                  </td>
                  <td class="num">{e.kind === "file" ? formatBytes(e.size) : ""}</td>
                  <td class="muted">{when(e.mtime)}</td>
                  <td>
                    {e.kind === "file" ? (
                      <button type="button" class="btn ghost small entry-download" onClick={() => clientRef.current?.download(path, e.name, e.size)}>
                        Download
                      </button>
                    ) : e.kind === "dir" ? (
                      <button
                        type="button"
                        class="btn ghost small entry-download-folder"
                        onClick={() => void clientRef.current?.downloadFolder(path, e.name).then((m) => m && setError(m))}
                      >
                        Download
                      </button>
                    ) : null}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
        {folder !== null && sorted.length === 0 && !loading ? <p class="muted empty">This folder is empty. Drop files here to upload.</p> : null}
      </div>
      <section class="transfer-queue" aria-label="Transfers">
        <header>
          <b>Transfers</b>
          <span class="spacer" />
          {transfers.some((t) => !["queued", "running", "conflict"].includes(t.state)) ? (
            <button type="button" class="btn ghost small" id="transfers-clear" onClick={() => clientRef.current?.clearFinished()}>
              Clear finished
            </button>
          ) : null}
        </header>
        <ul id="transfer-list">
          {transfers.map((t) => (
            <TransferRow key={`${t.direction}-${t.nonce ?? t.name}-${t.path}`} t={t} client={clientRef.current!} />
          ))}
        </ul>
      </section>
    </aside>
  );
}

export { filesFromTransfer, hasFiles };
