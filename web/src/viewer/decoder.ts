// Turning frames into pixels. H.264 goes through WebCodecs (Annex B, no description:
// SPS/PPS travel in-band with each keyframe); JPEG tiles go through createImageBitmap
// (the page's CSP allows no blob: image URLs). Both wait for a keyframe before using
// deltas and ask for one whenever they lose track.
import type { TilesMsg, VideoMsg } from "./messages";

export const H264_DECODER_CONFIG: VideoDecoderConfig = {
  codec: "avc1.42E02A",
  optimizeForLatency: true,
  hardwareAcceleration: "no-preference",
};

export async function h264Supported(): Promise<boolean> {
  if (typeof VideoDecoder === "undefined" || typeof EncodedVideoChunk === "undefined") return false;
  try {
    const r = await VideoDecoder.isConfigSupported(H264_DECODER_CONFIG);
    return !!r.supported;
  } catch {
    return false;
  }
}

export interface FrameMeta {
  seq: number;
  input_seq: number;
  width: number;
  height: number;
  monitor: number;
}

function metaOf(m: VideoMsg | TilesMsg): FrameMeta {
  return { seq: m.seq, input_seq: m.input_seq, width: m.width, height: m.height, monitor: m.monitor };
}

// Beyond this many queued chunks the decoder cannot keep up: start again from a keyframe.
const MAX_DECODE_QUEUE = 30;
const MAX_PENDING_META = 120;

export class H264Renderer {
  private decoder: VideoDecoder | null = null;
  private needKey = true;
  private readonly meta = new Map<number, FrameMeta>();

  constructor(
    private readonly onFrame: (frame: VideoFrame, meta: FrameMeta) => void,
    private readonly onNeedKeyframe: () => void,
  ) {}

  get queueSize(): number {
    return this.decoder && this.decoder.state !== "closed" ? this.decoder.decodeQueueSize : 0;
  }

  decode(msg: VideoMsg): void {
    if (!msg.keyframe && this.needKey) {
      this.onNeedKeyframe();
      return;
    }
    if (this.decoder && this.decoder.decodeQueueSize > MAX_DECODE_QUEUE && !msg.keyframe) {
      this.fail();
      return;
    }
    const decoder = this.decoder && this.decoder.state === "configured" ? this.decoder : this.create();
    if (!decoder) return;
    this.needKey = false;
    const timestamp = msg.seq * 1000;
    this.meta.set(timestamp, metaOf(msg));
    if (this.meta.size > MAX_PENDING_META) {
      const oldest = this.meta.keys().next().value;
      if (oldest !== undefined) this.meta.delete(oldest);
    }
    try {
      decoder.decode(new EncodedVideoChunk({ type: msg.keyframe ? "key" : "delta", timestamp, data: msg.data }));
    } catch {
      this.fail();
    }
  }

  // Forget the stream (new connection, new monitor): the next frame used is a keyframe.
  reset(): void {
    this.closeDecoder();
    this.needKey = true;
  }

  close(): void {
    this.reset();
  }

  private create(): VideoDecoder | null {
    this.closeDecoder();
    let decoder: VideoDecoder;
    try {
      decoder = new VideoDecoder({
        output: (frame) => {
          if (this.decoder !== decoder) {
            frame.close();
            return;
          }
          const meta = this.meta.get(frame.timestamp);
          this.meta.delete(frame.timestamp);
          try {
            if (meta) this.onFrame(frame, meta);
          } finally {
            frame.close();
          }
        },
        error: () => {
          if (this.decoder === decoder) this.fail();
        },
      });
      decoder.configure(H264_DECODER_CONFIG);
    } catch {
      this.needKey = true;
      this.onNeedKeyframe();
      return null;
    }
    this.decoder = decoder;
    return decoder;
  }

  private closeDecoder(): void {
    const d = this.decoder;
    this.decoder = null;
    this.meta.clear();
    if (d && d.state !== "closed") {
      try {
        d.close();
      } catch {
        // Already closed by an error.
      }
    }
  }

  private fail(): void {
    this.closeDecoder();
    this.needKey = true;
    this.onNeedKeyframe();
  }
}

export interface DecodedTile {
  x: number;
  y: number;
  width: number;
  height: number;
  bitmap: ImageBitmap;
}

// JPEG tiles: decoded in parallel, drawn strictly in frame order, a frame at a time,
// so a slow tile never lets an older frame paint over a newer one.
export class TileRenderer {
  private chain: Promise<void> = Promise.resolve();
  private needKey = true;
  private pending = 0;
  private generation = 0;

  constructor(
    private readonly onFrame: (tiles: DecodedTile[], meta: FrameMeta) => void,
    private readonly onNeedKeyframe: () => void,
  ) {}

  get queueSize(): number {
    return this.pending;
  }

  render(msg: TilesMsg): void {
    if (!msg.keyframe && this.needKey) {
      this.onNeedKeyframe();
      return;
    }
    this.needKey = false;
    const gen = this.generation;
    const meta = metaOf(msg);
    const decoded = Promise.all(
      msg.tiles.map((t) =>
        createImageBitmap(new Blob([t.data as Uint8Array<ArrayBuffer>], { type: "image/jpeg" })).then((bitmap) => ({
          x: t.x,
          y: t.y,
          width: t.width,
          height: t.height,
          bitmap,
        })),
      ),
    );
    this.pending++;
    this.chain = this.chain
      .then(() => decoded)
      .then(
        (tiles) => {
          if (gen === this.generation) this.onFrame(tiles, meta);
          for (const t of tiles) t.bitmap.close();
        },
        () => {
          if (gen !== this.generation) return;
          // A tile that does not decode leaves a hole: start again from a full frame.
          this.needKey = true;
          this.onNeedKeyframe();
        },
      )
      .finally(() => {
        this.pending--;
      });
  }

  reset(): void {
    this.generation++;
    this.needKey = true;
  }

  close(): void {
    this.reset();
  }
}
