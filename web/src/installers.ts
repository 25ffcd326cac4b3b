// Installer builder: the API shapes and the form's rules (server/installers/).
import type { ApiClient } from "./api";

export type NameMode = "machine" | "custom";

export interface Installer {
  id: string;
  name_mode: NameMode;
  name: string;
  company: string;
  site: string;
  department: string;
  device_type: string;
  tag: string;
  note: string;
  created_by: string;
  created_at: string;
  expires_at: string | null;
  revoked: boolean;
  downloads: number;
  enrollments: number;
  url: string;
  linux_sh_url: string;
  linux_deb_url: string;
  windows_msi_url: string;
  windows_exe_url: string;
}

export interface InstallerForm {
  name_mode: NameMode;
  name: string;
  company: string;
  site: string;
  department: string;
  device_type: string;
  tag: string;
}

export const DEVICE_TYPES = ["Workstation", "Laptop", "Server"] as const;
const MAX = 256;

// The body to post, or the sentence that says what is wrong. Values are sent as typed
// (trimmed at the ends only): quotes, Unicode and the like are the server's to store.
export function installerBody(form: InstallerForm): InstallerForm | string {
  const body: InstallerForm = {
    name_mode: form.name_mode,
    name: form.name_mode === "custom" ? form.name.trim() : "",
    company: form.company.trim(),
    site: form.site.trim(),
    department: form.department.trim(),
    device_type: form.device_type.trim(),
    tag: form.tag.trim(),
  };
  if (!body.company) return "Company is required.";
  if (body.name_mode === "custom" && !body.name) return "Enter a name, or choose “Use machine name”.";
  for (const [field, value] of Object.entries(body)) {
    if (value.length > MAX) return `${field.replace("_", " ")} is longer than ${MAX} characters.`;
  }
  return body;
}

export type InstallerKind = "linux.sh" | "linux.deb" | "windows.msi" | "windows.exe";

export function downloadPath(id: string, kind: InstallerKind): string {
  return `/api/v1/installers/${encodeURIComponent(id)}/${kind}`;
}

export function installerStatus(i: Installer, now: number): "active" | "revoked" | "expired" {
  if (i.revoked) return "revoked";
  if (i.expires_at && new Date(i.expires_at).getTime() <= now) return "expired";
  return "active";
}

export const installersApi = {
  list: (api: ApiClient) =>
    api.request<{ installers: Installer[] }>("/api/v1/installers").then((r) => r.installers),
  create: (api: ApiClient, body: InstallerForm) =>
    api.request<Installer>("/api/v1/installers", { method: "POST", body }),
  revoke: (api: ApiClient, id: string) =>
    api.request<void>(`/api/v1/installers/${encodeURIComponent(id)}`, { method: "DELETE" }),
  email: (api: ApiClient, id: string, to: string) =>
    api.request<{ sent_to: string }>(`/api/v1/installers/${encodeURIComponent(id)}/email`, {
      method: "POST",
      body: { to },
    }),
};
