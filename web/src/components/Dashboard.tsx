import { useCallback, useEffect, useMemo, useRef, useState } from "preact/hooks";
import type { ApiClient } from "../api";
import {
  EMPTY_VIEW,
  MAX_PAGE_SIZE,
  PAGE_SIZE,
  cleanFilters,
  formatViewQuery,
  hasFilters,
  listQuery,
  machinesHash,
  mightMatch,
  parseViewQuery,
  savedQuery,
  splitHash,
  withFilter,
  type Filters,
  type ViewState,
} from "../filters";
import { applyGroup } from "../groups";
import { LiveClient, dashboardUrl, type LiveStatus } from "../live";
import { BatchQueue, appendPage, applyMachineBatch, removeMachine } from "../machines";
import { refresher } from "../schedule";
import type { DashboardEvent, Groups, Machine, SavedSearch, User } from "../types";
import { AccountView } from "./AccountView";
import { ApiKeysView } from "./ApiKeysView";
import { errorMessage } from "./common";
import { DetailPanel } from "./DetailPanel";
import { EnrollmentView } from "./EnrollmentView";
import { InstallersView } from "./InstallersView";
import { MachineList, type ListState } from "./MachineList";
import { Sidebar } from "./Sidebar";
import { SupportView } from "./SupportView";

type Tab = "machines" | "support" | "enrollment" | "api-keys" | "account";

const TAB_LABELS: Record<Tab, string> = {
  machines: "Machines",
  support: "Support",
  enrollment: "Enrollment",
  "api-keys": "API keys",
  account: "Account",
};

function tabsFor(user: User): Tab[] {
  const support: Tab[] = user.role === "viewer" ? [] : ["support"];
  return user.role === "admin"
    ? ["machines", ...support, "enrollment", "api-keys", "account"]
    : ["machines", ...support, "api-keys", "account"];
}

// The tab and, on the machines tab, every filter live in the URL hash
// (#/machines?company=Acme&q=bob), so views can be bookmarked and shared and
// back/forward walks through them.
function routeFromHash(hash: string, allowed: Tab[]): { tab: Tab; view: ViewState } {
  const { route, query } = splitHash(hash);
  const tab = allowed.includes(route as Tab) ? (route as Tab) : "machines";
  return { tab, view: tab === "machines" ? parseViewQuery(query) : EMPTY_VIEW };
}

// Relative times ("2 min ago") need a clock that ticks without new data.
function useNow(intervalMs: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const h = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(h);
  }, [intervalMs]);
  return now;
}

// Live updates are collected and applied together, at most this often.
const FLUSH_MS = 100;
const LIST_REFETCH_MS = 500;
const GROUPS_REFETCH_MS = 600;
const DETAIL_REFRESH_MS = 500;

const EMPTY_LIST: ListState & { cursor: string | null } = {
  rows: [],
  total: 0,
  loaded: false,
  loading: true,
  loadingMore: false,
  error: null,
  hasMore: false,
  cursor: null,
};

