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
