import { useEffect, useState } from "preact/hooks";
import type { ApiClient } from "../api";
import { isPlausibleTotpCode, normalizeTotpCode, safeImageDataUri } from "../forms";
import type { Session, TotpEnrollment } from "../types";
import { ErrorText, errorMessage } from "./common";

// Handles both second-factor states: "verify" for users who already have TOTP,
// "enroll" for users the server requires to set it up before anything else.
export function TotpView({
  api,
  mode,
  username,
  onSession,
  onCancel,
}: {
  api: ApiClient;
  mode: "verify" | "enroll";
  username: string;
  onSession: (s: Session) => void;
  onCancel: () => void;
}) {
  const [code, setCode] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [enrollment, setEnrollment] = useState<TotpEnrollment | null>(null);

  useEffect(() => {
    if (mode !== "enroll") return;
    let cancelled = false;
    api.enrollTotp().then(
      (e) => {
        if (!cancelled) setEnrollment(e);
      },
      (err) => {
        if (!cancelled) setError(errorMessage(err));
      },
    );
    return () => {
      cancelled = true;
    };
  }, [api, mode]);

  async function submit(e: Event) {
    e.preventDefault();
    if (busy) return;
    const clean = normalizeTotpCode(code);
    if (!isPlausibleTotpCode(clean)) {
      setError("Enter the 6-digit code from your authenticator app.");
      return;
    }
    setError(null);
    setBusy(true);
    try {
      const s = mode === "enroll" ? await api.confirmTotp(clean) : await api.verifyTotp(clean);
      onSession(s);
    } catch (err) {
      setError(errorMessage(err));
      setCode("");
      setBusy(false);
    }
  }

  const qr = enrollment ? safeImageDataUri(enrollment.qr_svg_data_uri) : null;

  return (
    <main class="auth-screen">
      <form class="auth-card" onSubmit={submit}>
        <h1 class="brand">GuruConnect</h1>
        <h2>{mode === "enroll" ? "Set up two-factor authentication" : "Two-factor authentication"}</h2>
        <p class="muted">
          Signed in as <strong>{username}</strong>
        </p>
        {mode === "enroll" ? (
          <div class="totp-enroll">
            <p>Scan this QR code with your authenticator app, or enter the secret manually, then type the code it shows.</p>
            {qr ? <img id="totp-qr" class="qr" src={qr} alt="TOTP QR code" width={200} height={200} /> : null}
            {enrollment ? (
              <p>
                Secret: <code id="totp-secret" class="secret">{enrollment.secret}</code>
              </p>
            ) : (
              <p class="muted">Generating secret…</p>
            )}
          </div>
        ) : (
          <p>Enter the code from your authenticator app.</p>
        )}
        <label for="totp-code">Code</label>
        <input
          id="totp-code"
          name="code"
          inputMode="numeric"
          autocomplete="one-time-code"
          pattern="[0-9 ]*"
          maxLength={10}
          required
          autofocus
          value={code}
          onInput={(e) => setCode(e.currentTarget.value)}
        />
        <ErrorText id="totp-error" message={error} />
        <button
          id="totp-submit"
          type="submit"
          class="btn primary"
          disabled={busy || (mode === "enroll" && !enrollment)}
        >
          {busy ? "Checking…" : mode === "enroll" ? "Confirm" : "Verify"}
        </button>
        <button type="button" class="btn link" onClick={onCancel}>
          Sign in as someone else
        </button>
      </form>
    </main>
  );
}
