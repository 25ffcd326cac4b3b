import { useState } from "preact/hooks";
import type { ApiClient } from "../api";
import type { User } from "../types";
import { ErrorText, errorMessage } from "./common";

export function AccountView({
  api,
  user,
  onPasswordChanged,
}: {
  api: ApiClient;
  user: User;
  onPasswordChanged: () => void;
}) {
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: Event) {
    e.preventDefault();
    if (busy) return;
    if (!current || !next) return setError("Enter your current and new password.");
    if (current === next) return setError("The new password must differ from the current one.");
    setError(null);
    setBusy(true);
    try {
      await api.changePassword(current, next);
      // The server has revoked this session; the user signs in with the new password.
      onPasswordChanged();
    } catch (err) {
      setError(errorMessage(err));
      setBusy(false);
    }
  }

  return (
    <section class="page">
      <h2>Account</h2>
      <div class="card">
        <dl class="fields">
          <div class="field">
            <dt>Username</dt>
            <dd>{user.username}</dd>
          </div>
          <div class="field">
            <dt>Role</dt>
            <dd>{user.role}</dd>
          </div>
          <div class="field">
            <dt>Two-factor</dt>
            <dd>{user.mfa_enabled ? "enabled" : "not enabled"}</dd>
          </div>
        </dl>
      </div>
      <form class="card form-grid" onSubmit={submit}>
        <h3>Change password</h3>
        <p class="muted span">You will be signed out everywhere and must sign in again with the new password.</p>
        <label for="current-password">Current password</label>
        <input
          id="current-password"
          type="password"
          autocomplete="current-password"
          value={current}
          onInput={(e) => setCurrent(e.currentTarget.value)}
        />
        <label for="new-password">New password</label>
        <input
          id="new-password"
          type="password"
          autocomplete="new-password"
          value={next}
          onInput={(e) => setNext(e.currentTarget.value)}
        />
        <div class="form-actions">
          <ErrorText id="password-error" message={error} />
          <button id="password-submit" type="submit" class="btn primary" disabled={busy}>
            {busy ? "Changing…" : "Change password"}
          </button>
        </div>
      </form>
    </section>
  );
}
