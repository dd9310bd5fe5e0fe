import { P2VError } from '../../shared/errors.ts';

/** Kinds of frame on the wire; see docs/protocol.md. */
export const FrameType = {
  message: 1,
  blocks: 2,
  hole: 3,
  signature: 4,
  /** Empty: "still here", sent when nothing else was for a while (protocol 4). */
  keepalive: 5,
  /** `u64 offset` then a brotli stream of the file bytes (protocol 8, when negotiated). */
  compressedBlocks: 6,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

/** Largest frame body accepted; bigger ones are a protocol error, so a peer cannot exhaust memory. */
export const MAX_FRAME_BODY = 4 * 1024 * 1024;
const HEADER = 5;

export interface Frame {
  type: FrameType;
  body: Buffer;
}

/** Encodes one frame: u32 big-endian body length, u8 type, body. */
export function encodeFrame(type: FrameType, body: Buffer): Buffer[] {
  if (body.length > MAX_FRAME_BODY) throw new RangeError(`frame body of ${body.length} bytes`);
  const header = Buffer.allocUnsafe(HEADER);
  header.writeUInt32BE(body.length, 0);
  header.writeUInt8(type, 4);
  return [header, body];
}

/**
 * Splits a byte stream into frames. Holds at most one partial frame, so memory stays bounded by
 * MAX_FRAME_BODY whatever the peer sends.
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** The header of the frame being received, once its five bytes are in. */
  private header: { length: number; type: FrameType } | null = null;

  push(chunk: Buffer): Frame[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: Frame[] = [];
    for (;;) {
      if (!this.header) {
        if (this.buffered < HEADER) break;
        const head = this.take(HEADER);
        const length = head.readUInt32BE(0);
        const type = head.readUInt8(4);
        if (length > MAX_FRAME_BODY) throw new P2VError('BAD_FRAME', `frame of ${length} bytes`);
        if (type < FrameType.message || type > FrameType.compressedBlocks) {
          throw new P2VError('BAD_FRAME', `unknown frame type ${type}`);
        }
        this.header = { length, type: type as FrameType };
      }
      // Nothing is copied until the whole body is in, so a slow drip costs nothing per byte.
      if (this.buffered < this.header.length) break;
      frames.push({ type: this.header.type, body: this.take(this.header.length) });
      this.header = null;
    }
    return frames;
  }

  /** Bytes of an unfinished frame still waiting for the rest. */
  get pendingBytes(): number {
    return this.buffered + (this.header ? HEADER : 0);
  }

  private take(n: number): Buffer {
    const first = this.chunks[0];
    if (first && first.length >= n) {
      this.buffered -= n;
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.chunks[0] as Buffer;
      const used = Math.min(chunk.length, n - filled);
      chunk.copy(out, filled, 0, used);
      filled += used;
      if (used === chunk.length) this.chunks.shift();
      else this.chunks[0] = chunk.subarray(used);
    }
    this.buffered -= n;
    return out;
  }
}
