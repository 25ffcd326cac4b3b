import { useMemo } from "preact/hooks";
import { EMPTY, formatDateTime, formatList, formatRelative } from "../format";
import { visibleMachines } from "../machines";
import type { Machine } from "../types";

export function StatusBadge({ online }: { online: boolean }) {
  return (
    <span data-testid="machine-status" class={`status ${online ? "online" : "offline"}`}>
      {online ? "online" : "offline"}
    </span>
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
