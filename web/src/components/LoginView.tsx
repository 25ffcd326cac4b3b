import { useState } from "preact/hooks";
import type { ApiClient } from "../api";
import type { Session } from "../types";
import { ErrorText, errorMessage } from "./common";

export function LoginView({
  api,
  notice,
  onSession,
}: {
  api: ApiClient;
  notice?: string | null;
  onSession: (s: Session) => void;
}) {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: Event) {
    e.preventDefault();
    if (busy) return;
    setError(null);
    setBusy(true);
    try {
      const s = await api.login(username.trim(), password);
      setPassword("");
      onSession(s);
    } catch (err) {
      setError(errorMessage(err));
      setBusy(false);
    }
  }

  return (
    <main class="auth-screen">
      <form class="auth-card" onSubmit={submit} autocomplete="on">
        <h1 class="brand">GuruConnect</h1>
        <h2>Sign in</h2>
        {notice ? <p class="notice">{notice}</p> : null}
        <label for="username">Username</label>
        <input
          id="username"
          name="username"
          autocomplete="username"
          required
          autofocus
          value={username}
          onInput={(e) => setUsername(e.currentTarget.value)}
        />
        <label for="password">Password</label>
        <input
          id="password"
          name="password"
          type="password"
          autocomplete="current-password"
          required
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
        <ErrorText id="login-error" message={error} />
        <button id="login-submit" type="submit" class="btn primary" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </main>
  );
}
