import { useCallback, useEffect, useState } from "preact/hooks";
import type { ApiClient } from "../api";
import type { Session } from "../types";
import { viewRoute } from "../viewer/route";
import { Viewer } from "../viewer/Viewer";
import { Dashboard } from "./Dashboard";
import { LoginView } from "./LoginView";
import { TotpView } from "./TotpView";

type Phase = { kind: "loading" } | { kind: "login"; notice: string | null } | { kind: "session"; session: Session };

export function App({ api }: { api: ApiClient }) {
  const [phase, setPhase] = useState<Phase>({ kind: "loading" });
  // /console#/view/<machine_id> is a remote-control viewer tab, without the dashboard chrome.
  const [viewId, setViewId] = useState<string | null>(() => viewRoute(location.hash));

  useEffect(() => {
    const onHash = () => setViewId(viewRoute(location.hash));
    window.addEventListener("hashchange", onHash);
    return () => window.removeEventListener("hashchange", onHash);
  }, []);

  const toLogin = useCallback(
    (notice: string | null = null) => {
      api.setCsrfToken(null);
      setPhase({ kind: "login", notice });
    },
    [api],
  );

  useEffect(() => {
    // Any API call that finds the session gone sends the user back to sign in.
    api.onUnauthorized = () => toLogin("Your session has ended. Please sign in again.");
    let cancelled = false;
    api.getSession().then(
      (s) => {
        if (!cancelled) setPhase(s ? { kind: "session", session: s } : { kind: "login", notice: null });
      },
      () => {
        if (!cancelled) setPhase({ kind: "login", notice: "Could not reach the server. Try signing in again." });
      },
    );
    return () => {
      cancelled = true;
      api.onUnauthorized = null;
    };
  }, [api, toLogin]);

  const onSession = useCallback((s: Session) => setPhase({ kind: "session", session: s }), []);

  const signOut = useCallback(async () => {
    try {
      await api.logout();
    } catch {
      // The cookie may already be invalid; the user still ends up signed out here.
    }
    toLogin(null);
  }, [api, toLogin]);

  switch (phase.kind) {
    case "loading":
      return <p class="boot">Loading GuruConnect…</p>;
    case "login":
      return <LoginView api={api} notice={phase.notice} onSession={onSession} />;
    case "session": {
      const s = phase.session;
      if (s.state === "mfa_required" || s.state === "mfa_enroll") {
        return (
          <TotpView
            key={s.state}
            api={api}
            mode={s.state === "mfa_enroll" ? "enroll" : "verify"}
            username={s.user.username}
            onSession={onSession}
            onCancel={signOut}
          />
        );
      }
      if (viewId) {
        return (
          <Viewer
            key={viewId}
            api={api}
            machineId={viewId}
            onAuthLost={() => toLogin("Your session has ended. Please sign in again.")}
          />
        );
      }
      return (
        <Dashboard
          api={api}
          user={s.user}
          onSignOut={signOut}
          onSessionLost={() => toLogin("Your session has ended. Please sign in again.")}
          onPasswordChanged={() => toLogin("Password changed. Sign in with your new password.")}
        />
      );
    }
  }
}
