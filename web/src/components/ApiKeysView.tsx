import { useCallback, useEffect, useState } from "preact/hooks";
import type { ApiClient } from "../api";
import { EMPTY, formatDateTime, toDate } from "../format";
import { optionalPositiveInt } from "../forms";
import type { ApiKey, NewApiKey } from "../types";
import { CopyButton, ErrorText, errorMessage } from "./common";

function keyStatus(k: ApiKey, now: number): "active" | "revoked" | "expired" {
  if (k.revoked) return "revoked";
  const exp = toDate(k.expires_at);
  return exp && exp.getTime() <= now ? "expired" : "active";
}

export function ApiKeysView({ api, now }: { api: ApiClient; now: number }) {
  const [keys, setKeys] = useState<ApiKey[] | null>(null);
  const [scopes, setScopes] = useState<string[]>([]);
  const [listError, setListError] = useState<string | null>(null);
  const [name, setName] = useState("");
  const [chosen, setChosen] = useState<ReadonlySet<string>>(new Set());
  const [expires, setExpires] = useState("90");
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<NewApiKey | null>(null);

  const load = useCallback(() => {
    api.listApiKeys().then(
      (k) => {
        setKeys(k);
        setListError(null);
      },
      (err) => setListError(errorMessage(err)),
    );
  }, [api]);

  useEffect(load, [load]);
  useEffect(() => {
    api.listScopes().then(setScopes, (err) => setFormError(errorMessage(err)));
  }, [api]);

  function toggle(scope: string, on: boolean) {
    setChosen((prev) => {
      const next = new Set(prev);
      if (on) next.add(scope);
      else next.delete(scope);
      return next;
    });
  }

  async function create(e: Event) {
    e.preventDefault();
    if (busy) return;
    const days = optionalPositiveInt(expires);
    if (!name.trim()) return setFormError("Give the key a name so you can recognise it later.");
    if (days === "invalid") return setFormError("Expiry must be a whole number of days, or blank for never.");
    if (chosen.size === 0) return setFormError("Choose at least one scope.");
    setFormError(null);
    setBusy(true);
    try {
      // Keep the server's scope order so the request is stable and readable.
      const k = await api.createApiKey({
        name: name.trim(),
        scopes: scopes.filter((s) => chosen.has(s)),
        expires_in_days: days,
      });
      setCreated(k);
      setName("");
      setChosen(new Set());
      load();
    } catch (err) {
      setFormError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  async function revoke(k: ApiKey) {
    try {
      await api.revokeApiKey(k.id);
      load();
    } catch (err) {
      setListError(errorMessage(err));
    }
  }

  return (
    <section class="page">
      <h2>API keys</h2>
      <p class="muted">Keys act as you, limited to the scopes you choose. A key is shown only when created.</p>

      <form class="card form-grid" onSubmit={create}>
        <h3>New key</h3>
        <label for="key-name">Name</label>
        <input id="key-name" value={name} onInput={(e) => setName(e.currentTarget.value)} />
        <span class="label">Scopes</span>
        <div class="scopes" role="group" aria-label="Scopes">
          {scopes.map((s) => (
            <label key={s} class="check">
              <input
                type="checkbox"
                name="scopes"
                value={s}
                data-scope={s}
                checked={chosen.has(s)}
                onChange={(e) => toggle(s, e.currentTarget.checked)}
              />{" "}
              <span class="mono">{s}</span>
            </label>
          ))}
          {scopes.length === 0 ? <span class="muted">No scopes available.</span> : null}
        </div>
        <label for="key-expires">Expires in (days)</label>
        <input
          id="key-expires"
          type="number"
          min={1}
          step={1}
          placeholder="never"
          value={expires}
          onInput={(e) => setExpires(e.currentTarget.value)}
        />
        <div class="form-actions">
          <ErrorText message={formError} />
          <button id="key-create" type="submit" class="btn primary" disabled={busy}>
            {busy ? "Creating…" : "Create key"}
          </button>
        </div>
      </form>

      {created ? (
        <div class="card secret-box" role="status">
          <p>
            <strong>Copy this key now.</strong> It will not be shown again.
          </p>
          <p>
            <code id="new-api-key" class="secret">{created.key}</code> <CopyButton text={created.key} />
          </p>
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
              <th>Name</th>
              <th>Prefix</th>
              <th>Scopes</th>
              <th>Created</th>
              <th>Expires</th>
              <th>Last used</th>
              <th>Status</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {(keys ?? []).map((k) => {
              const status = keyStatus(k, now);
              return (
                <tr key={String(k.id)} data-testid="api-key-row" data-key-id={String(k.id)}>
                  <td>{k.name || EMPTY}</td>
                  <td class="mono">{k.prefix || EMPTY}</td>
                  <td class="mono">{(k.scopes ?? []).join(" ") || EMPTY}</td>
                  <td>{formatDateTime(k.created_at)}</td>
                  <td>{k.expires_at ? formatDateTime(k.expires_at) : "never"}</td>
                  <td>{k.last_used_at ? formatDateTime(k.last_used_at) : "never"}</td>
                  <td>
                    <span class={`pill ${status === "active" ? "ok" : "off"}`}>{status}</span>
                  </td>
                  <td class="actions">
                    {!k.revoked ? (
                      <button type="button" class="btn small danger" data-testid="revoke-key" onClick={() => revoke(k)}>
                        Revoke
                      </button>
                    ) : null}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
        {keys && keys.length === 0 ? <p class="empty muted">No API keys yet.</p> : null}
        {!keys && !listError ? <p class="empty muted">Loading…</p> : null}
      </div>
    </section>
  );
}
