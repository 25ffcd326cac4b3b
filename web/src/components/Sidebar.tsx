// Left-hand navigation: fleet totals, status and metadata groups with live counts,
// and saved searches. Every label is agent- or user-supplied text, rendered as text.
import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import type { ApiClient } from "../api";
import type { Filters, ViewState } from "../filters";
import { activeKey, orderSavedSearches, shapeGroups, type GroupSection } from "../groups";
import type { Groups, SavedSearch } from "../types";
import { ErrorText, errorMessage } from "./common";

// Long lists (an MSP can have thousands of companies) show this many until asked.
const SECTION_LIMIT = 100;

const fmt = new Intl.NumberFormat();
const countText = (n: number) => fmt.format(n);

export function Sidebar({
  api,
  groups,
  groupsError,
  saved,
  view,
  onGroup,
  onSaved,
  onSavedChanged,
}: {
  api: ApiClient;
  groups: Groups | null;
  groupsError: string | null;
  saved: readonly SavedSearch[];
  view: ViewState;
  onGroup: (filters: Filters | null) => void; // null = all machines
  onSaved: (s: SavedSearch) => void;
  onSavedChanged: () => void;
}) {
  const active = activeKey(view);
  const sections = shapeGroups(groups);
  const [collapsed, setCollapsed] = useState<Record<string, boolean>>({
    departments: true,
    os: true,
    device_types: true,
    tags: true,
  });
  const toggle = (id: string) => setCollapsed((c) => ({ ...c, [id]: !c[id] }));

  return (
    <nav id="sidebar" class="sidebar" aria-label="Machine groups">
      <ul class="group-list top">
        <GroupLink
          groupKey="all"
          label="All machines"
          count={groups?.total}
          active={active === "all"}
          onClick={() => onGroup(null)}
        />
        <GroupLink
          groupKey="online"
          label="Online"
          count={groups?.online}
          active={active === "online"}
          onClick={() => onGroup({ online: "true" })}
        />
      </ul>
      <ErrorText message={groupsError} />

      <SavedSearches api={api} saved={saved} active={active} collapsed={!!collapsed.saved} onToggle={() => toggle("saved")} onOpen={onSaved} onChanged={onSavedChanged} />

      {sections.map((s) => (
        <Section key={s.id} section={s} active={active} collapsed={!!collapsed[s.id]} onToggle={() => toggle(s.id)} onGroup={onGroup} />
      ))}
    </nav>
  );
}

function SectionHeader({ id, title, collapsed, onToggle, count }: { id: string; title: string; collapsed: boolean; onToggle: () => void; count?: number }) {
  return (
    <h3 class="section-title">
      <button
        type="button"
        class="section-toggle"
        data-section={id}
        aria-expanded={!collapsed}
        onClick={onToggle}
      >
        <span class="caret" aria-hidden="true">{collapsed ? "▸" : "▾"}</span>
        {title}
        {count !== undefined ? <span class="count">{count}</span> : null}
      </button>
    </h3>
  );
}

function Section({
  section,
  active,
  collapsed,
  onToggle,
  onGroup,
}: {
  section: GroupSection;
  active: string;
  collapsed: boolean;
  onToggle: () => void;
  onGroup: (f: Filters) => void;
}) {
  const [showAll, setShowAll] = useState(false);
  const [open, setOpen] = useState<Record<string, boolean>>({});
  // The selected entry stays visible even when it is beyond the cut.
  const items = showAll
    ? section.items
    : section.items.filter(
        (it, i) => i < SECTION_LIMIT || it.key === active || (it.children ?? []).some((c) => c.key === active),
      );
  return (
    <section class="group-section" data-section-id={section.id}>
      <SectionHeader id={section.id} title={section.title} collapsed={collapsed} onToggle={onToggle} />
      {collapsed ? null : (
        <ul class="group-list">
          {items.map((item) => {
            const children = item.children ?? [];
            // A company opens by itself when it or one of its sites is selected.
            const expanded = open[item.key] ?? (active === item.key || children.some((c) => c.key === active));
            return (
              <GroupLink
                key={item.key}
                groupKey={item.key}
                label={item.label}
                count={item.count}
                active={active === item.key}
                onClick={() => onGroup(item.filters)}
                expander={
                  children.length
                    ? {
                        expanded,
                        onToggle: () => setOpen((o) => ({ ...o, [item.key]: !expanded })),
                      }
                    : undefined
                }
                none={item.none}
              >
                {children.length && expanded ? (
                  <ul class="group-list nested">
                    {children.map((c) => (
                      <GroupLink
                        key={c.key}
                        groupKey={c.key}
                        label={c.label}
                        count={c.count}
                        active={active === c.key}
                        onClick={() => onGroup(c.filters)}
                        none={c.none}
                      />
                    ))}
                  </ul>
                ) : null}
              </GroupLink>
            );
          })}
          {section.items.length === 0 ? <li class="muted small empty-group">None</li> : null}
          {section.items.length > SECTION_LIMIT ? (
            <li>
              <button type="button" class="btn link small" onClick={() => setShowAll(!showAll)}>
                {showAll ? "Show fewer" : `Show all ${countText(section.items.length)}`}
              </button>
            </li>
          ) : null}
        </ul>
      )}
    </section>
  );
}

