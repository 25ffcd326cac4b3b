// Full-window remote-control viewer (/console#/view/<machine_id>): toolbar, the remote
// screen on a canvas, and a status bar. Drawing and input bypass Preact entirely (see
// session.ts); Preact only renders the chrome, about once a second.
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import type { ApiClient } from "../api";
import type { ClipboardUi } from "./clipboard";
import { ClipboardMenu, ClipboardStatus, RemoteFilesList } from "./ClipboardControls";
import { FilePanel, filesFromTransfer, hasFiles, type IncomingBatch } from "../files/FilePanel";
import { displaySize } from "./coords";
import { COMBOS } from "./keys";
import { QUALITIES, type Quality } from "./messages";
import { ViewerSession, type ViewerUi } from "./session";

const QUALITY_LABELS: Record<Quality, string> = { speed: "Speed", balanced: "Balanced", quality: "Quality" };

// The text over the screen for the current state, or null when the screen is live.
export function viewerMessage(ui: ViewerUi): string | null {
  switch (ui.conn) {
    case "offline":
      return "The machine is offline.";
    case "forbidden":
      return "You do not have access to this machine.";
    case "not_found":
      return "This machine does not exist (it may have been removed).";
    case "auth_lost":
      return "Your session has ended. Please sign in again.";
    case "stopped":
      return "Disconnected.";
    case "connecting":
      if (ui.retryInMs !== null) return `Connection lost. Reconnecting in ${Math.max(1, Math.round(ui.retryInMs / 1000))} s…`;
      return "Connecting…";
    case "open":
      if (ui.hasFrame) return null;
      if (ui.agentConnected === false) return "Waiting for the machine…";
      return "Starting the remote screen…";
  }
}

function monitorLabel(m: { id: number; name: string; width: number; height: number; primary: boolean }): string {
  const name = m.name || `Monitor ${m.id + 1}`;
  return `${name} (${m.width}×${m.height})${m.primary ? " · primary" : ""}`;
}

interface KeyboardLock {
  lock?: (codes?: string[]) => Promise<void>;
  unlock?: () => void;
}

function keyboardApi(): KeyboardLock | undefined {
  return (navigator as Navigator & { keyboard?: KeyboardLock }).keyboard;
}

