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
import { attributeError, auditDetailsText } from "../forms";
import type { AuditEntry, Inventory, Machine, MachinePatch } from "../types";
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
  onChanged,
}: {
  api: ApiClient;
  id: string;
  // The list's copy, shown until the full record (with inventory) arrives.
  summary: Machine | null;
  // Bumped by the parent whenever a live update for this machine arrives.
  refreshKey: number;
  now: number;
  onClose: () => void;
  // Told about edits made here, so the list row shows them at once.
  onChanged?: (m: Machine) => void;
}) {
  const [machine, setMachine] = useState<Machine | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [audit, setAudit] = useState<AuditEntry[] | null>(null);
  const [auditError, setAuditError] = useState<string | null>(null);
  const [auditKey, setAuditKey] = useState(0);
  const seq = useRef(0);
  const auditSeq = useRef(0);

  useEffect(() => {
    const mine = ++auditSeq.current;
    api.machineAudit(id).then(
      (entries) => {
        if (auditSeq.current !== mine) return;
        setAudit(entries);
        setAuditError(null);
      },
      (err) => {
        if (auditSeq.current !== mine) return;
        setAuditError(errorMessage(err));
      },
    );
  }, [api, id, refreshKey, auditKey]);

  // Edits return the updated machine; a 403 (no right to edit) surfaces as the
  // server's message next to the control that was used.
  const patch = async (body: MachinePatch): Promise<void> => {
    const updated = await api.patchMachine(id, body);
    seq.current++; // an older in-flight GET must not overwrite the edit
    if (updated && typeof updated.id === "string") {
      setMachine((prev) => ({ ...updated, inventory: updated.inventory ?? prev?.inventory ?? null }));
      onChanged?.(updated);
    }
    setAuditKey((n) => n + 1);
  };

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
      {m ? (
        <DetailBody
          m={m}
          inv={inv}
          hasInventory={!!machine?.inventory}
          now={now}
          patch={patch}
          audit={audit}
          auditError={auditError}
        />
      ) : null}
    </aside>
  );
}

function yesNo(v: boolean | undefined): string {
  return v === undefined ? "" : v ? "yes" : "no";
}

function DetailBody({
  m,
  inv,
  hasInventory,
  now,
  patch,
  audit,
  auditError,
}: {
  m: Machine;
  inv: Inventory;
  hasInventory: boolean;
  now: number;
  patch: (body: MachinePatch) => Promise<void>;
  audit: AuditEntry[] | null;
  auditError: string | null;
}) {
  const idle = typeof inv.idle_seconds === "number" ? inv.idle_seconds : typeof m.idle_seconds === "number" && m.idle_seconds >= 0 ? m.idle_seconds : undefined;
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
          <Field label="Idle time" field="idle_seconds" value={formatDuration(idle)} />
          <Field label="Technicians connected" field="host_connected" value={String(m.host_connected ?? 0)} />
          <Field label="Guest connected" field="guest_connected" value={yesNo(m.guest_connected ?? false)} />
          <Field
            label="Guest last connected"
            field="guest_last_connected"
            value={m.guest_last_connected ? `${formatDateTime(m.guest_last_connected)} (${formatRelative(m.guest_last_connected, now)})` : "never"}
          />
          <Field
            label="Last host session"
            field="last_host_session_at"
            value={m.last_host_session_at ? `${formatDateTime(m.last_host_session_at)} (${formatRelative(m.last_host_session_at, now)})` : "never"}
          />
          <Field
            label="Attention"
            field="attention"
            value={m.attention ? (m.attention_note ? `flagged: ${m.attention_note}` : "flagged") : "no"}
          />
        </dl>
        <AttentionEditor m={m} patch={patch} />
      </section>

      <section>
        <h3>Custom attributes</h3>
        <AttributesEditor m={m} patch={patch} />
      </section>

      <section>
        <h3>Device</h3>
        <dl class="fields">
          <Field label="Hostname" field="hostname" value={pick(m, inv, "hostname")} />
          <Field label="OS type" field="os_type" value={pick(m, inv, "os_type")} />
          <Field label="OS" field="os_name" value={pick(m, inv, "os_name")} />
          <Field label="OS version" field="os_version" value={pick(m, inv, "os_version")} />
          <Field label="OS build" field="os_build" value={inv.os_build || m.os_build} />
          <Field label="OS installed" field="os_install_date" value={formatDateTime(inv.os_install_date)} />
          <Field label="CPU" field="cpu_model" value={inv.cpu_model} />
          <Field label="CPU count" field="cpu_count" value={countText(inv.cpu_count)} />
          <Field label="CPU cores" field="cpu_cores" value={countText(inv.cpu_cores)} />
          <Field label="RAM total" field="ram_total" value={formatBytes(inv.ram_total)} />
          <Field label="RAM available" field="ram_available" value={formatBytes(inv.ram_available)} />
          <Field label="Manufacturer" field="manufacturer" value={inv.manufacturer} />
          <Field label="Model" field="model" value={inv.model} />
          <Field label="Serial number" field="serial_number" value={inv.serial_number || m.serial_number} />
          <Field label="Service tag" field="service_tag" value={inv.service_tag} />
          <Field label="Description" field="description" value={inv.description} />
          <Field label="Boot time" field="boot_time" value={formatDateTime(inv.boot_time ?? m.boot_time)} />
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
          <Field label="Private IPs" field="private_ips" value={formatList(m.private_ips)} />
          <Field label="MAC addresses" field="macs" value={formatList(m.macs)} />
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

      <section>
        <h3>History</h3>
        <ErrorText message={auditError} />
        {audit === null ? (
          auditError ? null : <p class="muted small">Loading…</p>
        ) : audit.length ? (
          <ol class="audit-list" data-field="history">
            {audit.map((e, i) => (
              <li key={`${e.at}-${i}`} data-testid="audit-entry" class="audit-entry">
                <div class="audit-head">
                  <span class="audit-action">{String(e.action ?? "")}</span>
                  <span class="muted small">
                    {String(e.user ?? "")} · <span title={formatDateTime(e.at)}>{formatRelative(e.at, now)}</span>
                  </span>
                </div>
                {e.details && Object.keys(e.details).length ? (
                  <div class="audit-details small">{auditDetailsText(e.details)}</div>
                ) : null}
              </li>
            ))}
          </ol>
        ) : (
          <p class="muted small" data-field="history">No changes recorded.</p>
        )}
      </section>
    </div>
  );
}

