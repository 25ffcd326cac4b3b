// The technician's Support tab: create a session (code + link), the live list of
// their sessions with status, chat, Connect (once the guest allowed access), end,
// and History. Logic and types live in ../support.ts.
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import type { ApiClient } from "../api";
import { EMPTY, formatDateTime, formatDuration } from "../format";
import { optionalPositiveInt } from "../forms";
import {
  SupportLive,
  applySessionEvent,
  canConnect,
  mergeChat,
  statusLabel,
  supportApi,
  supportLiveUrl,
  type ChatLine,
  type SupportEvent,
  type SupportSession,
  type Technician,
} from "../support";
import { viewerHref } from "../viewer/route";
import { CopyButton, ErrorText, errorMessage } from "./common";

export function SupportView({ api, onAuthLost }: { api: ApiClient; onAuthLost: () => void }) {
  const [sessions, setSessions] = useState<SupportSession[] | null>(null);
  const [history, setHistory] = useState<SupportSession[] | null>(null);
  const [technicians, setTechnicians] = useState<Technician[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [chat, setChat] = useState<ChatLine[]>([]);
  const selectedRef = useRef<string | null>(null);
  selectedRef.current = selected;

  const load = useCallback(() => {
    supportApi.list(api).then(setSessions, (e) => setError(errorMessage(e)));
    supportApi.list(api, true).then(setHistory, (e) => setError(errorMessage(e)));
  }, [api]);

  useEffect(() => {
    supportApi.technicians(api).then(setTechnicians, () => setTechnicians([]));
    const onEvent = (event: SupportEvent) => {
      if (event.type === "hello") {
        load(); // (re)connected: whatever happened meanwhile is in the fresh list
      } else if (event.type === "chat") {
        if (event.session_id === selectedRef.current) setChat((c) => mergeChat(c, [event.line]));
      } else {
        setSessions((list) => (list ? applySessionEvent(list, event) : list));
        if (event.type === "session" && !["waiting", "joined", "active"].includes(event.session.status)) {
          setHistory((h) => [event.session, ...(h ?? []).filter((x) => x.id !== event.session.id)]);
        }
      }
    };
    const live = new SupportLive(supportLiveUrl(location), onEvent, onAuthLost);
    live.start();
    return () => live.stop();
  }, [api, load, onAuthLost]);

  useEffect(() => {
    setChat([]);
    if (selected) supportApi.chat(api, selected).then((lines) => setChat((c) => mergeChat(lines, c)), () => {});
  }, [api, selected]);

  const all = [...(sessions ?? []), ...(history ?? [])];
  const current = all.find((s) => s.id === selected) ?? null;

  return (
    <section class="support-view">
      <h2>Support sessions</h2>
      <ErrorText message={error} />
      <CreateSession api={api} technicians={technicians} onCreated={(s) => {
        setSessions((list) => applySessionEvent(list ?? [], { type: "session", session: s }));
        setSelected(s.id);
      }} />
      <h3>Open sessions</h3>
      <SessionTable id="support-list" api={api} rows={sessions} selected={selected} onSelect={setSelected}
        onError={setError} empty="No open support sessions." />
      {current ? <ChatPanel api={api} session={current} lines={chat} onLine={(l) => setChat((c) => mergeChat(c, [l]))} /> : null}
      <h3>History</h3>
      <SessionTable id="support-history" api={api} rows={history} selected={selected} onSelect={setSelected}
        onError={setError} empty="No finished sessions yet." />
    </section>
  );
}

function CreateSession({
  api,
  technicians,
  onCreated,
}: {
  api: ApiClient;
  technicians: Technician[];
  onCreated: (s: SupportSession) => void;
}) {
  const [name, setName] = useState("");
  const [note, setNote] = useState("");
  const [assign, setAssign] = useState("");
  const [expiry, setExpiry] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [created, setCreated] = useState<SupportSession | null>(null);

  async function submit(e: Event) {
    e.preventDefault();
    const minutes = optionalPositiveInt(expiry);
    if (minutes === "invalid") return setError("Expiry must be a whole number of minutes, or blank for none.");
    setBusy(true);
    setError(null);
    try {
      const s = await supportApi.create(api, {
        name: name.trim(),
        note: note.trim(),
        assigned_to: assign ? Number(assign) : null,
        expires_in_minutes: minutes,
      });
      setCreated(s);
      setName("");
      setNote("");
      onCreated(s);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form id="support-create" class="card form-grid" onSubmit={submit}>
      <label>
        Name <input id="support-name" maxLength={128} value={name} onInput={(e) => setName(e.currentTarget.value)} />
      </label>
      <label>
        Note <input id="support-note" maxLength={1024} value={note} onInput={(e) => setNote(e.currentTarget.value)} />
      </label>
      <label>
        For
        <select id="support-assign" value={assign} onChange={(e) => setAssign(e.currentTarget.value)}>
          <option value="">First technician to take it</option>
          {technicians.map((t) => (
            <option key={t.id} value={String(t.id)}>
              {t.username}
            </option>
          ))}
        </select>
      </label>
      <label>
        Expires after (minutes)
        <input id="support-expiry" inputMode="numeric" placeholder="never" value={expiry}
          onInput={(e) => setExpiry(e.currentTarget.value)} />
      </label>
      <button id="support-create-btn" type="submit" class="btn primary" disabled={busy}>
        Create session
      </button>
      <ErrorText message={error} />
      {created ? (
        <p id="support-created" class="support-created">
          Code <strong class="support-code">{created.code}</strong> <CopyButton text={created.code} label="Copy code" />{" "}
          <span class="mono">{created.link}</span> <CopyButton text={created.link} label="Copy link" />
        </p>
      ) : null}
    </form>
  );
}

function SessionTable({
  id,
  api,
  rows,
  selected,
  onSelect,
  onError,
  empty,
}: {
  id: string;
  api: ApiClient;
  rows: SupportSession[] | null;
  selected: string | null;
  onSelect: (id: string) => void;
  onError: (m: string) => void;
  empty: string;
}) {
  if (rows === null) return <p class="muted">Loading…</p>;
  if (!rows.length) return <p id={`${id}-empty`} class="muted">{empty}</p>;
  const live = id === "support-list";
  return (
    <table id={id} class="table support-table">
      <thead>
        <tr>
          <th>Name</th>
          <th>Code</th>
          <th>Status</th>
          <th>Technician</th>
          <th>Guest</th>
          <th>{live ? "Created" : "Duration"}</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {rows.map((s) => (
          <tr key={s.id} data-session={s.id} class={s.id === selected ? "selected" : undefined} onClick={() => onSelect(s.id)}>
            <td>{s.name || EMPTY}</td>
            <td class="mono">{s.code}</td>
            <td class={`status support-${s.status}`}>{statusLabel(s)}</td>
            <td>{s.technician || "first-come"}</td>
            <td>{s.guest.username || s.guest.hostname || EMPTY}</td>
            <td>
              {live ? formatDateTime(s.created_at) : formatDuration(s.duration_seconds)}
              {live && s.expires_at && s.status === "waiting" ? (
                <span class="muted"> (code expires {formatDateTime(s.expires_at)})</span>
              ) : null}
            </td>
            <td class="actions">
              {live ? <CopyButton text={s.link} label="Copy link" /> : null}
              {live ? (
                <button type="button" class="btn small connect" disabled={!canConnect(s)}
                  title={canConnect(s) ? "Open the remote screen" : "Waiting for the guest to allow access"}
                  onClick={(e) => {
                    e.stopPropagation();
                    window.open(viewerHref(s.desktop_target), "_blank", "noopener");
                  }}>
                  Connect
                </button>
              ) : null}
              {live ? (
                <button type="button" class="btn small danger end" onClick={(e) => {
                  e.stopPropagation();
                  supportApi.end(api, s.id).catch((err) => onError(errorMessage(err)));
                }}>
                  {s.status === "waiting" ? "Cancel" : "End"}
                </button>
              ) : null}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function ChatPanel({
  api,
  session,
  lines,
  onLine,
}: {
  api: ApiClient;
  session: SupportSession;
  lines: ChatLine[];
  onLine: (l: ChatLine) => void;
}) {
  const [text, setText] = useState("");
  const [error, setError] = useState<string | null>(null);
  const open = ["waiting", "joined", "active"].includes(session.status);

  async function send(e: Event) {
    e.preventDefault();
    const t = text.trim();
    if (!t) return;
    try {
      onLine(await supportApi.say(api, session.id, t));
      setText("");
      setError(null);
    } catch (err) {
      setError(errorMessage(err));
    }
  }

  return (
    <section id="support-chat" class="card support-chat" aria-label="Chat">
      <h3>
        Chat: {session.name || session.code} <span class="muted">({statusLabel(session)})</span>
      </h3>
      <ol class="chat-lines">
        {lines.map((l) => (
          <li key={l.id} class={`chat-line ${l.sender}`}>
            <span class="chat-author">{l.author}</span> <span class="chat-text">{l.text}</span>{" "}
            <span class="muted">{formatDateTime(l.at)}</span>
          </li>
        ))}
      </ol>
      {open ? (
        <form class="chat-form" onSubmit={send}>
          <input id="support-chat-input" maxLength={4000} value={text} placeholder="Message to the user"
            onInput={(e) => setText(e.currentTarget.value)} />
          <button id="support-chat-send" type="submit" class="btn">
            Send
          </button>
        </form>
      ) : null}
      <ErrorText message={error} />
    </section>
  );
}
