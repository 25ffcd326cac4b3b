// "Paste as keystrokes": type a text on the remote keyboard (login screens, consoles
// where pasting does not work). Speed is adjustable, long texts ask first, Cancel stops.
import { useEffect, useRef, useState } from "preact/hooks";
import { CONFIRM_TYPE_CHARS, type ClipboardSync, type TypingStatus } from "./clipboard";
import { MAX_TYPE_CHARS } from "./clipboardMessages";

// Milliseconds between characters, by name.
export const TYPING_SPEEDS: readonly { label: string; interval: number }[] = [
  { label: "Slow (10 characters/s)", interval: 100 },
  { label: "Normal (25 characters/s)", interval: 40 },
  { label: "Fast (50 characters/s)", interval: 20 },
  { label: "Very fast (200 characters/s)", interval: 5 },
];

export function characters(text: string): number {
  return [...text].length;
}

export function typingSummary(t: TypingStatus | null): string {
  if (!t) return "";
  const skipped = t.skipped ? `, ${t.skipped} could not be typed` : "";
  switch (t.state) {
    case "typing":
      return `Typing… ${t.typed} of ${t.total}`;
    case "done":
      return `Typed ${t.typed} characters${skipped}.`;
    case "cancelled":
      return `Cancelled after ${t.typed} of ${t.total} characters.`;
    case "failed":
      return `Typing failed after ${t.typed} of ${t.total} characters.`;
  }
}

export function PasteDialog({ sync, typing, onClose }: { sync: ClipboardSync; typing: TypingStatus | null; onClose: () => void }) {
  const [text, setText] = useState("");
  const [interval, setSpeed] = useState(40);
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState("");
  const [job, setJob] = useState<number | null>(null);
  const area = useRef<HTMLTextAreaElement>(null);

  useEffect(() => {
    area.current?.focus();
    // Prefill from the local clipboard when the browser allows it; else the user pastes.
    navigator.clipboard?.readText?.().then(
      (t) => setText((current) => current || t),
      () => {},
    );
  }, []);

  const mine = typing && typing.job === job ? typing : null;
  const running = mine?.state === "typing";
  const count = characters(text);

  const start = () => {
    setError("");
    if (!count) return setError("Nothing to type.");
    if (count > MAX_TYPE_CHARS) return setError(`At most ${MAX_TYPE_CHARS} characters can be typed at once.`);
    if (count > CONFIRM_TYPE_CHARS && !confirming) return setConfirming(true);
    setConfirming(false);
    const started = sync.typeText(text, interval);
    if (started === null) return setError("Not connected: nothing was typed.");
    setJob(started);
  };

  const seconds = Math.ceil((count * interval) / 1000);
  return (
    <div id="paste-dialog" class="viewer-dialog" role="dialog" aria-modal="true" aria-labelledby="paste-title">
      <div class="viewer-dialog-box">
        <h2 id="paste-title">Paste as keystrokes</h2>
        <p class="muted">The text is typed on the remote keyboard, one key at a time. It is not recorded anywhere: only its length is audited.</p>
        <textarea id="paste-text" ref={area} rows={6} value={text} disabled={running} onInput={(e) => {
          setText(e.currentTarget.value);
          setConfirming(false);
        }} />
        <div class="viewer-dialog-row">
          <label class="viewer-field">
            <span>Speed</span>
            <select id="paste-speed" value={String(interval)} disabled={running} onChange={(e) => setSpeed(Number(e.currentTarget.value))}>
              {TYPING_SPEEDS.map((s) => (
                <option key={s.interval} value={String(s.interval)}>
                  {s.label}
                </option>
              ))}
            </select>
          </label>
          <span class="muted">{count} characters</span>
        </div>
        {confirming ? (
          <p id="paste-confirm-text" class="viewer-dialog-warn">
            Type {count} characters on the remote machine? This takes about {seconds} s.
          </p>
        ) : null}
        {mine ? (
          <div class="viewer-dialog-row">
            <progress id="paste-progress" value={mine.typed} max={Math.max(1, mine.total)} />
            <span id="paste-status" data-state={mine.state}>
              {typingSummary(mine)}
            </span>
          </div>
        ) : null}
        {error ? (
          <p id="paste-error" class="viewer-dialog-warn" role="alert">
            {error}
          </p>
        ) : null}
        <div class="viewer-dialog-row end">
          {running ? (
            <button id="paste-cancel" type="button" class="btn primary" onClick={() => sync.cancelTyping()}>
              Cancel
            </button>
          ) : (
            <button id={confirming ? "paste-confirm" : "paste-type"} type="button" class="btn primary" onClick={start}>
              {confirming ? `Type ${count} characters` : "Type"}
            </button>
          )}
          <button id="paste-close" type="button" class="btn ghost" onClick={() => {
            if (running) sync.cancelTyping();
            onClose();
          }}>
            Close
          </button>
        </div>
      </div>
    </div>
  );
}