export function Viewer({ api, machineId, onAuthLost }: { api: ApiClient; machineId: string; onAuthLost: () => void }) {
  const rootRef = useRef<HTMLDivElement>(null);
  const screenRef = useRef<HTMLDivElement>(null);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const imeRef = useRef<HTMLTextAreaElement>(null);
  const keysRef = useRef<HTMLDetailsElement>(null);
  const sessionRef = useRef<ViewerSession | null>(null);
  const fitRef = useRef(true);
  const authLost = useRef(onAuthLost);
  authLost.current = onAuthLost;

  const [ui, setUi] = useState<ViewerUi | null>(null);
  const [clip, setClip] = useState<ClipboardUi | null>(null);
  const [fit, setFit] = useState(true);
  const [fullscreen, setFullscreen] = useState(false);
  const [title, setTitle] = useState(machineId);
  // File panel (web/src/files): files dropped or pasted onto the screen upload there.
  const [filesOpen, setFilesOpen] = useState(false);
  const [incoming, setIncoming] = useState<IncomingBatch | null>(null);

  // Canvas CSS size: fitted to the screen area, or one remote pixel per CSS pixel.
  const layout = useCallback(() => {
    const canvas = canvasRef.current;
    const screen = screenRef.current;
    if (!canvas || !screen) return;
    const size = displaySize(canvas.width, canvas.height, screen.clientWidth, screen.clientHeight, fitRef.current);
    canvas.style.width = `${size.width}px`;
    canvas.style.height = `${size.height}px`;
  }, []);

  const focusKeyboard = useCallback(() => {
    imeRef.current?.focus({ preventScroll: true });
  }, []);

  useEffect(() => {
    let cancelled = false;
    api.getMachine(machineId).then(
      (m) => {
        if (!cancelled) setTitle(m.name || m.hostname || m.id);
      },
      () => {
        // The socket reports access problems; the id stays as the title.
      },
    );
    return () => {
      cancelled = true;
    };
  }, [api, machineId]);

  useEffect(() => {
    document.title = `${title} · GuruConnect`;
  }, [title]);

  useEffect(() => {
    const canvas = canvasRef.current!;
    const session = new ViewerSession({
      machineId,
      canvas,
      onUi: setUi,
      onAuthLost: () => authLost.current(),
      onFrameSize: layout,
      onClipboard: setClip,
    });
    sessionRef.current = session;
    setUi(session.state);
    setClip(session.clipboard.state);
    void session.start();
    // Opened from a click in the dashboard: keys typed right away go to the machine.
    focusKeyboard();
    return () => {
      sessionRef.current = null;
      session.destroy();
    };
  }, [machineId, layout, focusKeyboard]);

  // Pointer, wheel and keyboard go straight to the session, never through a render.
  useEffect(() => {
    const canvas = canvasRef.current!;
    const screen = screenRef.current!;
    const ime = imeRef.current!;
    const s = () => sessionRef.current;

    const onPointerDown = (e: PointerEvent) => {
      focusKeyboard();
      try {
        canvas.setPointerCapture(e.pointerId);
      } catch {
        // The pointer is already gone.
      }
      const p = s()?.mapPoint(e.clientX, e.clientY);
      if (p) s()!.input.pointerButtons(p, e.buttons);
    };
    const onPointerMove = (e: PointerEvent) => {
      const p = s()?.mapPoint(e.clientX, e.clientY);
      if (p) s()!.input.pointerMove(p, e.buttons);
    };
    const onPointerUp = (e: PointerEvent) => {
      const p = s()?.mapPoint(e.clientX, e.clientY);
      if (p) s()!.input.pointerButtons(p, e.buttons);
    };
    const onPointerCancel = (e: PointerEvent) => {
      const p = s()?.mapPoint(e.clientX, e.clientY);
      if (p) s()!.input.pointerButtons(p, 0);
    };
    const onWheel = (e: WheelEvent) => {
      e.preventDefault();
      const p = s()?.mapPoint(e.clientX, e.clientY);
      if (p) s()!.input.wheelEvent(p, e.deltaX, e.deltaY, e.deltaMode);
    };
    // Keep focus in the remote keyboard, no text selection, no middle-click autoscroll.
    const onMouseDown = (e: MouseEvent) => e.preventDefault();
    const onContextMenu = (e: Event) => e.preventDefault();

    const onKey = (e: KeyboardEvent) => {
      const session = s();
      if (session && session.input.keyEvent(e)) {
        e.preventDefault();
        e.stopPropagation();
      }
    };
    const onFocusScreen = (e: FocusEvent) => {
      if (e.target === screen) focusKeyboard();
    };
    const onFocusOut = (e: FocusEvent) => {
      const next = e.relatedTarget as Node | null;
      if (!next || !screen.contains(next)) s()?.input.releaseAll();
    };
    const clearIme = () => {
      ime.value = "";
    };
    const onCompositionEnd = (e: CompositionEvent) => {
      if (e.data) s()?.input.text(e.data);
      clearIme();
    };
    const onInput = (e: Event) => {
      const ie = e as InputEvent;
      if (ie.isComposing) return;
      if (ie.inputType === "insertText" && ie.data) s()?.input.text(ie.data);
      clearIme();
    };
    const onWindowBlur = () => s()?.input.releaseAll();
    const onVisibility = () => {
      if (document.visibilityState === "hidden") s()?.input.releaseAll();
    };
    const onFullscreen = () => {
      const on = document.fullscreenElement === rootRef.current && !!rootRef.current;
      setFullscreen(on);
      // In full screen, let Escape, the Windows key etc. reach the remote (Chromium).
      const kb = keyboardApi();
      if (on) kb?.lock?.().catch(() => {});
      else kb?.unlock?.();
    };

    const receiveFiles = (data: DataTransfer | null, source: "drop" | "paste") => {
      void filesFromTransfer(data).then((items) => {
        if (items.length === 0) return;
        setFilesOpen(true);
        setIncoming((prev) => ({ items, source, seq: (prev?.seq ?? 0) + 1 }));
      });
    };
    const onDragOver = (e: DragEvent) => {
      if (hasFiles(e.dataTransfer)) e.preventDefault();
    };
    const onDrop = (e: DragEvent) => {
      if (!hasFiles(e.dataTransfer)) return;
      e.preventDefault();
      receiveFiles(e.dataTransfer, "drop");
    };
    // Ctrl+V with files on the clipboard: they upload, gated by machines:files like
    // any transfer; text pastes are left to the keyboard/clipboard handling.
    const onPaste = (e: ClipboardEvent) => {
      if (!e.clipboardData || e.clipboardData.files.length === 0) return;
      e.preventDefault();
      receiveFiles(e.clipboardData, "paste");
    };

    screen.addEventListener("dragover", onDragOver);
    screen.addEventListener("drop", onDrop);
    screen.addEventListener("paste", onPaste);
    canvas.addEventListener("pointerdown", onPointerDown);
    canvas.addEventListener("pointermove", onPointerMove);
    canvas.addEventListener("pointerup", onPointerUp);
    canvas.addEventListener("pointercancel", onPointerCancel);
    canvas.addEventListener("wheel", onWheel, { passive: false });
    canvas.addEventListener("mousedown", onMouseDown);
    canvas.addEventListener("contextmenu", onContextMenu);
    screen.addEventListener("keydown", onKey);
    screen.addEventListener("keyup", onKey);
    screen.addEventListener("focus", onFocusScreen);
    screen.addEventListener("focusout", onFocusOut);
    ime.addEventListener("compositionend", onCompositionEnd);
    ime.addEventListener("input", onInput);
    window.addEventListener("blur", onWindowBlur);
    document.addEventListener("visibilitychange", onVisibility);
    document.addEventListener("fullscreenchange", onFullscreen);

    const ro = typeof ResizeObserver !== "undefined" ? new ResizeObserver(() => layout()) : null;
    ro?.observe(screen);
    window.addEventListener("resize", layout);

    return () => {
      screen.removeEventListener("dragover", onDragOver);
      screen.removeEventListener("drop", onDrop);
      screen.removeEventListener("paste", onPaste);
      canvas.removeEventListener("pointerdown", onPointerDown);
      canvas.removeEventListener("pointermove", onPointerMove);
      canvas.removeEventListener("pointerup", onPointerUp);
      canvas.removeEventListener("pointercancel", onPointerCancel);
      canvas.removeEventListener("wheel", onWheel);
      canvas.removeEventListener("mousedown", onMouseDown);
      canvas.removeEventListener("contextmenu", onContextMenu);
      screen.removeEventListener("keydown", onKey);
      screen.removeEventListener("keyup", onKey);
      screen.removeEventListener("focus", onFocusScreen);
      screen.removeEventListener("focusout", onFocusOut);
      ime.removeEventListener("compositionend", onCompositionEnd);
      ime.removeEventListener("input", onInput);
      window.removeEventListener("blur", onWindowBlur);
      document.removeEventListener("visibilitychange", onVisibility);
      document.removeEventListener("fullscreenchange", onFullscreen);
      ro?.disconnect();
      window.removeEventListener("resize", layout);
    };
  }, [layout, focusKeyboard]);

  useEffect(() => {
    fitRef.current = fit;
    layout();
  }, [fit, layout]);

  const toggleFullscreen = () => {
    if (document.fullscreenElement) {
      void document.exitFullscreen().catch(() => {});
    } else {
      void rootRef.current?.requestFullscreen().catch(() => {});
    }
  };

  const sendCombo = (name: string) => {
    sessionRef.current?.input.combo(name);
    if (keysRef.current) keysRef.current.open = false;
    focusKeyboard();
  };

  const message = ui ? viewerMessage(ui) : "Connecting…";
  const role = ui?.role ?? null;
  const controlling = role === "controller" && ui?.conn === "open";
  const monitors = ui?.monitors ?? [];
  const monitorValue = ui?.monitor ?? -1;

  return (
    <div
      id="viewer"
      class={`viewer${fullscreen ? " fullscreen" : ""}`}
      ref={rootRef}
      data-conn={ui?.conn ?? "connecting"}
      data-role={role ?? ""}
    >
      <header id="viewer-toolbar" class="viewer-toolbar">
        <span class="viewer-title" title={machineId}>
          {title}
        </span>
        <details id="special-keys" class="viewer-menu" ref={keysRef}>
          <summary class="btn ghost" aria-disabled={!controlling}>
            Keys
          </summary>
          <div class="viewer-menu-items" role="menu">
            {Object.entries(COMBOS).map(([name, combo]) => (
              <button
                key={name}
                type="button"
                role="menuitem"
                class="btn ghost"
                data-combo={name}
                disabled={!controlling}
                onClick={() => sendCombo(name)}
              >
                {combo.label}
              </button>
            ))}
          </div>
        </details>
        <ClipboardMenu sync={sessionRef.current?.clipboard ?? null} ui={clip ?? sessionRef.current?.clipboard.state ?? null} controlling={controlling} connected={ui?.conn === "open"} />
        <label class="viewer-field">
          <span>Screen</span>
          <select
            id="monitor-select"
            disabled={!controlling}
            title={controlling ? undefined : "Only the technician in control can change this"}
            value={String(monitorValue)}
            onChange={(e) => sessionRef.current?.setMonitor(Number(e.currentTarget.value))}
          >
            <option value="-1">All monitors</option>
            {monitors.map((m) => (
              <option key={m.id} value={String(m.id)}>
                {monitorLabel(m)}
              </option>
            ))}
          </select>
        </label>
        <label class="viewer-field">
          <span>Quality</span>
          <select
            id="quality-select"
            disabled={!controlling}
            title={controlling ? undefined : "Only the technician in control can change this"}
            value={ui?.quality ?? "balanced"}
            onChange={(e) => sessionRef.current?.setQuality(e.currentTarget.value as Quality)}
          >
            {QUALITIES.map((q) => (
              <option key={q} value={q}>
                {QUALITY_LABELS[q]}
              </option>
            ))}
          </select>
        </label>
        <span class="spacer" />
        <button
          id="take-control"
          type="button"
          class="btn primary"
          hidden={role !== "observer"}
          // The server hands control only to a viewer when nobody holds it.
          disabled={!!ui?.controller}
          title={ui?.controller ? `${ui.controller} has control; they must release it first` : undefined}
          onClick={() => {
            sessionRef.current?.takeControl();
            focusKeyboard();
          }}
        >
          Take control
        </button>
        <button id="release-control" type="button" class="btn ghost" hidden={role !== "controller"} onClick={() => sessionRef.current?.releaseControl()}>
          Release control
        </button>
        <button id="files-toggle" type="button" class="btn ghost" aria-pressed={filesOpen} onClick={() => setFilesOpen(!filesOpen)}>
          Files
        </button>
        <button id="scale-toggle" type="button" class="btn ghost" aria-pressed={!fit} title={fit ? "Show at actual size" : "Fit to window"} onClick={() => setFit(!fit)}>
          {fit ? "1:1" : "Fit"}
        </button>
        <button id="fullscreen" type="button" class="btn ghost" aria-pressed={fullscreen} onClick={toggleFullscreen}>
          {fullscreen ? "Exit full screen" : "Full screen"}
        </button>
      </header>
      <div id="observer-banner" class="viewer-banner" role="status" hidden={role !== "observer"}>
        {ui?.controller ? `View only — ${ui.controller} has control` : "View only — nobody has control"}
      </div>
      <div id="viewer-screen" class={`viewer-screen${fit ? " fit" : " actual"}`} ref={screenRef} tabIndex={0} aria-label="Remote screen">
        <canvas id="remote-screen" ref={canvasRef} width={0} height={0} class={ui?.hasFrame ? undefined : "empty"} />
        <textarea
          id="viewer-keyboard"
          class="viewer-ime"
          ref={imeRef}
          aria-label="Remote keyboard"
          autocomplete="off"
          autocapitalize="off"
          spellcheck={false}
          tabIndex={-1}
        />
        <div id="viewer-message" class="viewer-message" role="status" hidden={!message}>
          <p>{message ?? ""}</p>
          {ui && (ui.conn === "offline" || ui.conn === "stopped") ? (
            <button id="viewer-reconnect" type="button" class="btn primary" onClick={() => sessionRef.current?.reconnect()}>
              Reconnect
            </button>
          ) : null}
        </div>
      </div>
      {filesOpen ? <FilePanel machineId={machineId} incoming={incoming} onClose={() => setFilesOpen(false)} /> : null}
      <RemoteFilesList sync={sessionRef.current?.clipboard ?? null} ui={clip} machineId={machineId} />
      <footer id="viewer-status" class="viewer-status">
        <span class={`viewer-conn ${ui?.conn ?? "connecting"}`}>{ui?.conn === "open" ? "connected" : (ui?.conn ?? "connecting").replace("_", " ")}</span>
        <span>
          <span id="stat-fps">{ui?.fps ?? 0}</span> fps
        </span>
        <span>
          RTT <span id="stat-rtt">{ui?.rttMs ?? "–"}</span> ms
        </span>
        <span>
          <span id="stat-kbps">{ui?.kbps ?? 0}</span> kbit/s
        </span>
        <span>
          <span id="stat-codec">{ui?.codec ?? ui?.preferredCodec ?? "–"}</span>
        </span>
        {ui?.hasFrame ? (
          <span class="muted">
            {ui.frameWidth}×{ui.frameHeight}
          </span>
        ) : null}
        {ui && (ui.effective.quality !== ui.quality || ui.effective.max_fps !== 30) ? (
          <span class="muted" title="Lowered automatically for this connection">
            adapted: {QUALITY_LABELS[ui.effective.quality]}, {ui.effective.max_fps} fps
          </span>
        ) : null}
        <ClipboardStatus ui={clip} />
        <span class="spacer" />
        {ui && ui.viewers > 1 ? <span>{ui.viewers} viewers</span> : null}
        <span>{role === "controller" ? "In control" : role === "observer" ? "View only" : ""}</span>
      </footer>
    </div>
  );
}
