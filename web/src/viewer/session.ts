// One remote-control session: the socket, the decoders drawing on the canvas, input,
// stats (status bar and window.__guruViewer), ping/pong and stream adaptation. The
// Preact component renders the chrome from `ViewerUi` and forwards DOM events here.
import { adaptStep, initialAdaptState, levelSettings, type AdaptSettings, type AdaptState } from "./adapt";
import { ClipboardSync, browserClipboard, type ClipboardUi } from "./clipboard";
import { ViewerConnection, viewerUrl, type ConnState } from "./connection";
import { monitorOffset, toRemote, type Box, type Point } from "./coords";
import { H264Renderer, TileRenderer, h264Supported, type DecodedTile, type FrameMeta } from "./decoder";
import { InputController } from "./input";
import {
  DEFAULT_STREAM_SETTINGS,
  keyframeRequestMsg,
  pingMsg,
  releaseControlMsg,
  streamSettingsMsg,
  takeControlMsg,
  type ClientMessage,
  type Codec,
  type Monitor,
  type Quality,
  type Role,
  type ServerMessage,
} from "./messages";
import { RateWindow, kbps, smoothRtt } from "./stats";

export const PING_INTERVAL_MS = 2000;
export const TICK_MS = 1000;
const KEYFRAME_REQUEST_MIN_GAP_MS = 1000;
const SETTINGS_RESEND_MIN_GAP_MS = 2000;

export interface ViewerUi {
  conn: ConnState;
  retryInMs: number | null;
  role: Role | null;
  controller: string;
  viewers: number;
  agentConnected: boolean | null;
  monitors: Monitor[];
  monitor: number; // requested monitor, -1 = all
  quality: Quality; // the user's preset (the ceiling for adaptation)
  effective: AdaptSettings; // what adaptation currently asks for
  codec: Codec | null; // codec of the frames being drawn
  preferredCodec: Codec | null; // null until H.264 support is known
  fps: number;
  rttMs: number | null;
  kbps: number;
  hasFrame: boolean;
  frameWidth: number;
  frameHeight: number;
}

// Read by automated tests and the latency benchmark. Times are performance.now() ms.
export interface GuruViewerProbe {
  framesDrawn: number;
  lastInputSeqShown: number;
  lastDrawAt: number;
  bytesReceived: number;
  codec: Codec | null;
  inputSeq: number; // last input seq sent
}

declare global {
  interface Window {
    __guruViewer?: GuruViewerProbe;
  }
}

export interface SessionOptions {
  machineId: string;
  canvas: HTMLCanvasElement;
  onUi: (ui: ViewerUi) => void;
  onAuthLost: () => void;
  // Frame size changed: the component re-fits the canvas.
  onFrameSize?: (width: number, height: number) => void;
  onClipboard?: (ui: ClipboardUi) => void;
}

export class ViewerSession {
  readonly input: InputController;
  readonly clipboard: ClipboardSync;
  private readonly conn: ViewerConnection;
  private readonly ctx: CanvasRenderingContext2D | null;
  private readonly h264: H264Renderer;
  private readonly tiles: TileRenderer;
  private readonly fpsWindow = new RateWindow(1000);
  private readonly bytesWindow = new RateWindow(1000);
  private readonly probe: GuruViewerProbe;
  private ui: ViewerUi;
  private adapt: AdaptState;
  private rttSmoothed: number | null = null;
  private frameMonitor = -1;
  private lastKeyframeRequest = -Infinity;
  private lastSettingsResend = -Infinity;
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private tickTimer: ReturnType<typeof setInterval> | null = null;
  private destroyed = false;

