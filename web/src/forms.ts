// Pure parsing of form input into API request values.

// Blank means "no limit" to the API (null); anything else must be a positive integer.
export function optionalPositiveInt(raw: string): number | null | "invalid" {
  const s = raw.trim();
  if (!s) return null;
  if (!/^\d+$/.test(s)) return "invalid";
  const n = Number(s);
  return n > 0 && Number.isSafeInteger(n) ? n : "invalid";
}

// People paste codes as "123 456" or with stray spaces from authenticator apps.
export function normalizeTotpCode(raw: string): string {
  return raw.replace(/[\s-]/g, "");
}

export function isPlausibleTotpCode(code: string): boolean {
  return /^\d{6,8}$/.test(code);
}

// With the server's certificate fingerprint the agent pins it from the first byte,
// instead of trusting whatever certificate it sees at enrollment.
export function enrollCommand(origin: string, token: string, fingerprint = ""): string {
  const pin = /^[0-9a-f]{64}$/.test(fingerprint) ? ` --fingerprint ${fingerprint}` : "";
  return `guruconnect agent enroll --server ${origin} --token ${token}${pin}`;
}

// Only data: image URIs are expected from the server for the TOTP QR code;
// anything else is not rendered rather than trusted as an image source.
export function safeImageDataUri(uri: unknown): string | null {
  return typeof uri === "string" && /^data:image\/[a-z0-9.+-]+[;,]/i.test(uri) ? uri : null;
}

export const MAX_ATTRIBUTE_KEY = 64;
export const MAX_ATTRIBUTE_VALUE = 1024;
export const MAX_ATTRIBUTES = 50;

// Checks one custom attribute edit against the server's limits before sending it.
// Returns an error message, or null when it may be saved.
export function attributeError(key: string, value: string, existing: Readonly<Record<string, string>>): string | null {
  if (!key.trim()) return "Enter an attribute name.";
  if (key.length > MAX_ATTRIBUTE_KEY) return `Attribute names are at most ${MAX_ATTRIBUTE_KEY} characters.`;
  if (value.length > MAX_ATTRIBUTE_VALUE) return `Values are at most ${MAX_ATTRIBUTE_VALUE} characters.`;
  if (value === "") return "Enter a value (use Delete to remove an attribute).";
  if (!Object.prototype.hasOwnProperty.call(existing, key) && Object.keys(existing).length >= MAX_ATTRIBUTES) {
    return `A machine can have at most ${MAX_ATTRIBUTES} attributes.`;
  }
  return null;
}

// Audit details are free-form JSON from the server; show them as one line of text.
// Changes shaped {field: {before, after}} read as "field: before → after".
export function auditDetailsText(details: unknown): string {
  if (!details || typeof details !== "object" || Array.isArray(details)) return details == null ? "" : short(details);
  const d = details as Record<string, unknown>;
  const keys = Object.keys(d);
  if (keys.length && keys.every((k) => k === "before" || k === "after")) return `${short(d.before)} → ${short(d.after)}`;
  const parts: string[] = [];
  for (const [k, v] of Object.entries(d)) {
    if (v && typeof v === "object" && !Array.isArray(v) && ("before" in v || "after" in v)) {
      const c = v as { before?: unknown; after?: unknown };
      parts.push(`${k}: ${short(c.before)} → ${short(c.after)}`);
    } else {
      parts.push(`${k}: ${short(v)}`);
    }
  }
  return parts.join("; ");
}

function short(v: unknown): string {
  if (v === null || v === undefined) return "∅";
  const s = typeof v === "string" ? v : JSON.stringify(v);
  return s.length > 200 ? `${s.slice(0, 199)}…` : s;
}
