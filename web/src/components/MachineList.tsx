import { useMemo } from "preact/hooks";
import { EMPTY, formatDateTime, formatList, formatRelative } from "../format";
import { visibleMachines } from "../machines";
import type { Machine } from "../types";
import { viewerHref } from "../viewer/route";

export function StatusBadge({ online }: { online: boolean }) {
  return (
    <span data-testid="machine-status" class={`status ${online ? "online" : "offline"}`}>
      {online ? "online" : "offline"}
    </span>
  );
}

// Opens the remote-control viewer in a new tab: technicians keep the dashboard in one
// tab and their sessions in others.
export function ConnectLink({
  machine,
  id,
  testId,
  small = true,
}: {
  machine: Machine;
  id?: string;
  testId?: string;
  small?: boolean;
}) {
  return (
    <a
      id={id}
      data-testid={testId}
      class={`btn primary connect${small ? " small" : ""}`}
      href={viewerHref(machine.id)}
      target="_blank"
      rel="noopener"
      title={`Connect to ${machine.name || machine.hostname || machine.id} in a new tab`}
      // The row's own click/keyboard handlers select it; opening a session should not.
      onClick={(e) => e.stopPropagation()}
      onKeyDown={(e) => e.stopPropagation()}
    >
      Connect
    </a>
  );
}

export function MachineList({
  machines,
  loaded,
  query,
  onQuery,
  selectedId,
  onSelect,
  now,
}: {
  machines: readonly Machine[];
  loaded: boolean;
  query: string;
  onQuery: (q: string) => void;
  selectedId: string | null;
  onSelect: (id: string) => void;
  now: number;
}) {
  const rows = useMemo(() => visibleMachines(machines, query), [machines, query]);
  const onlineCount = useMemo(() => machines.filter((m) => m.online).length, [machines]);

  return (
    <section class="machines">
      <div class="toolbar">
        <input
          id="machine-search"
          type="search"
          placeholder="Search name, hostname, company, site, user, IP…"
          aria-label="Search machines"
          autocomplete="off"
          spellcheck={false}
          value={query}
          onInput={(e) => onQuery(e.currentTarget.value)}
        />
        <span class="counts muted">
          {rows.length === machines.length ? `${machines.length}` : `${rows.length} of ${machines.length}`} machines ·{" "}
          {onlineCount} online
        </span>
      </div>
      <div class="table-wrap">
        <table class="grid machine-table">
          <thead>
            <tr>
              <th class="col-status">Status</th>
              <th>Name</th>
              <th>Company</th>
              <th>Site</th>
              <th>OS</th>
              <th>Logged-on users</th>
              <th>Last seen</th>
              <th>Agent</th>
              <th class="actions" aria-label="Actions" />
            </tr>
          </thead>
          <tbody>
            {rows.map((m) => (
              <tr
                key={m.id}
                data-testid="machine-row"
                data-machine-id={m.id}
                class={m.id === selectedId ? "selected" : undefined}
                tabIndex={0}
                aria-selected={m.id === selectedId}
                onClick={() => onSelect(m.id)}
                onKeyDown={(e) => {
                  if (e.key === "Enter" || e.key === " ") {
                    e.preventDefault();
                    onSelect(m.id);
                  }
                }}
              >
                <td>
                  <StatusBadge online={m.online} />
                </td>
                <td class="strong">{m.name || m.hostname || EMPTY}</td>
                <td>{m.company || EMPTY}</td>
                <td>{m.site || EMPTY}</td>
                <td>{m.os_name || EMPTY}</td>
                <td>{formatList(m.logged_on_users)}</td>
                <td title={formatDateTime(m.last_seen)}>{formatRelative(m.last_seen, now)}</td>
                <td class="mono">{m.agent_version || EMPTY}</td>
                <td class="actions">{m.online ? <ConnectLink machine={m} testId="connect" /> : null}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {rows.length === 0 ? (
          <p class="empty muted">
            {!loaded ? "Loading machines…" : machines.length === 0 ? "No machines enrolled yet." : "No machines match your search."}
          </p>
        ) : null}
      </div>
    </section>
  );
}
