import { Component } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import {
  CHECKIN_VALUES,
  hasFilters,
  withFilter,
  withoutFilter,
  type FilterKey,
  type Filters,
  type ViewState,
} from "../filters";
import { EMPTY, formatDateTime, formatList, formatRelative } from "../format";
import { NONE_LABEL, STATUS_LABELS, groupLabel } from "../groups";
import { debounce } from "../schedule";
import type { GroupCount, Machine } from "../types";
import { viewerHref } from "../viewer/route";
import { ErrorText, errorMessage } from "./common";

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

const fmt = new Intl.NumberFormat();

export const SEARCH_DEBOUNCE_MS = 250;

const CHECKIN_LABELS: Record<string, string> = {
  lt_1h: "Checked in < 1 hour",
  lt_24h: "Checked in < 24 hours",
  lt_7d: "Checked in < 7 days",
  gt_30d: "Not checked in > 30 days",
};

const FILTER_LABELS: Record<FilterKey, string> = {
  q: "Search",
  company: "Company",
  site: "Site",
  department: "Department",
  os: "OS",
  device_type: "Device type",
  tag: "Tag",
  status: "Status",
  checkin: "Check-in",
  online: "Online",
};

function chipValue(key: FilterKey, value: string): string {
  if (key === "status") return STATUS_LABELS[value] ?? value;
  if (key === "checkin") return CHECKIN_LABELS[value] ?? value;
  if (key === "online") return value === "true" ? "online" : "offline";
  if (key === "q") return value;
  return groupLabel(value);
}

// <select> values are strings and "" means "any", so the "(none)" OS group needs
// a stand-in value.
const NONE_OPTION = "__gc_none__";

export interface ListState {
  rows: readonly Machine[];
  total: number;
  loaded: boolean;
  loading: boolean;
  loadingMore: boolean;
  error: string | null;
  hasMore: boolean;
}