export function Dashboard({
  api,
  user,
  onSignOut,
  onSessionLost,
  onPasswordChanged,
}: {
  api: ApiClient;
  user: User;
  onSignOut: () => void;
  onSessionLost: () => void;
  onPasswordChanged: () => void;
}) {
  const tabs = useMemo(() => tabsFor(user), [user]);
  const [hash, setHash] = useState(() => location.hash);
  const route = useMemo(() => routeFromHash(hash, tabs), [hash, tabs]);
  const tab = route.tab;
  // Other tabs keep the machine view as it was, so visiting them does not refetch.
  const lastView = useRef<ViewState>(route.view);
  if (tab === "machines") lastView.current = route.view;
  const view = lastView.current;
  const filtersKey = formatViewQuery({ filters: view.filters, saved: null });

  const [list, setListState] = useState(EMPTY_LIST);
  const [groups, setGroups] = useState<Groups | null>(null);
  const [groupsError, setGroupsError] = useState<string | null>(null);
  const [saved, setSaved] = useState<SavedSearch[]>([]);
  const [live, setLive] = useState<LiveStatus>("reconnecting");
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [detailRefresh, setDetailRefresh] = useState(0);
  const now = useNow(30_000);

  // Live handlers are created once; they read the current state through refs.
  const listRef = useRef(list);
  const filtersRef = useRef<Filters>(view.filters);
  const selectedRef = useRef<string | null>(null);
  const seq = useRef(0);
  const lastMachinesHash = useRef(tab === "machines" ? hash || "#/machines" : "#/machines");
  const searchTyping = useRef(false);
  // Read through a ref so a new callback identity from App never restarts the socket.
  const sessionLost = useRef(onSessionLost);
  sessionLost.current = onSessionLost;
  filtersRef.current = view.filters;
  selectedRef.current = selectedId;
  if (tab === "machines") lastMachinesHash.current = hash || "#/machines";

  // The list state is mirrored into a ref synchronously so live batches always
  // apply to the newest rows, even between renders.
  const setList = useCallback((fn: (prev: typeof EMPTY_LIST) => typeof EMPTY_LIST) => {
    const next = fn(listRef.current);
    listRef.current = next;
    setListState(next);
  }, []);

  useEffect(() => {
    const onNav = () => setHash(location.hash);
    window.addEventListener("hashchange", onNav);
    window.addEventListener("popstate", onNav);
    return () => {
      window.removeEventListener("hashchange", onNav);
      window.removeEventListener("popstate", onNav);
    };
  }, []);

  const navigate = useCallback((next: ViewState, replace = false) => {
    const h = machinesHash(next);
    if (h !== location.hash) {
      if (replace) history.replaceState(null, "", h);
      else history.pushState(null, "", h);
    }
    setHash(h);
  }, []);

  // --- data loading ---

  // Loads the first page for the current filters. `limit` grows when a live refresh
  // has to keep what the user already scrolled through.
  const fetchFirst = useCallback(
    async (limit = PAGE_SIZE) => {
      const mine = ++seq.current;
      setList((l) => ({ ...l, loading: true, loadingMore: false }));
      try {
        const page = await api.listMachines(listQuery(filtersRef.current, null, limit));
        if (seq.current !== mine) return;
        setList(() => ({
          rows: page.machines,
          total: page.total ?? page.machines.length,
          cursor: page.next_cursor,
          hasMore: !!page.next_cursor,
          loaded: true,
          loading: false,
          loadingMore: false,
          error: null,
        }));
      } catch (e) {
        if (seq.current !== mine) return;
        setList((l) => ({ ...l, loading: false, loaded: true, error: errorMessage(e) }));
      }
    },
    [api, setList],
  );

  const loadMore = useCallback(async () => {
    const l = listRef.current;
    if (!l.cursor || l.loadingMore || l.loading) return;
    const mine = seq.current;
    setList((p) => ({ ...p, loadingMore: true }));
    try {
      const page = await api.listMachines(listQuery(filtersRef.current, l.cursor, PAGE_SIZE));
      if (seq.current !== mine) return;
      setList((p) => ({
        ...p,
        rows: appendPage(p.rows, page.machines),
        total: page.total ?? p.total,
        cursor: page.next_cursor,
        hasMore: !!page.next_cursor,
        loadingMore: false,
        error: null,
      }));
    } catch (e) {
      if (seq.current !== mine) return;
      setList((p) => ({ ...p, loadingMore: false, error: errorMessage(e) }));
    }
  }, [api, setList]);

  const refreshers = useMemo(() => {
    const listR = refresher(
      () => fetchFirst(Math.min(MAX_PAGE_SIZE, Math.max(PAGE_SIZE, listRef.current.rows.length))),
      LIST_REFETCH_MS,
      { maxWaitMs: 2000 },
    );
    const groupsR = refresher(
      async () => {
        try {
          setGroups(await api.getGroups());
          setGroupsError(null);
        } catch (e) {
          setGroupsError(errorMessage(e));
        }
      },
      GROUPS_REFETCH_MS,
      { maxWaitMs: 3000 },
    );
    const savedR = refresher(async () => {
      try {
        setSaved(await api.listSavedSearches());
      } catch {
        // Keep the last list; the sidebar still works without saved searches.
      }
    }, 200);
    const detailR = refresher(async () => setDetailRefresh((n) => n + 1), DETAIL_REFRESH_MS, { maxWaitMs: 2000 });
    return { list: listR, groups: groupsR, saved: savedR, detail: detailR };
  }, [api, fetchFirst]);

  // New filters: start over from the first page (an in-flight refresh is superseded).
  useEffect(() => {
    refreshers.list.cancel();
    void fetchFirst();
  }, [filtersKey, fetchFirst, refreshers]);

  // --- live updates ---

  const queue = useRef(new BatchQueue());
  const flushTimer = useRef<ReturnType<typeof setTimeout> | null>(null);

  const flush = useCallback(() => {
    flushTimer.current = null;
    const { machines, overflowed } = queue.current.take();
    const l = listRef.current;
    const res = applyMachineBatch(l.rows, machines);
    // One state update for the whole batch; setList applies to listRef synchronously.
    if (res.rows !== l.rows) setList((p) => ({ ...p, rows: res.rows }));
    const f = filtersRef.current;
    // Something not on screen changed. Where it would land is only knowable from the
    // server, and only matters when the list is filtered or not even one page long.
    const unseen =
      res.missingCount > 0 &&
      (hasFilters(f) || l.rows.length < PAGE_SIZE) &&
      (res.missingCount > res.missing.length || res.missing.some((m) => mightMatch(m, f)));
    if (overflowed || unseen) refreshers.list.call();
    const sel = selectedRef.current;
    if (sel && machines.some((m) => m.id === sel)) refreshers.detail.call();
  }, [refreshers, setList]);

  const helloSeen = useRef(false);
  const onEvent = useCallback(
    (ev: DashboardEvent) => {
      switch (ev.type) {
        case "hello":
        case "snapshot":
          if (ev.type === "snapshot" && ev.machines.length) queue.current.add(ev.machines);
          // The first greeting races the initial REST fetches; after a reconnect
          // whatever happened while we were away must be fetched again.
          if (helloSeen.current) {
            void refreshers.list.runNow();
            void refreshers.groups.runNow();
            void refreshers.saved.runNow();
            if (selectedRef.current) refreshers.detail.call();
          }
          helloSeen.current = true;
          if (ev.type === "hello") return;
          break;
        case "machines":
        case "machine":
          if (!queue.current.add(ev.type === "machines" ? ev.machines : [ev.machine])) return;
          break;
        case "groups_changed":
          refreshers.groups.call();
          return;
        case "saved_searches_changed":
          refreshers.saved.call();
          return;
        case "machine_removed":
          setList((p) => ({ ...p, rows: removeMachine(p.rows, ev.id) }));
          if (ev.id === selectedRef.current) setSelectedId(null);
          return;
        default:
          return;
      }
      if (flushTimer.current === null) flushTimer.current = setTimeout(flush, FLUSH_MS);
    },
    [flush, refreshers, setList],
  );

  useEffect(() => {
    void refreshers.groups.runNow();
    void refreshers.saved.runNow();
    const client = new LiveClient({
      url: dashboardUrl(location),
      onEvent,
      onStatus: setLive,
      onAuthLost: () => sessionLost.current(),
    });
    client.start();
    return () => {
      client.stop();
      if (flushTimer.current !== null) clearTimeout(flushTimer.current);
      flushTimer.current = null;
      refreshers.list.cancel();
      refreshers.groups.cancel();
      refreshers.saved.cancel();
      refreshers.detail.cancel();
    };
  }, [onEvent, refreshers]);

  // --- user actions ---

  const selectTab = (t: Tab) => {
    const h = t === "machines" ? lastMachinesHash.current : `#/${t}`;
    history.replaceState(null, "", h);
    setHash(h);
  };

  const setFilters = useCallback(
    (filters: Filters) => {
      searchTyping.current = false;
      navigate({ filters: cleanFilters(filters), saved: null });
    },
    [navigate],
  );

  // While typing, one history entry is enough: the first search pushes, the rest replace.
  const onSearch = useCallback(
    (q: string) => {
      const filters = withFilter(filtersRef.current, "q", q.trim() || undefined);
      if (formatViewQuery({ filters, saved: null }) === formatViewQuery({ filters: filtersRef.current, saved: null })) return;
      navigate({ filters, saved: null }, searchTyping.current);
      searchTyping.current = true;
    },
    [navigate],
  );

  const onGroup = useCallback(
    (group: Filters | null) => {
      searchTyping.current = false;
      // "All machines" and "Online" start from a clean slate; groups keep refinements.
      const filters = group === null ? {} : group.online !== undefined && Object.keys(group).length === 1 ? group : applyGroup(filtersRef.current, group);
      navigate({ filters: cleanFilters(filters), saved: null });
    },
    [navigate],
  );

  const onSaved = useCallback(
    (s: SavedSearch) => {
      searchTyping.current = false;
      navigate({ filters: cleanFilters(s.query ?? {}), saved: s.id });
    },
    [navigate],
  );

  const onSaveSearch = useCallback(
    async (name: string, shared: boolean, pinned: boolean) => {
      const filters = filtersRef.current;
      const created = await api.createSavedSearch({ name, query: savedQuery(filters), shared, pinned });
      void refreshers.saved.runNow();
      if (created && typeof created.id === "number") navigate({ filters, saved: created.id }, true);
    },
    [api, navigate, refreshers],
  );

  const refreshSaved = useCallback(() => void refreshers.saved.runNow(), [refreshers]);
  const closeDetail = useCallback(() => setSelectedId(null), []);
  // The detail panel changed the machine (attention, attributes): show it in the row too.
  const onMachineChanged = useCallback(
    (m: Machine) => setList((p) => ({ ...p, rows: applyMachineBatch(p.rows, [m]).rows })),
    [setList],
  );
  const summary = selectedId ? (list.rows.find((m) => m.id === selectedId) ?? null) : null;

  return (
    <div class="app">
      <header class="topbar">
        <span class="brand">GuruConnect</span>
        <nav class="tabs" aria-label="Sections">
          {tabs.map((t) => (
            <button
              key={t}
              type="button"
              id={`tab-${t}`}
              class={t === tab ? "tab active" : "tab"}
              aria-current={t === tab ? "page" : undefined}
              onClick={() => selectTab(t)}
            >
              {TAB_LABELS[t]}
            </button>
          ))}
        </nav>
        <span class="spacer" />
        <span id="live-status" class={`live-status ${live}`} title={live === "live" ? "Receiving live updates" : "Connection lost; retrying"}>
          {live}
        </span>
        <span class="user" title={user.role}>
          {user.username}
        </span>
        <button id="logout" type="button" class="btn ghost" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      {tab === "machines" ? (
        <main class={selectedId ? "machines-view with-detail" : "machines-view"}>
          <Sidebar
            api={api}
            groups={groups}
            groupsError={groupsError}
            saved={saved}
            view={view}
            onGroup={onGroup}
            onSaved={onSaved}
            onSavedChanged={refreshSaved}
          />
          <MachineList
            list={list}
            view={view}
            osGroups={groups?.os ?? []}
            onFilters={setFilters}
            onSearch={onSearch}
            onLoadMore={loadMore}
            onSaveSearch={onSaveSearch}
            selectedId={selectedId}
            onSelect={setSelectedId}
            now={now}
          />
          {selectedId ? (
            <DetailPanel
              key={selectedId}
              api={api}
              id={selectedId}
              summary={summary}
              refreshKey={detailRefresh}
              now={now}
              onClose={closeDetail}
              onChanged={onMachineChanged}
            />
          ) : null}
        </main>
      ) : (
        <main class="content">
          {tab === "support" ? <SupportView api={api} onAuthLost={onSessionLost} /> : null}
          {tab === "enrollment" && user.role === "admin" ? <InstallersView api={api} now={now} /> : null}
          {tab === "enrollment" && user.role === "admin" ? <EnrollmentView api={api} now={now} /> : null}
          {tab === "api-keys" ? <ApiKeysView api={api} now={now} /> : null}
          {tab === "account" ? <AccountView api={api} user={user} onPasswordChanged={onPasswordChanged} /> : null}
        </main>
      )}
    </div>
  );
}
