// The viewer's clipboard menu (automatic sync toggle, Send / Get clipboard, Paste as
// keystrokes), the status line for transfers, and automatic sync on window focus.
import { useEffect, useRef, useState } from "preact/hooks";
import { downloadUrl, nonce } from "../files/client";
import { describeSize, type ClipboardSync, type ClipboardUi } from "./clipboard";
import { PasteDialog } from "./PasteDialog";

declare global {
  interface Window {
    __guruClipboard?: ClipboardUi; // read by the end-to-end tests
  }
}

export function transferText(ui: ClipboardUi | null): string {
  const t = ui?.transfer;
  if (!t) return "";
  const percent = t.total ? Math.floor((100 * t.done) / t.total) : 100;
  return `${t.direction === "send" ? "Sending" : "Receiving"} clipboard ${percent}% of ${describeSize(t.total)}`;
}

export function ClipboardMenu({ sync, ui, controlling, connected }: { sync: ClipboardSync | null; ui: ClipboardUi | null; controlling: boolean; connected: boolean }) {
  const [pasting, setPasting] = useState(false);
  const menu = useRef<HTMLDetailsElement>(null);
  const controllingRef = useRef(controlling);
  controllingRef.current = controlling;

  useEffect(() => {
    if (!sync) return;
    // Automatic sync, local -> remote: when the technician comes back to the viewer
    // (having copied something elsewhere), if the browser lets us read the clipboard.
    const onFocus = () => {
      if (controllingRef.current) void sync.syncLocal();
    };
    window.addEventListener("focus", onFocus);
    return () => window.removeEventListener("focus", onFocus);
  }, [sync]);

  useEffect(() => {
    if (ui) window.__guruClipboard = ui;
  }, [ui]);

  const close = () => {
    if (menu.current) menu.current.open = false;
  };

  return (
    <>
      <details id="clipboard-menu" class="viewer-menu" ref={menu}>
        <summary class="btn ghost" aria-disabled={!connected}>
          Clipboard
        </summary>
        <div class="viewer-menu-items" role="menu">
          <label class="viewer-check">
            <input id="clipboard-auto" type="checkbox" checked={ui?.auto ?? true} onChange={(e) => sync?.setAuto(e.currentTarget.checked)} />
            Sync automatically
          </label>
          <button id="clipboard-send" type="button" role="menuitem" class="btn ghost" disabled={!controlling || !sync} onClick={() => {
            void sync?.sendClipboard(true);
            close();
          }}>
            Send clipboard
          </button>
          <button id="clipboard-get" type="button" role="menuitem" class="btn ghost" disabled={!connected || !sync} onClick={() => {
            sync?.requestRemote();
            close();
          }}>
            Get clipboard
          </button>
          <button id="paste-keys" type="button" role="menuitem" class="btn ghost" disabled={!controlling || !sync} onClick={() => {
            setPasting(true);
            close();
          }}>
            Paste as keystrokes…
          </button>
        </div>
      </details>
      {pasting && sync ? <PasteDialog sync={sync} typing={ui?.typing ?? null} onClose={() => setPasting(false)} /> : null}
    </>
  );
}

export function ClipboardStatus({ ui }: { ui: ClipboardUi | null }) {
  const progress = transferText(ui);
  if (progress) {
    const t = ui!.transfer!;
    return (
      <span id="clipboard-status" class="viewer-clip">
        <progress value={t.done} max={Math.max(1, t.total)} /> {progress}
      </span>
    );
  }
  if (ui?.error) {
    return (
      <span id="clipboard-error" class="viewer-clip error" role="alert">
        {ui.error}
      </span>
    );
  }
  return ui?.notice ? (
    <span id="clipboard-status" class="viewer-clip muted">
      {ui.notice}
    </span>
  ) : null;
}

// Files copied on the remote machine: each downloads through the file endpoints (a
// folder as one ZIP archive), which check the files permission and audit the transfer.
export function RemoteFilesList({ sync, ui, machineId }: { sync: ClipboardSync | null; ui: ClipboardUi | null; machineId: string }) {
  const listed = ui?.files;
  if (!listed || !sync) return null;
  const fetch = (path: string, folder: boolean) => {
    // A hidden frame, as the file panel does: the answer goes to the download manager.
    const frame = document.createElement("iframe");
    frame.hidden = true;
    frame.src = downloadUrl(machineId, path, nonce(), folder);
    document.body.appendChild(frame);
    setTimeout(() => frame.remove(), 10 * 60_000);
  };
  return (
    <div id="clipboard-files" class="viewer-clip-files" role="region" aria-label="Files copied on the remote machine">
      <div class="viewer-clip-files-head">
        <strong>Copied on the remote machine</strong>
        <button type="button" id="clipboard-files-close" class="btn ghost small" onClick={() => sync.dismissFiles()}>
          Dismiss
        </button>
      </div>
      <ul>
        {listed.files.map((f) => (
          <li key={f.path} data-path={f.path}>
            <span class="path" title={f.path}>
              {f.path}
            </span>{" "}
            <span class="muted">{f.kind === "dir" ? "folder" : describeSize(f.size)}</span>{" "}
            <button type="button" class="btn small clipboard-file-download" onClick={() => fetch(f.path, f.kind === "dir")}>
              {f.kind === "dir" ? "Download .zip" : "Download"}
            </button>
          </li>
        ))}
      </ul>
      {listed.truncated ? <p class="muted">More were copied than can be listed here; use the file panel for the rest.</p> : null}
    </div>
  );
}