function GroupLink({
  groupKey,
  label,
  count,
  active,
  onClick,
  expander,
  none,
  children,
}: {
  groupKey: string;
  label: string;
  count: number | undefined;
  active: boolean;
  onClick: () => void;
  expander?: { expanded: boolean; onToggle: () => void };
  none?: boolean;
  children?: ComponentChildren;
}) {
  return (
    <li>
      <div class={active ? "group-row active" : "group-row"}>
        {expander ? (
          <button
            type="button"
            class="expander"
            aria-expanded={expander.expanded}
            aria-label={expander.expanded ? `Collapse ${label}` : `Expand ${label}`}
            onClick={expander.onToggle}
          >
            {expander.expanded ? "▾" : "▸"}
          </button>
        ) : (
          <span class="expander-space" />
        )}
        <button
          type="button"
          class={none ? "group none" : "group"}
          data-group={groupKey}
          aria-current={active ? "true" : undefined}
          title={label}
          onClick={onClick}
        >
          <span class="label">{label}</span>
          <span class="count">{count === undefined ? "" : countText(count)}</span>
        </button>
      </div>
      {children}
    </li>
  );
}

function SavedSearches({
  api,
  saved,
  active,
  collapsed,
  onToggle,
  onOpen,
  onChanged,
}: {
  api: ApiClient;
  saved: readonly SavedSearch[];
  active: string;
  collapsed: boolean;
  onToggle: () => void;
  onOpen: (s: SavedSearch) => void;
  onChanged: () => void;
}) {
  const [error, setError] = useState<string | null>(null);
  const [renaming, setRenaming] = useState<number | null>(null);
  const [name, setName] = useState("");
  const [busy, setBusy] = useState(false);
  const list = orderSavedSearches(saved);

  // The server also announces the change over the socket; refreshing here as well
  // keeps the list right when the socket is down.
  const act = async (fn: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await fn();
      onChanged();
      return true;
    } catch (e) {
      setError(errorMessage(e));
      return false;
    } finally {
      setBusy(false);
    }
  };

  const rename = async (s: SavedSearch) => {
    const n = name.trim();
    if (!n || n === s.name) {
      setRenaming(null);
      return;
    }
    if (await act(() => api.updateSavedSearch(s.id, { name: n }))) setRenaming(null);
  };

  return (
    <section class="group-section saved-searches" data-section-id="saved">
      <SectionHeader id="saved" title="Saved searches" collapsed={collapsed} onToggle={onToggle} />
      <ErrorText message={error} />
      {collapsed ? null : (
        <ul class="group-list">
          {list.length === 0 ? <li class="muted small empty-group">None yet — use “Save search”.</li> : null}
          {list.map((s) => (
            <li key={s.id} class="saved-item">
              {renaming === s.id ? (
                <form
                  class="rename-form"
                  onSubmit={(e) => {
                    e.preventDefault();
                    void rename(s);
                  }}
                >
                  <input
                    type="text"
                    class="rename-input"
                    aria-label="Saved search name"
                    value={name}
                    maxLength={128}
                    autoFocus
                    onInput={(e) => setName(e.currentTarget.value)}
                    onKeyDown={(e) => {
                      if (e.key === "Escape") setRenaming(null);
                    }}
                  />
                  <button type="submit" class="btn small" disabled={busy}>
                    Save
                  </button>
                </form>
              ) : (
                <div class={active === `saved:${s.id}` ? "group-row active" : "group-row"}>
                  {s.mine ? (
                    <button
                      type="button"
                      class={s.pinned ? "expander pin on" : "expander pin"}
                      data-action="pin"
                      aria-pressed={s.pinned}
                      aria-label={s.pinned ? `Unpin ${s.name}` : `Pin ${s.name}`}
                      title={s.pinned ? "Unpin" : "Pin to top"}
                      disabled={busy}
                      onClick={() => void act(() => api.updateSavedSearch(s.id, { pinned: !s.pinned }))}
                    >
                      {s.pinned ? "★" : "☆"}
                    </button>
                  ) : (
                    <span class={s.pinned ? "expander-space pin on" : "expander-space pin"} title={s.pinned ? "Pinned" : undefined}>
                      {s.pinned ? "★" : ""}
                    </span>
                  )}
                  <button
                    type="button"
                    class="group"
                    data-saved-search={String(s.id)}
                    aria-current={active === `saved:${s.id}` ? "true" : undefined}
                    title={s.mine ? s.name : `${s.name} — shared by ${s.owner}`}
                    onClick={() => onOpen(s)}
                  >
                    <span class="label">{s.name}</span>
                    {s.shared ? (
                      <span class={s.mine ? "badge shared" : "badge shared other"} data-testid="saved-shared">
                        {s.mine ? "shared" : s.owner}
                      </span>
                    ) : null}
                  </button>
                  {s.mine ? (
                    <span class="saved-actions">
                      <button
                        type="button"
                        class="icon-btn"
                        data-action="share"
                        aria-pressed={s.shared}
                        aria-label={s.shared ? `Stop sharing ${s.name}` : `Share ${s.name}`}
                        title={s.shared ? "Stop sharing" : "Share with everyone"}
                        disabled={busy}
                        onClick={() => void act(() => api.updateSavedSearch(s.id, { shared: !s.shared }))}
                      >
                        {s.shared ? "⇠" : "⇢"}
                      </button>
                      <button
                        type="button"
                        class="icon-btn"
                        data-action="rename"
                        aria-label={`Rename ${s.name}`}
                        title="Rename"
                        disabled={busy}
                        onClick={() => {
                          setName(s.name);
                          setRenaming(s.id);
                        }}
                      >
                        ✎
                      </button>
                      <button
                        type="button"
                        class="icon-btn danger"
                        data-action="delete"
                        aria-label={`Delete ${s.name}`}
                        title="Delete"
                        disabled={busy}
                        onClick={() => {
                          if (confirm(`Delete the saved search “${s.name}”?`)) void act(() => api.deleteSavedSearch(s.id));
                        }}
                      >
                        ✕
                      </button>
                    </span>
                  ) : null}
                </div>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
