import { useCallback, useEffect, useMemo, useRef, useState } from "preact/hooks";
import type { ApiClient } from "../api";
import { LiveClient, dashboardUrl, type LiveStatus } from "../live";
import { applyEvent } from "../machines";
import type { DashboardEvent, Machine, User } from "../types";
import { AccountView } from "./AccountView";
import { ApiKeysView } from "./ApiKeysView";
import { DetailPanel } from "./DetailPanel";
import { EnrollmentView } from "./EnrollmentView";
import { MachineList } from "./MachineList";

type Tab = "machines" | "enrollment" | "api-keys" | "account";

const TAB_LABELS: Record<Tab, string> = {
  machines: "Machines",
  enrollment: "Enrollment",
  "api-keys": "API keys",
  account: "Account",
};

function tabsFor(user: User): Tab[] {
  return user.role === "admin" ? ["machines", "enrollment", "api-keys", "account"] : ["machines", "api-keys", "account"];
}

// The tab lives in the URL hash so reloads and back/forward keep the user's place.
function tabFromHash(allowed: Tab[]): Tab {
  const t = location.hash.replace(/^#\/?/, "") as Tab;
  return allowed.includes(t) ? t : "machines";
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
  const [tab, setTab] = useState<Tab>(() => tabFromHash(tabs));
  const [machines, setMachines] = useState<Machine[]>([]);
  const [loaded, setLoaded] = useState(false);
  const [live, setLive] = useState<LiveStatus>("reconnecting");
  const [query, setQuery] = useState("");
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [detailRefresh, setDetailRefresh] = useState(0);
  const selectedRef = useRef<string | null>(null);
  const snapshotSeen = useRef(false);
  const now = useNow(30_000);
  // Read through a ref so a new callback identity from App never restarts the socket.
  const sessionLost = useRef(onSessionLost);
  sessionLost.current = onSessionLost;

  selectedRef.current = selectedId;

  useEffect(() => {
    const onHash = () => setTab(tabFromHash(tabs));
    window.addEventListener("hashchange", onHash);
    return () => window.removeEventListener("hashchange", onHash);
  }, [tabs]);

  const onEvent = useCallback((ev: DashboardEvent) => {
    if (ev.type === "snapshot") {
      snapshotSeen.current = true;
      setLoaded(true);
    }
    setMachines((prev) => applyEvent(prev, ev));
    const sel = selectedRef.current;
    if (!sel) return;
    if (
      (ev.type === "machine" && ev.machine.id === sel) ||
      // After a reconnect the open record may be stale; re-fetch it too.
      (ev.type === "snapshot" && ev.machines.some((m) => m.id === sel))
    ) {
      setDetailRefresh((n) => n + 1);
    } else if (ev.type === "machine_removed" && ev.id === sel) {
      setSelectedId(null);
    }
  }, []);

  useEffect(() => {
    const client = new LiveClient({
      url: dashboardUrl(location),
      onEvent,
      onStatus: setLive,
      onAuthLost: () => sessionLost.current(),
    });
    client.start();
    // The REST list fills the table quickly even if the socket is slow or blocked;
    // once a snapshot has arrived it is authoritative and this result is dropped.
    api.listMachines().then(
      (list) => {
        if (snapshotSeen.current) return;
        setMachines(applyEvent([], { type: "snapshot", machines: list }));
        setLoaded(true);
      },
      () => {
        // The socket's snapshot will fill the list; a 401 is handled by the api client.
      },
    );
    return () => client.stop();
  }, [api, onEvent]);

  const selectTab = (t: Tab) => {
    setTab(t);
    history.replaceState(null, "", `#/${t}`);
  };

  const closeDetail = useCallback(() => setSelectedId(null), []);
  const summary = selectedId ? (machines.find((m) => m.id === selectedId) ?? null) : null;

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
      <main class={selectedId && tab === "machines" ? "content with-detail" : "content"}>
        {tab === "machines" ? (
          <>
            <MachineList
              machines={machines}
              loaded={loaded}
              query={query}
              onQuery={setQuery}
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
              />
            ) : null}
          </>
        ) : null}
        {tab === "enrollment" && user.role === "admin" ? <EnrollmentView api={api} now={now} /> : null}
        {tab === "api-keys" ? <ApiKeysView api={api} now={now} /> : null}
        {tab === "account" ? <AccountView api={api} user={user} onPasswordChanged={onPasswordChanged} /> : null}
      </main>
    </div>
  );
}