  constructor(private readonly opts: SessionOptions) {
    this.ctx = opts.canvas.getContext("2d", { alpha: false });
    this.probe = { framesDrawn: 0, lastInputSeqShown: 0, lastDrawAt: 0, bytesReceived: 0, codec: null, inputSeq: 0 };
    window.__guruViewer = this.probe;
    this.adapt = initialAdaptState(performance.now());
    this.ui = {
      conn: "connecting",
      retryInMs: null,
      role: null,
      controller: "",
      viewers: 0,
      agentConnected: null,
      monitors: [],
      monitor: DEFAULT_STREAM_SETTINGS.monitor,
      quality: DEFAULT_STREAM_SETTINGS.quality,
      effective: levelSettings(0, DEFAULT_STREAM_SETTINGS.quality),
      codec: null,
      preferredCodec: null,
      fps: 0,
      rttMs: null,
      kbps: 0,
      hasFrame: false,
      frameWidth: 0,
      frameHeight: 0,
    };
    this.input = new InputController({
      send: (m) => {
        if (this.conn.send(m)) this.probe.inputSeq = this.input.seq;
      },
      requestFrame: (cb) => requestAnimationFrame(() => cb()),
      now: () => performance.now(),
    });
    this.h264 = new H264Renderer(
      (frame, meta) => this.draw(meta, "h264", (ctx, w, h) => ctx.drawImage(frame, 0, 0, w, h)),
      () => this.requestKeyframe(),
    );
    this.tiles = new TileRenderer(
      (tiles, meta) => this.draw(meta, "jpeg", (ctx) => drawTiles(ctx, tiles)),
      () => this.requestKeyframe(),
    );
    this.clipboard = new ClipboardSync({
      send: (m) => this.conn.send(m),
      access: browserClipboard,
      onUi: (ui) => opts.onClipboard?.(ui),
      buffered: () => this.conn.buffered,
    });
    this.conn = new ViewerConnection({
      url: viewerUrl(location, opts.machineId),
      onMessage: (m, n) => this.onMessage(m, n),
      onState: (state, retry) => this.onConnState(state, retry),
      // Stream settings are the session's, and only the controller may set them: they
      // are sent when viewer_state makes this viewer the controller, not on open.
      onOpen: () => {},
    });
  }

  async start(): Promise<void> {
    const h264 = await h264Supported();
    if (this.destroyed) return;
    this.update({ preferredCodec: h264 ? "h264" : "jpeg" });
    this.conn.start();
    this.pingTimer = setInterval(() => this.ping(), PING_INTERVAL_MS);
    this.tickTimer = setInterval(() => this.tick(), TICK_MS);
  }

  destroy(): void {
    this.destroyed = true;
    if (this.pingTimer !== null) clearInterval(this.pingTimer);
    if (this.tickTimer !== null) clearInterval(this.tickTimer);
    this.input.releaseAll();
    this.conn.stop();
    this.h264.close();
    this.tiles.close();
    if (window.__guruViewer === this.probe) delete window.__guruViewer;
  }

  // After "offline" (or any final state): try again now.
  reconnect(): void {
    this.conn.stop();
    this.conn.start();
  }

  get state(): ViewerUi {
    return this.ui;
  }

  // --- user actions ---

  get isController(): boolean {
    return this.ui.conn === "open" && this.ui.role === "controller";
  }

  setMonitor(monitor: number): void {
    if (monitor === this.ui.monitor) return;
    this.update({ monitor });
    this.sendSettings();
  }

  setQuality(quality: Quality): void {
    // An explicit choice starts adaptation again from (and caps it at) that preset.
    this.adapt = initialAdaptState(performance.now());
    this.update({ quality, effective: levelSettings(0, quality) });
    this.sendSettings();
  }

  takeControl(): void {
    this.conn.send(takeControlMsg());
  }

  releaseControl(): void {
    this.input.releaseAll();
    this.conn.send(releaseControlMsg());
  }

  // Client (viewport) position -> remote virtual-screen position.
  mapPoint(clientX: number, clientY: number): Point | null {
    const { frameWidth, frameHeight } = this.ui;
    if (!frameWidth || !frameHeight) return null;
    const r = this.opts.canvas.getBoundingClientRect();
    const box: Box = { left: r.left, top: r.top, width: r.width, height: r.height };
    return toRemote(clientX, clientY, box, frameWidth, frameHeight, monitorOffset(this.ui.monitors, this.frameMonitor));
  }

  // --- internals ---

  private update(patch: Partial<ViewerUi>): void {
    this.ui = { ...this.ui, ...patch };
    this.input.setEnabled(this.ui.conn === "open" && this.ui.role === "controller");
    this.opts.onUi(this.ui);
  }

  private send(m: ClientMessage): boolean {
    return this.conn.send(m);
  }

  private sendSettings(): void {
    if (!this.isController) return;
    const codec = this.ui.preferredCodec ?? "jpeg";
    this.send(
      streamSettingsMsg({
        monitor: this.ui.monitor,
        codec,
        quality: this.ui.effective.quality,
        max_fps: this.ui.effective.max_fps,
      }),
    );
  }

  private requestKeyframe(): void {
    const now = performance.now();
    if (now - this.lastKeyframeRequest < KEYFRAME_REQUEST_MIN_GAP_MS) return;
    if (this.send(keyframeRequestMsg())) this.lastKeyframeRequest = now;
  }

