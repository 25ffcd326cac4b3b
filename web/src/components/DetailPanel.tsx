import { useEffect, useRef, useState } from "preact/hooks";
import type { ApiClient } from "../api";
import {
  EMPTY,
  formatBytes,
  formatDateTime,
  formatDuration,
  formatList,
  formatRelative,
  textOrEmpty,
} from "../format";
import type { Inventory, Machine } from "../types";
import { ErrorText, Field, errorMessage } from "./common";
import { ConnectLink, StatusBadge } from "./MachineList";

// Inventory is the agent's latest full report; the machine record carries the
// server's view. Prefer inventory where both exist, fall back to the record.
function pick<K extends keyof Inventory & keyof Machine>(m: Machine, inv: Inventory, key: K) {
  const v = inv[key];
  if (v !== undefined && v !== null && v !== "" && !(Array.isArray(v) && v.length === 0)) return v;
  return m[key];
}

function countText(n: number | undefined): string {
  return typeof n === "number" && Number.isFinite(n) ? String(n) : "";
}

export function DetailPanel({
  api,
  id,
  summary,
  refreshKey,
  now,
  onClose,
}: {
  api: ApiClient;
  id: string;
  // The list's copy, shown until the full record (with inventory) arrives.
  summary: Machine | null;
  // Bumped by the parent whenever a live update for this machine arrives.
  refreshKey: number;
  now: number;
  onClose: () => void;
}) {
  const [machine, setMachine] = useState<Machine | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const seq = useRef(0);

  useEffect(() => {
    setMachine(null);
    setError(null);
  }, [id]);

  useEffect(() => {
    // Live updates can arrive faster than responses; only the newest request may win.
    const mine = ++seq.current;
    setLoading(true);
    api.getMachine(id).then(
      (m) => {
        if (seq.current !== mine) return;
        setMachine(m);
        setError(null);
        setLoading(false);
      },
      (err) => {
        if (seq.current !== mine) return;
        setError(errorMessage(err));
        setLoading(false);
      },
    );
  }, [api, id, refreshKey]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") onClose();
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [onClose]);

  const m = machine ?? summary;
  const inv: Inventory = machine?.inventory ?? {};

  return (
    <aside data-testid="detail-panel" class="detail-panel" aria-label="Machine details">
      <header class="detail-header">
        <div>
          <h2>{m ? m.name || m.hostname || m.id : id}</h2>
          {m ? <StatusBadge online={m.online} /> : null}
          {loading && !machine ? <span class="muted small"> loading…</span> : null}
        </div>
        <div class="detail-actions">
          {m && m.online ? <ConnectLink machine={m} id="detail-connect" small={false} /> : null}
          <button id="detail-close" type="button" class="btn" onClick={onClose} aria-label="Close details">
            Close
          </button>
        </div>
      </header>
      <ErrorText message={error} />
      {m ? <DetailBody m={m} inv={inv} hasInventory={!!machine?.inventory} now={now} /> : null}
    </aside>
  );
}

