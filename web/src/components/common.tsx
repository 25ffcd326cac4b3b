// Small shared building blocks. All values are rendered as text children so
// agent-controlled strings can never become markup.
import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { ApiError } from "../api";
import { EMPTY } from "../format";

export function errorMessage(e: unknown): string {
  if (e instanceof ApiError) return e.message;
  if (e instanceof Error && e.message) return e.message;
  return "Something went wrong.";
}

export function ErrorText({ id, message }: { id?: string; message: string | null }) {
  return (
    <p id={id} class="error" role="alert" hidden={!message}>
      {message ?? ""}
    </p>
  );
}

export function Field({ label, field, value }: { label: string; field: string; value: ComponentChildren }) {
  const empty = value === null || value === undefined || value === "" || value === EMPTY;
  return (
    <div class="field">
      <dt>{label}</dt>
      <dd data-field={field} class={empty ? "muted" : undefined}>
        {empty ? EMPTY : value}
      </dd>
    </div>
  );
}

// Clipboard access needs a secure context; when it is missing the value is
// still selectable on screen, so the button simply does not appear.
export function CopyButton({ text, label = "Copy" }: { text: string; label?: string }) {
  const [copied, setCopied] = useState(false);
  if (typeof navigator === "undefined" || !navigator.clipboard) return null;
  return (
    <button
      type="button"
      class="btn small"
      onClick={() => {
        navigator.clipboard.writeText(text).then(
          () => {
            setCopied(true);
            setTimeout(() => setCopied(false), 1500);
          },
          () => setCopied(false),
        );
      }}
    >
      {copied ? "Copied" : label}
    </button>
  );
}