  private ping(): void {
    if (this.conn.isOpen) this.send(pingMsg(performance.now()));
  }

  private onConnState(conn: ConnState, retryInMs?: number): void {
    if (conn === "auth_lost") {
      this.update({ conn, retryInMs: null });
      this.opts.onAuthLost();
      return;
    }
    if (conn !== "open") {
      // Whatever comes next starts from a keyframe; roles are re-sent on join.
      this.h264.reset();
      this.tiles.reset();
      this.lastKeyframeRequest = -Infinity;
      this.update({ conn, retryInMs: retryInMs ?? null, role: null, agentConnected: conn === "offline" ? false : this.ui.agentConnected });
      return;
    }
    this.update({ conn, retryInMs: null });
  }

  private onMessage(m: ServerMessage, byteLength: number): void {
    const now = performance.now();
    this.probe.bytesReceived += byteLength;
    this.bytesWindow.add(now, byteLength);
    switch (m.type) {
      case "video":
        if (this.ui.preferredCodec !== "h264") {
          // (An observer cannot change the codec; the controller's choice applies.)
          // We cannot decode H.264 here; repeat what we asked for.
          if (now - this.lastSettingsResend > SETTINGS_RESEND_MIN_GAP_MS) {
            this.lastSettingsResend = now;
            this.sendSettings();
          }
          return;
        }
        this.h264.decode(m);
        return;
      case "tiles":
        this.tiles.render(m);
        return;
      case "monitors":
        this.update({ monitors: m.monitors });
        return;
      case "viewer_state": {
        const becameController = m.role === "controller" && this.ui.role !== "controller";
        this.update({ role: m.role, viewers: m.viewers, controller: m.controller, agentConnected: m.agent_connected });
        if (becameController) {
          // Adaptation starts afresh from the user's preset for this controller.
          this.adapt = initialAdaptState(now);
          this.update({ effective: levelSettings(0, this.ui.quality) });
          this.sendSettings();
        }
        return;
      }
      case "clipboard_offer":
      case "clipboard_chunk":
      case "clipboard_files":
      case "clipboard_error":
      case "type_progress":
        void this.clipboard.onMessage(m);
        return;
      case "pong": {
        const rtt = now - m.t;
        if (rtt >= 0 && rtt < 600_000) {
          this.rttSmoothed = smoothRtt(this.rttSmoothed, rtt);
          this.update({ rttMs: Math.round(rtt) });
        }
        return;
      }
    }
  }

  private draw(meta: FrameMeta, codec: Codec, paint: (ctx: CanvasRenderingContext2D, w: number, h: number) => void): void {
    if (this.destroyed || !this.ctx) return;
    const canvas = this.opts.canvas;
    if (canvas.width !== meta.width || canvas.height !== meta.height) {
      canvas.width = meta.width;
      canvas.height = meta.height;
      this.opts.onFrameSize?.(meta.width, meta.height);
    }
    paint(this.ctx, meta.width, meta.height);
    const now = performance.now();
    this.frameMonitor = meta.monitor;
    this.fpsWindow.add(now);
    const p = this.probe;
    p.framesDrawn++;
    p.lastInputSeqShown = meta.input_seq;
    p.lastDrawAt = now;
    p.codec = codec;
    if (!this.ui.hasFrame || this.ui.codec !== codec || this.ui.frameWidth !== meta.width || this.ui.frameHeight !== meta.height) {
      this.update({ hasFrame: true, codec, frameWidth: meta.width, frameHeight: meta.height });
    }
  }

  // Once a second: status bar numbers and the adaptation decision.
  private tick(): void {
    const now = performance.now();
    const fps = Math.round(this.fpsWindow.rate(now));
    const bytesPerSec = this.bytesWindow.rate(now);
    const patch: Partial<ViewerUi> = { fps, kbps: kbps(bytesPerSec) };
    if (this.isController && this.ui.hasFrame) {
      const decodeQueue = this.ui.codec === "jpeg" ? this.tiles.queueSize : this.h264.queueSize;
      const d = adaptStep(this.adapt, { now, rttMs: this.rttSmoothed, decodeQueue, fps, bytesPerSec }, this.ui.quality);
      this.adapt = d.state;
      if (d.change) {
        patch.effective = d.change;
        this.update(patch);
        this.sendSettings();
        return;
      }
    }
    this.update(patch);
  }
}

function drawTiles(ctx: CanvasRenderingContext2D, tiles: DecodedTile[]): void {
  for (const t of tiles) ctx.drawImage(t.bitmap, t.x, t.y, t.width, t.height);
}