export function MachineList({
  list,
  view,
  osGroups,
  onFilters,
  onSearch,
  onLoadMore,
  onSaveSearch,
  selectedId,
  onSelect,
  now,
}: {
  list: ListState;
  view: ViewState;
  osGroups: readonly GroupCount[];
  onFilters: (filters: Filters) => void;
  onSearch: (q: string) => void;
  onLoadMore: () => void;
  onSaveSearch: (name: string, shared: boolean, pinned: boolean) => Promise<void>;
  selectedId: string | null;
  onSelect: (id: string) => void;
  now: number;
}) {
  const filters = view.filters;
  const { rows } = list;
  const wrapRef = useRef<HTMLDivElement>(null);
  const sentinelRef = useRef<HTMLButtonElement>(null);
  const loadMoreRef = useRef(onLoadMore);
  loadMoreRef.current = onLoadMore;

  // Load the next page when the sentinel scrolls into view. The observer is rebuilt
  // after each page so a still-visible sentinel (tall screens) asks again.
  useEffect(() => {
    const el = sentinelRef.current;
    // After a failed page the button stays for a manual retry, but the observer
    // must not turn a persistent error into a request loop.
    if (!el || !list.hasMore || list.loadingMore || list.error || typeof IntersectionObserver === "undefined") return;
    const io = new IntersectionObserver(
      (entries) => {
        if (entries.some((e) => e.isIntersecting)) loadMoreRef.current();
      },
      { root: wrapRef.current, rootMargin: "600px 0px" },
    );
    io.observe(el);
    return () => io.disconnect();
  }, [list.hasMore, list.loadingMore, list.error, rows.length]);

  const chips = (Object.keys(filters) as FilterKey[]).filter((k) => filters[k] !== undefined);
  const osValue = filters.os === undefined ? "" : filters.os === "" ? NONE_OPTION : filters.os;
  const osOptions = osGroups.some((g) => g.value === filters.os) || filters.os === undefined
    ? osGroups
    : [...osGroups, { value: filters.os, count: 0 }];

  return (
    <section class="machines">
      <div class="toolbar">
        <SearchBox value={filters.q ?? ""} onSearch={onSearch} />
        <select
          id="filter-checkin"
          aria-label="Check-in"
          value={filters.checkin ?? ""}
          onChange={(e) => onFilters(withFilter(filters, "checkin", e.currentTarget.value || undefined))}
        >
          <option value="">Any check-in</option>
          {CHECKIN_VALUES.map((v) => (
            <option key={v} value={v}>
              {CHECKIN_LABELS[v]}
            </option>
          ))}
        </select>
        <select
          id="filter-online"
          aria-label="Online"
          value={filters.online ?? ""}
          onChange={(e) => onFilters(withFilter(filters, "online", e.currentTarget.value || undefined))}
        >
          <option value="">Online or offline</option>
          <option value="true">Online</option>
          <option value="false">Offline</option>
        </select>
        <select
          id="filter-os"
          aria-label="Operating system"
          value={osValue}
          onChange={(e) => {
            const v = e.currentTarget.value;
            onFilters(withFilter(filters, "os", v === "" ? undefined : v === NONE_OPTION ? "" : v));
          }}
        >
          <option value="">Any OS</option>
          {osOptions.map((g) => (
            <option key={g.value} value={g.value === "" ? NONE_OPTION : g.value}>
              {g.value === "" ? NONE_LABEL : g.value}
            </option>
          ))}
        </select>
        <SaveSearch disabled={!hasFilters(filters)} onSave={onSaveSearch} />
        <span class="spacer" />
        <span id="machine-count" class="counts muted">
          {list.loaded ? `${fmt.format(rows.length)} of ${fmt.format(list.total)} machines` : ""}
        </span>
      </div>
      {chips.length ? (
        <div id="active-filters" class="chips" aria-label="Active filters">
          {chips.map((k) => (
            <span key={k} class="chip" data-filter={k}>
              <span class="chip-key">{FILTER_LABELS[k]}:</span>{" "}
              <span class={filters[k] === "" ? "chip-value none" : "chip-value"}>{chipValue(k, filters[k] as string)}</span>
              <button
                type="button"
                class="chip-remove"
                aria-label={`Remove ${FILTER_LABELS[k]} filter`}
                title="Remove filter"
                onClick={() => onFilters(withoutFilter(filters, k))}
              >
                ×
              </button>
            </span>
          ))}
          <button type="button" id="clear-filters" class="btn link small" onClick={() => onFilters({})}>
            Clear all
          </button>
        </div>
      ) : null}
      <ErrorText message={list.error} />
      <div class="table-wrap" ref={wrapRef}>
        <table class="grid machine-table">
          <thead>
            <tr>
              <th class="col-status">Status</th>
              <th class="col-flag" title="Needs attention" aria-label="Attention" />
              <th>Name</th>
              <th>Company</th>
              <th>Site</th>
              <th>OS</th>
              <th>Logged-on users</th>
              <th class="num" title="Technicians connected now">Hosts</th>
              <th>Last seen</th>
              <th>Agent</th>
              <th class="actions" aria-label="Actions" />
            </tr>
          </thead>
          <tbody>
            {rows.map((m) => (
              <MachineRow key={m.id} m={m} selected={m.id === selectedId} onSelect={onSelect} now={now} />
            ))}
          </tbody>
        </table>
        {rows.length === 0 ? (
          <p class="empty muted">
            {!list.loaded || list.loading
              ? "Loading machines…"
              : hasFilters(filters)
                ? "No machines match these filters."
                : "No machines enrolled yet."}
          </p>
        ) : null}
        {list.hasMore ? (
          <button
            id="load-more"
            ref={sentinelRef}
            type="button"
            class="btn load-more"
            disabled={list.loadingMore}
            onClick={onLoadMore}
          >
            {list.loadingMore ? "Loading…" : `Load more (${fmt.format(Math.max(0, list.total - rows.length))} more)`}
          </button>
        ) : null}
      </div>
    </section>
  );
}

// Typing searches after a short pause; the box follows the URL when it changes
// from elsewhere (back/forward, a sidebar click), without fighting the typist.
function SearchBox({ value, onSearch }: { value: string; onSearch: (q: string) => void }) {
  const [text, setText] = useState(value);
  const latest = useRef(text);
  const committed = useRef(value);
  const onSearchRef = useRef(onSearch);
  onSearchRef.current = onSearch;
  const deb = useRef(
    debounce(() => {
      committed.current = latest.current.trim();
      onSearchRef.current(latest.current);
    }, SEARCH_DEBOUNCE_MS),
  );

  useEffect(() => () => deb.current.cancel(), []);
  useEffect(() => {
    if (value !== committed.current) {
      committed.current = value;
      deb.current.cancel();
      latest.current = value;
      setText(value);
    }
  }, [value]);

  return (
    <input
      id="machine-search"
      type="search"
      placeholder="Search name, host, user, IP, serial, attribute…"
      aria-label="Search machines"
      autocomplete="off"
      spellcheck={false}
      value={text}
      onInput={(e) => {
        latest.current = e.currentTarget.value;
        setText(latest.current);
        deb.current.call();
      }}
      onKeyDown={(e) => {
        if (e.key === "Enter") deb.current.flush();
      }}
    />
  );
}

