// The public support portal (served at "/" by server/support/portal.py): the visitor
// types the six-digit code (or arrives with ?code= from the link) and gets the
// one-time agent. Plain DOM and fetch, nothing from the dashboard; without
// JavaScript the same form posts to /portal/join and the server answers with a page.
import { cleanCode, joinMessage, type JoinAnswer } from "./join";

function el<T extends HTMLElement>(id: string): T | null {
  return document.getElementById(id) as T | null;
}

function showDownload(answer: JoinAnswer): void {
  const form = el<HTMLFormElement>("join");
  const section = el<HTMLElement>("download");
  if (!form || !section) return;
  section.textContent = "";
  const h = document.createElement("h2");
  h.textContent = answer.technician ? `${answer.technician} is ready to help you` : "A technician is ready to help you";
  const p = document.createElement("p");
  p.textContent =
    "Download the support program for your computer and run it (on Linux: sh guruconnect-support.sh). " +
    "It asks before anyone sees your screen, and removes itself when you are done.";
  section.append(h, p);
  for (const d of answer.downloads) {
    const a = document.createElement("a");
    a.className = "portal-download";
    a.href = d.url;
    a.setAttribute("download", d.filename);
    a.textContent = `Download for ${d.label}`;
    section.append(a);
  }
  form.hidden = true;
  section.hidden = false;
}

async function submit(code: string): Promise<void> {
  const message = el<HTMLElement>("message");
  const button = document.querySelector<HTMLButtonElement>("#join button");
  if (message) message.textContent = "";
  if (button) button.disabled = true;
  try {
    const res = await fetch("/api/v1/portal/join", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ code }),
      credentials: "omit",
    });
    const body: unknown = await res.json().catch(() => null);
    if (res.ok) showDownload(body as JoinAnswer);
    else if (message) message.textContent = joinMessage(res.status, body);
  } catch {
    if (message) message.textContent = "Cannot reach the server. Check your connection and try again.";
  } finally {
    if (button) button.disabled = false;
  }
}

function start(): void {
  const form = el<HTMLFormElement>("join");
  const input = el<HTMLInputElement>("code");
  if (!form || !input || typeof fetch !== "function") return; // the plain form still works
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const code = cleanCode(input.value);
    const message = el<HTMLElement>("message");
    if (!code) {
      if (message) message.textContent = "The code is six digits, for example 123 456.";
      return;
    }
    void submit(code);
  });
  const fromLink = cleanCode(new URLSearchParams(location.search).get("code") ?? "");
  if (fromLink) {
    input.value = fromLink;
    void submit(fromLink);
  } else {
    input.focus();
  }
}

start();
