import { useCallback, useEffect, useState } from "preact/hooks";
import type { ApiClient } from "../api";
import { EMPTY, formatDateTime, toDate } from "../format";
import { enrollCommand, optionalPositiveInt } from "../forms";
import type { EnrollmentToken, NewEnrollmentToken } from "../types";
import { CopyButton, ErrorText, errorMessage } from "./common";

export function tokenStatus(t: EnrollmentToken, now: number): "active" | "revoked" | "expired" | "used up" {
  if (t.revoked) return "revoked";
  const exp = toDate(t.expires_at);
  if (exp && exp.getTime() <= now) return "expired";
  if (t.max_uses !== null && t.max_uses !== undefined && t.uses >= t.max_uses) return "used up";
  return "active";
}

export function EnrollmentView({ api, now }: { api: ApiClient; now: number }) {
  const [tokens, setTokens] = useState<EnrollmentToken[] | null>(null);
  const [listError, setListError] = useState<string | null>(null);
  const [company, setCompany] = useState("");
  const [site, setSite] = useState("");
  const [note, setNote] = useState("");
  const [expires, setExpires] = useState("24");
  const [maxUses, setMaxUses] = useState("");
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<NewEnrollmentToken | null>(null);

  const load = useCallback(() => {
    api.listEnrollmentTokens().then(
      (t) => {
        setTokens(t);
        setListError(null);
      },
      (err) => setListError(errorMessage(err)),
    );
  }, [api]);

  useEffect(load, [load]);

  async function create(e: Event) {
    e.preventDefault();
    if (busy) return;
    const expiresIn = optionalPositiveInt(expires);
    const uses = optionalPositiveInt(maxUses);
    if (expiresIn === "invalid") return setFormError("Expiry must be a whole number of hours, or blank for never.");
    if (uses === "invalid") return setFormError("Max uses must be a whole number, or blank for unlimited.");
    setFormError(null);
    setBusy(true);
    try {
      const t = await api.createEnrollmentToken({
        company: company.trim(),
        site: site.trim(),
        note: note.trim(),
        expires_in_hours: expiresIn,
        max_uses: uses,
      });
      setCreated(t);
      setNote("");
      load();
    } catch (err) {
      setFormError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  async function revoke(t: EnrollmentToken) {
    try {
      await api.revokeEnrollmentToken(t.id);
      load();
    } catch (err) {
      setListError(errorMessage(err));
    }
  }

  const command = created ? enrollCommand(location.origin, created.token, created.server_fingerprint) : "";

  return (
    <section class="page">
      <h2>Enrollment tokens</h2>
      <p class="muted">Agents use a token once to register with this server. Tokens are shown only when created.</p>

      <form class="card form-grid" onSubmit={create}>
        <h3>New token</h3>
        <label for="enroll-company">Company</label>
        <input id="enroll-company" value={company} onInput={(e) => setCompany(e.currentTarget.value)} />
        <label for="enroll-site">Site</label>
        <input id="enroll-site" value={site} onInput={(e) => setSite(e.currentTarget.value)} />
        <label for="enroll-note">Note</label>
        <input id="enroll-note" value={note} onInput={(e) => setNote(e.currentTarget.value)} />
        <label for="enroll-expires">Expires in (hours)</label>
        <input
          id="enroll-expires"
          type="number"
          min={1}
          step={1}
          placeholder="never"
          value={expires}
          onInput={(e) => setExpires(e.currentTarget.value)}
        />
        <label for="enroll-max-uses">Max uses</label>
        <input
          id="enroll-max-uses"
          type="number"
          min={1}
          step={1}
          placeholder="unlimited"
          value={maxUses}
          onInput={(e) => setMaxUses(e.currentTarget.value)}
        />
        <div class="form-actions">
          <ErrorText message={formError} />
          <button id="enroll-create" type="submit" class="btn primary" disabled={busy}>
            {busy ? "Creating…" : "Create token"}
          </button>
        </div>
      </form>

      {created ? (
        <div class="card secret-box" role="status">
          <p>
            <strong>Copy this token now.</strong> It will not be shown again.
          </p>
          <p>
            <code id="enroll-new-token" class="secret">{created.token}</code> <CopyButton text={created.token} />
          </p>
          <p>Run on the machine to enroll:</p>
          <pre id="enroll-command" class="command">{command}</pre>
          <CopyButton text={command} label="Copy command" />{" "}
          <button type="button" class="btn small" onClick={() => setCreated(null)}>
            Done
          </button>
        </div>
      ) : null}

      <ErrorText message={listError} />
      <div class="table-wrap">
        <table class="grid">
          <thead>
            <tr>
              <th>Company</th>
              <th>Site</th>
              <th>Note</th>
              <th>Created</th>
              <th>Expires</th>
              <th class="num">Uses</th>
              <th>Status</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {(tokens ?? []).map((t) => {
              const status = tokenStatus(t, now);
              return (
                <tr key={String(t.id)} data-testid="enrollment-token-row" data-token-id={String(t.id)}>
                  <td>{t.company || EMPTY}</td>
                  <td>{t.site || EMPTY}</td>
                  <td>{t.note || EMPTY}</td>
                  <td>{formatDateTime(t.created_at)}</td>
                  <td>{t.expires_at ? formatDateTime(t.expires_at) : "never"}</td>
                  <td class="num">
                    {t.uses}
                    {t.max_uses !== null && t.max_uses !== undefined ? ` / ${t.max_uses}` : ""}
                  </td>
                  <td>
                    <span class={`pill ${status === "active" ? "ok" : "off"}`}>{status}</span>
                  </td>
                  <td class="actions">
                    {!t.revoked ? (
                      <button type="button" class="btn small danger" data-testid="revoke-token" onClick={() => revoke(t)}>
                        Revoke
                      </button>
                    ) : null}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
        {tokens && tokens.length === 0 ? <p class="empty muted">No enrollment tokens yet.</p> : null}
        {!tokens && !listError ? <p class="empty muted">Loading…</p> : null}
      </div>
    </section>
  );
}