function DetailBody({ m, inv, hasInventory, now }: { m: Machine; inv: Inventory; hasInventory: boolean; now: number }) {
  const disks = inv.disks ?? [];
  const interfaces = inv.interfaces ?? [];
  return (
    <div class="detail-body">
      {!hasInventory ? <p class="notice">No inventory reported yet.</p> : null}

      <section>
        <h3>Session info</h3>
        <dl class="fields">
          <Field label="Name" field="name" value={m.name} />
          <Field label="Company" field="company" value={m.company} />
          <Field label="Site" field="site" value={m.site} />
          <Field label="Department" field="department" value={m.department} />
          <Field label="Device type" field="device_type" value={m.device_type} />
          <Field label="Tag" field="tag" value={m.tag} />
          <Field label="Status" field="online" value={m.online ? "online" : "offline"} />
          <Field label="Logged-on users" field="logged_on_users" value={formatList(pick(m, inv, "logged_on_users"))} />
          <Field label="Idle time" field="idle_seconds" value={formatDuration(inv.idle_seconds)} />
        </dl>
      </section>

      <section>
        <h3>Device</h3>
        <dl class="fields">
          <Field label="Hostname" field="hostname" value={pick(m, inv, "hostname")} />
          <Field label="OS type" field="os_type" value={pick(m, inv, "os_type")} />
          <Field label="OS" field="os_name" value={pick(m, inv, "os_name")} />
          <Field label="OS version" field="os_version" value={pick(m, inv, "os_version")} />
          <Field label="OS build" field="os_build" value={inv.os_build} />
          <Field label="OS installed" field="os_install_date" value={formatDateTime(inv.os_install_date)} />
          <Field label="CPU" field="cpu_model" value={inv.cpu_model} />
          <Field label="CPU count" field="cpu_count" value={countText(inv.cpu_count)} />
          <Field label="CPU cores" field="cpu_cores" value={countText(inv.cpu_cores)} />
          <Field label="RAM total" field="ram_total" value={formatBytes(inv.ram_total)} />
          <Field label="RAM available" field="ram_available" value={formatBytes(inv.ram_available)} />
          <Field label="Manufacturer" field="manufacturer" value={inv.manufacturer} />
          <Field label="Model" field="model" value={inv.model} />
          <Field label="Serial number" field="serial_number" value={inv.serial_number} />
          <Field label="Service tag" field="service_tag" value={inv.service_tag} />
          <Field label="Description" field="description" value={inv.description} />
          <Field label="Boot time" field="boot_time" value={formatDateTime(inv.boot_time)} />
        </dl>
      </section>

      <section>
        <h3>Disks</h3>
        {disks.length ? (
          <table class="grid compact" data-field="disks">
            <thead>
              <tr>
                <th>Mount</th>
                <th>File system</th>
                <th class="num">Size</th>
                <th class="num">Free</th>
                <th class="num">Used</th>
              </tr>
            </thead>
            <tbody>
              {disks.map((d, i) => (
                <tr key={`${d.mount ?? ""}-${i}`} data-testid="disk-row">
                  <td data-field="mount" class="mono">{textOrEmpty(d.mount)}</td>
                  <td data-field="fstype">{textOrEmpty(d.fstype)}</td>
                  <td data-field="total" class="num">{formatBytes(d.total)}</td>
                  <td data-field="free" class="num">{formatBytes(d.free)}</td>
                  <td class="num">{usedPercent(d.total, d.free)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <p class="muted" data-field="disks">{EMPTY}</p>
        )}
      </section>

      <section>
        <h3>Network</h3>
        <dl class="fields">
          <Field label="Public IP" field="public_ip" value={m.public_ip} />
        </dl>
        {interfaces.length ? (
          <table class="grid compact" data-field="interfaces">
            <thead>
              <tr>
                <th>Interface</th>
                <th>MAC</th>
                <th>IPv4</th>
                <th>IPv6</th>
              </tr>
            </thead>
            <tbody>
              {interfaces.map((nic, i) => (
                <tr key={`${nic.name ?? ""}-${i}`} data-testid="interface-row">
                  <td data-field="name">{textOrEmpty(nic.name)}</td>
                  <td data-field="mac" class="mono">{textOrEmpty(nic.mac)}</td>
                  <td data-field="ipv4" class="mono">{formatList(nic.ipv4)}</td>
                  <td data-field="ipv6" class="mono wrap">{formatList(nic.ipv6)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <p class="muted" data-field="interfaces">{EMPTY}</p>
        )}
      </section>

      <section>
        <h3>Other</h3>
        <dl class="fields">
          <Field label="Agent version" field="agent_version" value={pick(m, inv, "agent_version")} />
          <Field
            label="Last seen"
            field="last_seen"
            value={m.last_seen ? `${formatDateTime(m.last_seen)} (${formatRelative(m.last_seen, now)})` : "never"}
          />
          <Field label="First seen" field="first_seen" value={formatDateTime(m.first_seen)} />
          <Field label="Machine ID" field="id" value={m.id} />
        </dl>
      </section>
    </div>
  );
}

function usedPercent(total: number | undefined, free: number | undefined): string {
  if (typeof total !== "number" || typeof free !== "number" || total <= 0) return EMPTY;
  return `${Math.round(((total - free) / total) * 100)}%`;
}
