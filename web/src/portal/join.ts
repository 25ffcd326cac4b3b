// Pure helpers of the portal page (tested in web/test/portal.test.ts).

export interface JoinAnswer {
  technician: string;
  session_name: string;
  downloads: { platform: string; label: string; url: string; filename: string }[];
}

// "123 456", "123-456" and " 123456 " all mean 123456; anything else is not a code.
export function cleanCode(raw: string): string | null {
  const digits = raw.replace(/[\s-]/g, "");
  return /^[0-9]{6}$/.test(digits) ? digits : null;
}

export function joinMessage(status: number, body: unknown): string {
  const detail =
    body && typeof body === "object" && typeof (body as { detail?: unknown }).detail === "string"
      ? (body as { detail: string }).detail
      : "";
  if (status === 429) return detail ? `${capitalize(detail)}.` : "Too many attempts. Please wait and try again.";
  if (status === 404) return detail || "That code is not valid.";
  if (status === 409) return detail || "This support session is already in progress.";
  if (status === 422) return "The code is six digits, for example 123 456.";
  return detail || `Something went wrong (HTTP ${status}). Please try again.`;
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
