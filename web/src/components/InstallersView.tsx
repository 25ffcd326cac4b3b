import { useCallback, useEffect, useState } from "preact/hooks";
import type { ApiClient } from "../api";
import { EMPTY, formatDateTime } from "../format";
import {
  DEVICE_TYPES,
  downloadPath,
  type Installer,
  type InstallerForm,
  installerBody,
  installersApi,
  installerStatus,
} from "../installers";
import { CopyButton, ErrorText, errorMessage } from "./common";

const EMPTY_FORM: InstallerForm = {
  name_mode: "machine",
  name: "",
  company: "",
  site: "",
  department: "",
  device_type: "Workstation",
  tag: "",
};

// The first Windows download of a release builds the cached bases (minutes); later ones
// only bake the config (seconds).
const WINDOWS_NOTE =
  "Windows 10/11 and Server 2016+ x64. The EXE accepts --site, --tag, --name, --department; " +
  'the MSI the properties SITE, TAG, NAME, DEPARTMENT, DEVICE_TYPE (msiexec /i guruconnect-agent.msi /qn SITE="New York").';

function Artifacts({ api, installer }: { api: ApiClient; installer: Installer }) {
  const [to, setTo] = useState("");
  const [mailState, setMailState] = useState<string | null>(null);
  const [mailError, setMailError] = useState<string | null>(null);
  const [sending, setSending] = useState(false);

  async function send(e: Event) {
    e.preventDefault();
    if (sending) return;
    setSending(true);
    setMailError(null);
    setMailState(null);
    try {
      const r = await installersApi.email(api, installer.id, to.trim());
      setMailState(`Link sent to ${r.sent_to}.`);
    } catch (err) {
      setMailError(errorMessage(err));
    } finally {
      setSending(false);
    }
  }

  return (
    <div class="card" data-testid="installer-artifacts">
      <h3>Installer for {installer.company}</h3>
      <p class="actions">
        <a class="btn primary" id="installer-download-sh" href={downloadPath(installer.id, "linux.sh")} download>
          Download Linux installer (.sh)
        </a>{" "}
        <a class="btn" id="installer-download-deb" href={downloadPath(installer.id, "linux.deb")} download>
          Download .deb
        </a>{" "}
        <a class="btn" id="installer-download-exe" href={downloadPath(installer.id, "windows.exe")} download>
          Download EXE
        </a>{" "}
        <a class="btn" id="installer-download-msi" href={downloadPath(installer.id, "windows.msi")} download>
          Download MSI
        </a>
      </p>
      <p class="muted">{WINDOWS_NOTE}</p>
      <p>Installer URL for deployment scripts (revocable):</p>
      <pre id="installer-url" class="command">{installer.linux_sh_url}</pre>
      <CopyButton text={installer.linux_sh_url} label="Copy installer URL" />
      <pre class="command">{`curl -fsSLo guruconnect-install.sh '${installer.linux_sh_url}' && sudo sh guruconnect-install.sh`}</pre>
      <pre class="command" id="installer-msi-command">{`Invoke-WebRequest '${installer.windows_msi_url}' -OutFile guruconnect-agent.msi; msiexec /i guruconnect-agent.msi /qn`}</pre>
      <form class="form-grid" onSubmit={send}>
        <label for="installer-email">Send link via email</label>
        <input id="installer-email" type="email" value={to} onInput={(e) => setTo(e.currentTarget.value)} />
        <div class="form-actions">
          <ErrorText message={mailError} />
          {mailState ? <span role="status">{mailState}</span> : null}
          <button id="installer-send" type="submit" class="btn" disabled={sending || !to.trim()}>
            {sending ? "Sending…" : "Send link"}
          </button>
        </div>
      </form>
    </div>
  );
}