function SaveSearch({ disabled, onSave }: { disabled: boolean; onSave: (name: string, shared: boolean, pinned: boolean) => Promise<void> }) {
  const [open, setOpen] = useState(false);
  const [name, setName] = useState("");
  const [shared, setShared] = useState(false);
  const [pinned, setPinned] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  return (
    <span class="save-search">
      <button
        id="save-search"
        type="button"
        class="btn small"
        disabled={disabled && !open}
        title={disabled ? "Set a filter or search first" : "Save these filters"}
        aria-expanded={open}
        onClick={() => {
          setOpen(!open);
          setError(null);
        }}
      >
        Save search
      </button>
      {open ? (
        <form
          class="popover save-search-form"
          onSubmit={async (e) => {
            e.preventDefault();
            const n = name.trim();
            if (!n) {
              setError("Enter a name.");
              return;
            }
            setBusy(true);
            setError(null);
            try {
              await onSave(n, shared, pinned);
              setOpen(false);
              setName("");
              setShared(false);
              setPinned(false);
            } catch (err) {
              setError(errorMessage(err));
            } finally {
              setBusy(false);
            }
          }}
        >
          <input
            id="saved-name"
            type="text"
            placeholder="Name"
            aria-label="Saved search name"
            maxLength={128}
            value={name}
            autoFocus
            onInput={(e) => setName(e.currentTarget.value)}
            onKeyDown={(e) => {
              if (e.key === "Escape") setOpen(false);
            }}
          />
          <label class="check">
            <input id="saved-shared" type="checkbox" checked={shared} onChange={(e) => setShared(e.currentTarget.checked)} />
            Shared
          </label>
          <label class="check">
            <input id="saved-pinned" type="checkbox" checked={pinned} onChange={(e) => setPinned(e.currentTarget.checked)} />
            Pinned
          </label>
          <button id="saved-submit" type="submit" class="btn primary small" disabled={busy}>
            Save
          </button>
          <ErrorText message={error} />
        </form>
      ) : null}
    </span>
  );
}

interface RowProps {
  m: Machine;
  selected: boolean;
  onSelect: (id: string) => void;
  now: number;
}

// Rows only re-render when their own machine object changes, so a live batch that
// touches ten machines costs ten rows, not the whole loaded list.
class MachineRow extends Component<RowProps> {
  shouldComponentUpdate(next: RowProps): boolean {
    const p = this.props;
    return next.m !== p.m || next.selected !== p.selected || next.now !== p.now || next.onSelect !== p.onSelect;
  }

  render({ m, selected, onSelect, now }: RowProps) {
    const hosts = typeof m.host_connected === "number" ? m.host_connected : 0;
    return (
      <tr
        data-testid="machine-row"
        data-machine-id={m.id}
        class={selected ? "selected" : undefined}
        tabIndex={0}
        aria-selected={selected}
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
        <td class="col-flag">
          {m.attention ? (
            <span
              data-testid="attention-flag"
              class="flag"
              role="img"
              aria-label={m.attention_note ? `Needs attention: ${m.attention_note}` : "Needs attention"}
              title={m.attention_note || "Needs attention"}
            >
              ⚑
            </span>
          ) : null}
        </td>
        <td class="strong">
          {m.name || m.hostname || EMPTY}
          {m.outdated ? (
            <span class="badge outdated" title="Agent is older than the server's version">
              outdated
            </span>
          ) : null}
        </td>
        <td>{m.company || EMPTY}</td>
        <td>{m.site || EMPTY}</td>
        <td>{m.os_name || EMPTY}</td>
        <td>{formatList(m.logged_on_users)}</td>
        <td class="num" data-testid="host-connected" title={`${hosts} technician(s) connected`}>
          {hosts > 0 ? <span class="hosts">{hosts}</span> : ""}
        </td>
        <td title={formatDateTime(m.last_seen)}>{formatRelative(m.last_seen, now)}</td>
        <td class="mono">{m.agent_version || EMPTY}</td>
        <td class="actions">{m.online ? <ConnectLink machine={m} testId="connect" /> : null}</td>
      </tr>
    );
  }
}
