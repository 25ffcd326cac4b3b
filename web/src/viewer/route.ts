// The viewer opens in its own tab at /console#/view/<machine_id>: the same page as the
// dashboard, routed on the hash to a full-window viewer.
const VIEW_RE = /^#\/view\/([^/?#]+)$/;

export function viewerHref(machineId: string): string {
  return `/console#/view/${encodeURIComponent(machineId)}`;
}

// The machine id in a viewer hash, or null for any other page.
export function viewRoute(hash: string): string | null {
  const m = VIEW_RE.exec(hash);
  if (!m) return null;
  try {
    const id = decodeURIComponent(m[1]);
    return id ? id : null;
  } catch {
    return null;
  }
}