export function InstallersView({ api, now }: { api: ApiClient; now: number }) {
  const [installers, setInstallers] = useState<Installer[] | null>(null);
  const [listError, setListError] = useState<string | null>(null);
  const [form, setForm] = useState<InstallerForm>(EMPTY_FORM);
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [current, setCurrent] = useState<Installer | null>(null);

  const load = useCallback(() => {
    installersApi.list(api).then(
      (list) => {
        setInstallers(list);
        setListError(null);
      },
      (err) => setListError(errorMessage(err)),
    );
  }, [api]);
  useEffect(load, [load]);

  const set = (field: keyof InstallerForm) => (e: { currentTarget: { value: string } }) =>
    setForm({ ...form, [field]: e.currentTarget.value });

  async function build(e: Event) {
    e.preventDefault();
    if (busy) return;
    const body = installerBody(form);
    if (typeof body === "string") return setFormError(body);
    setFormError(null);
    setBusy(true);
    try {
      setCurrent(await installersApi.create(api, body));
      load();
    } catch (err) {
      setFormError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  async function revoke(i: Installer) {
    try {
      await installersApi.revoke(api, i.id);
      if (current?.id === i.id) setCurrent(null);
      load();
    } catch (err) {
      setListError(errorMessage(err));
    }
  }

  return (
    <section class="page" id="installers">
      <h2>Installers</h2>
      <p class="muted">
        Build an installer with this server's address, certificate and a scoped enrollment token baked in (signed).
        Each one installs the agent as a service and files the machine under the metadata below.
      </p>
      <form class="card form-grid" onSubmit={build}>
        <h3>Installer builder</h3>
        <label for="installer-name-mode">Name</label>
        <select
          id="installer-name-mode"
          value={form.name_mode}
          onChange={(e) => setForm({ ...form, name_mode: e.currentTarget.value === "custom" ? "custom" : "machine" })}
        >
          <option value="machine">Use machine name</option>
          <option value="custom">Custom name</option>
        </select>
        {form.name_mode === "custom" ? (
          <>
            <label for="installer-name">Custom name</label>
            <input id="installer-name" value={form.name} onInput={set("name")} />
          </>
        ) : null}
        <label for="installer-company">Company</label>
        <input id="installer-company" value={form.company} onInput={set("company")} />
        <label for="installer-site">Site</label>
        <input id="installer-site" value={form.site} onInput={set("site")} />
        <label for="installer-department">Department</label>
        <input id="installer-department" value={form.department} onInput={set("department")} />
        <label for="installer-device-type">Device type</label>
        <input id="installer-device-type" list="installer-device-types" value={form.device_type} onInput={set("device_type")} />
        <datalist id="installer-device-types">
          {DEVICE_TYPES.map((t) => (
            <option key={t} value={t} />
          ))}
        </datalist>
        <label for="installer-tag">Tag</label>
        <input id="installer-tag" value={form.tag} onInput={set("tag")} />
        <div class="form-actions">
          <ErrorText message={formError} />
          <button id="installer-build" type="submit" class="btn primary" disabled={busy}>
            {busy ? "Building…" : "Build installer"}
          </button>
        </div>
      </form>

      {current ? <Artifacts api={api} installer={current} /> : null}

      <ErrorText message={listError} />
      <div class="table-wrap">
        <table class="grid">
          <thead>
            <tr>
              <th>Company</th>
              <th>Site</th>
              <th>Department</th>
              <th>Device type</th>
              <th>Tag</th>
              <th>Name</th>
              <th>Created</th>
              <th class="num">Downloads</th>
              <th class="num">Machines</th>
              <th>Status</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {(installers ?? []).map((i) => {
              const status = installerStatus(i, now);
              return (
                <tr key={i.id} data-testid="installer-row" data-installer-id={i.id}>
                  <td>{i.company}</td>
                  <td>{i.site || EMPTY}</td>
                  <td>{i.department || EMPTY}</td>
                  <td>{i.device_type || EMPTY}</td>
                  <td>{i.tag || EMPTY}</td>
                  <td>{i.name_mode === "custom" ? i.name : "machine name"}</td>
                  <td>{formatDateTime(i.created_at)}</td>
                  <td class="num">{i.downloads}</td>
                  <td class="num">{i.enrollments}</td>
                  <td>
                    <span class={`pill ${status === "active" ? "ok" : "off"}`}>{status}</span>
                  </td>
                  <td class="actions">
                    {status === "active" ? (
                      <>
                        <button type="button" class="btn small" onClick={() => setCurrent(i)}>
                          Open
                        </button>{" "}
                        <button type="button" class="btn small danger" data-testid="revoke-installer" onClick={() => revoke(i)}>
                          Revoke
                        </button>
                      </>
                    ) : null}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
        {installers && installers.length === 0 ? <p class="empty muted">No installers yet.</p> : null}
      </div>
    </section>
  );
}