function AttentionEditor({ m, patch }: { m: Machine; patch: (body: MachinePatch) => Promise<void> }) {
  const saved = m.attention_note ?? "";
  const [note, setNote] = useState(saved);
  const [dirty, setDirty] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  // Follow live changes (another technician) unless the user is mid-edit.
  useEffect(() => {
    if (!dirty) setNote(saved);
  }, [saved, dirty]);

  const run = async (body: MachinePatch) => {
    setBusy(true);
    setError(null);
    try {
      await patch(body);
      setDirty(false);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      class="inline-form attention-form"
      onSubmit={(e) => {
        e.preventDefault();
        void run({ attention_note: note });
      }}
    >
      <button
        id="attention-toggle"
        type="button"
        class={m.attention ? "btn small flagged" : "btn small"}
        aria-pressed={!!m.attention}
        disabled={busy}
        onClick={() => void run({ attention: !m.attention, attention_note: note })}
      >
        {m.attention ? "⚑ Clear attention" : "⚑ Flag for attention"}
      </button>
      <input
        id="attention-note"
        type="text"
        placeholder="Note"
        aria-label="Attention note"
        maxLength={1024}
        value={note}
        onInput={(e) => {
          setNote(e.currentTarget.value);
          setDirty(true);
        }}
      />
      <button id="attention-save" type="submit" class="btn small" disabled={busy || !dirty}>
        Save note
      </button>
      <ErrorText message={error} />
    </form>
  );
}

function AttributesEditor({ m, patch }: { m: Machine; patch: (body: MachinePatch) => Promise<void> }) {
  const attrs = m.custom_attributes && typeof m.custom_attributes === "object" ? m.custom_attributes : {};
  const keys = Object.keys(attrs).sort((a, b) => a.localeCompare(b));
  const [key, setKey] = useState("");
  const [value, setValue] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const run = async (body: MachinePatch, after?: () => void) => {
    setBusy(true);
    setError(null);
    try {
      await patch(body);
      after?.();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div data-field="custom_attributes">
      {keys.length ? (
        <table class="grid compact attr-table">
          <tbody>
            {keys.map((k) => (
              <tr key={k} data-attr={k}>
                <th scope="row" class="attr-key">{k}</th>
                <td class="attr-value wrap">{String(attrs[k])}</td>
                <td class="actions">
                  <button
                    type="button"
                    class="btn small"
                    data-action="edit"
                    disabled={busy}
                    onClick={() => {
                      setKey(k);
                      setValue(String(attrs[k]));
                      setError(null);
                    }}
                  >
                    Edit
                  </button>{" "}
                  <button
                    type="button"
                    class="btn small danger"
                    data-action="delete"
                    disabled={busy}
                    onClick={() => void run({ custom_attributes: { [k]: "" } })}
                  >
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p class="muted small">No custom attributes.</p>
      )}
      <form
        class="inline-form attr-form"
        onSubmit={(e) => {
          e.preventDefault();
          const problem = attributeError(key, value, attrs);
          if (problem) {
            setError(problem);
            return;
          }
          void run({ custom_attributes: { [key]: value } }, () => {
            setKey("");
            setValue("");
          });
        }}
      >
        <input
          id="attr-key"
          type="text"
          placeholder="Name"
          aria-label="Attribute name"
          maxLength={64}
          value={key}
          onInput={(e) => setKey(e.currentTarget.value)}
        />
        <input
          id="attr-value"
          type="text"
          placeholder="Value"
          aria-label="Attribute value"
          maxLength={1024}
          value={value}
          onInput={(e) => setValue(e.currentTarget.value)}
        />
        <button id="attr-save" type="submit" class="btn small" disabled={busy}>
          {Object.prototype.hasOwnProperty.call(attrs, key) ? "Update" : "Add"}
        </button>
      </form>
      <ErrorText message={error} />
    </div>
  );
}

function usedPercent(total: number | undefined, free: number | undefined): string {
  if (typeof total !== "number" || typeof free !== "number" || total <= 0) return EMPTY;
  return `${Math.round(((total - free) / total) * 100)}%`;
}
