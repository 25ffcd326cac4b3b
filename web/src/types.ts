// Shapes of the GuruConnect server's JSON API (see server routes under /api/v1).

export type AuthState = "active" | "mfa_required" | "mfa_enroll";
export type Role = "admin" | "technician" | "viewer";

export interface User {
  id: number;
  username: string;
  role: Role;
  mfa_enabled: boolean;
}

export interface Session {
  state: AuthState;
  csrf_token: string;
  user: User;
}

export interface TotpEnrollment {
  secret: string;
  otpauth_uri: string;
  qr_svg_data_uri: string;
}

export interface Disk {
  mount?: string;
  total?: number;
  free?: number;
  fstype?: string;
}

export interface NetInterface {
  name?: string;
  mac?: string;
  ipv4?: string[];
  ipv6?: string[];
}

// Agents report what they can; every field may be missing.
export interface Inventory {
  hostname?: string;
  os_type?: string;
  os_name?: string;
  os_version?: string;
  os_build?: string;
  os_install_date?: number | null;
  cpu_model?: string;
  cpu_count?: number;
  cpu_cores?: number;
  ram_total?: number;
  ram_available?: number;
  disks?: Disk[];
  interfaces?: NetInterface[];
  logged_on_users?: string[];
  idle_seconds?: number;
  manufacturer?: string;
  model?: string;
  serial_number?: string;
  service_tag?: string;
  boot_time?: number | null;
  agent_version?: string;
  description?: string;
}

export interface Machine {
  id: string;
  name: string;
  hostname: string;
  company: string;
  site: string;
  department: string;
  device_type: string;
  tag: string;
  online: boolean;
  last_seen: string | null;
  first_seen: string;
  agent_version: string;
  os_type: string;
  os_name: string;
  os_version: string;
  public_ip: string;
  logged_on_users: string[];
  inventory: Inventory | null;
  // Newer servers add these; older ones (and tests) may leave them out.
  attention?: boolean;
  attention_note?: string;
  custom_attributes?: Record<string, string>;
  host_connected?: number;
  guest_connected?: boolean;
  guest_last_connected?: string | null;
  last_host_session_at?: string | null;
  boot_time?: string | null;
  idle_seconds?: number;
  private_ips?: string[];
  macs?: string[];
  serial_number?: string;
  os_build?: string;
  outdated?: boolean;
}

export interface MachinePage {
  machines: Machine[];
  total: number | null;
  next_cursor: string | null;
}

export interface MachinePatch {
  attention?: boolean;
  attention_note?: string;
  custom_attributes?: Record<string, string>;
}

export interface AuditEntry {
  at: string;
  user: string;
  action: string;
  details: Record<string, unknown>;
}

export interface GroupCount {
  value: string;
  count: number;
}

export interface CompanyGroup extends GroupCount {
  sites: GroupCount[];
}

export interface Groups {
  total: number;
  online: number;
  companies: CompanyGroup[];
  departments: GroupCount[];
  os: GroupCount[];
  device_types: GroupCount[];
  tags: GroupCount[];
  status: Record<string, number>;
  current_agent_version: string;
}

export interface SavedSearch {
  id: number;
  name: string;
  query: Record<string, string>;
  shared: boolean;
  pinned: boolean;
  owner: string;
  mine: boolean;
}

export interface SavedSearchCreate {
  name: string;
  query: Record<string, string>;
  shared: boolean;
  pinned: boolean;
}

export type SavedSearchPatch = Partial<SavedSearchCreate>;

export interface EnrollmentToken {
  id: string | number;
  company: string;
  site: string;
  note: string;
  expires_at: string | null;
  max_uses: number | null;
  uses: number;
  revoked: boolean;
  created_at: string;
}

export interface NewEnrollmentToken extends EnrollmentToken {
  token: string;
  server_url: string;
  server_fingerprint: string;
}

export interface EnrollmentTokenCreate {
  company: string;
  site: string;
  note: string;
  expires_in_hours: number | null;
  max_uses: number | null;
}

export interface ApiKey {
  id: string | number;
  name: string;
  prefix: string;
  scopes: string[];
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  revoked: boolean;
}

export interface NewApiKey extends ApiKey {
  key: string;
}

export interface ApiKeyCreate {
  name: string;
  scopes: string[];
  expires_in_days: number | null;
}

export type DashboardEvent =
  | { type: "hello" }
  | { type: "machines"; machines: Machine[] }
  | { type: "groups_changed" }
  | { type: "saved_searches_changed" }
  | { type: "snapshot"; machines: Machine[] }
  | { type: "machine"; machine: Machine }
  | { type: "machine_removed"; id: string };
