import type { Duplex } from 'node:stream';
import { P2VError } from '../../shared/errors.ts';
import { encodeFrame, FrameDecoder, FrameType, type Frame } from './frame.ts';
import type { RateLimit } from './rate-limit.ts';

/** Frames queued before the socket is paused, so a fast peer cannot fill our memory. */
const HIGH_WATER_FRAMES = 16;
/** Bytes written but not yet taken by the socket before a sender waits. */
const SEND_BUFFER = 4 * 1024 * 1024;

/** How often a quiet side says it is still there, and how long a silent peer is waited for. */
export const KEEPALIVE_EVERY_MS = 10_000;
export const SILENCE_LIMIT_MS = 60_000;

/**
 * Framed, ordered, back-pressured messaging over one stream (a TLS socket in practice).
 * Writes wait for 'drain'; reads pause the socket while the consumer is behind.
 */
export class Connection {
  private readonly decoder = new FrameDecoder();
  private readonly queue: Frame[] = [];
  private waiting: { resolve: (f: Frame) => void; reject: (e: Error) => void } | null = null;
  private failure: Error | null = null;
  private drainWaiters: (() => void)[] = [];
  private lastSent = Date.now();
  private lastReceived = Date.now();
  private keepaliveTimer: NodeJS.Timeout | null = null;
  /** The stream is corked until the current run of code ends (see `sendFrame`). */
  private corkedUntilTick = false;
  /** Bytes written to the stream, frame headers included. */
  bytesSent = 0;
  bytesReceived = 0;

  constructor(
    readonly stream: Duplex,
    /** What this side may send per second (the technician's bandwidth limit), if anything. */
    private readonly limit?: RateLimit,
  ) {
    stream.on('data', (chunk: Buffer) => this.onData(chunk));
    stream.on('drain', () => this.flushDrainWaiters());
    stream.on('error', (error) => this.fail(error));
    stream.on('close', () => this.fail(new P2VError('CONNECTION_LOST', 'connection closed')));
  }

  /** Sends a JSON message. */
  send(message: object): Promise<void> {
    return this.sendFrame(FrameType.message, Buffer.from(JSON.stringify(message), 'utf8'));
  }

  /**
   * Sends the frames `issue` starts (synchronously, so they leave in one write: see
   * `sendFrame`), then waits until the stream can take more.
   */
  async sendTogether(issue: () => Promise<void>[]): Promise<void> {
    await Promise.all(issue());
  }

  /** Sends one frame; resolves once the stream can take more. */
  sendFrame(type: FrameType, body: Buffer): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    this.lastSent = Date.now();
    // Frames sent in one run of code leave in one write: a small file's signature head, entries
    // and end, or a window of requests, become one TLS record and one syscall instead of six.
    if (!this.corkedUntilTick) {
      this.corkedUntilTick = true;
      this.stream.cork();
      process.nextTick(() => {
        this.corkedUntilTick = false;
        this.stream.uncork();
      });
    }
    let written = 0;
    for (const part of encodeFrame(type, body)) {
      this.stream.write(part);
      written += part.length;
    }
    this.bytesSent += written;
    const drained = this.drained();
    // No limit set (the common case): no bucket work per frame.
    return this.limit?.rate != null
      ? Promise.all([drained, this.limit.take(written)]).then(() => undefined)
      : drained;
  }

  private drained(): Promise<void> {
    // Waiting for 'drain' past the stream's 16 KiB default would stall on every frame of a
    // small file; a few MiB queued keeps the pipe full and memory bounded.
    if (this.stream.writableLength < SEND_BUFFER) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.drainWaiters.push(() => (this.failure ? reject(this.failure) : resolve()));
    });
  }

  /**
   * Watches for a peer gone silent: a link dropped without a reset, a frozen VM, a stalled port
   * forward. Sends an empty keepalive frame whenever nothing else went out for `everyMs`, and
   * fails the connection (CONNECTION_LOST, which the migration reconnects after) when nothing at
   * all came in for `silenceLimitMs`. While this side has paused reading because its own consumer
   * is behind, or its event loop was too busy to read, the peer's silence is ours and does not
   * count.
   */
  keepAlive(everyMs: number, silenceLimitMs: number, peer: string): void {
    if (this.keepaliveTimer || this.failure) return;
    const tick = Math.min(everyMs, silenceLimitMs / 2);
    this.lastReceived = Date.now();
    let lastTick = Date.now();
    this.keepaliveTimer = setInterval(() => {
      const now = Date.now();
      // A tick this late means this side's own event loop was busy (a long synchronous
      // stretch): what the peer sent meanwhile is still unread, so its silence is ours.
      const late = now - lastTick > tick + Math.max(1000, tick);
      lastTick = now;
      if (this.stream.isPaused() || late) this.lastReceived = now;
      if (now - this.lastReceived > silenceLimitMs) {
        this.destroy(
          new P2VError(
            'CONNECTION_LOST',
            `nothing came from ${peer} for ${silenceLimitMs / 1000} s`,
          ),
        );
        return;
      }
      if (now - this.lastSent >= everyMs)
        this.sendFrame(FrameType.keepalive, Buffer.alloc(0)).catch(() => undefined);
    }, tick);
    this.keepaliveTimer.unref();
  }

  /** The next frame from the peer; rejects when the connection fails. */
  next(): Promise<Frame> {
    const frame = this.queue.shift();
    if (frame) {
      if (this.queue.length < HIGH_WATER_FRAMES / 2 && this.stream.isPaused()) this.stream.resume();
      return Promise.resolve(frame);
    }
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
    });
  }

  /** The next frame, which must be a JSON message; returns it parsed but unvalidated. */
  async nextMessage(): Promise<Record<string, unknown>> {
    const frame = await this.next();
    if (frame.type !== FrameType.message) {
      throw new P2VError('BAD_FRAME', `expected a message, got frame type ${frame.type}`);
    }
    return parseMessage(frame.body);
  }

  /** Whether frames from the peer are already waiting to be read. */
  get hasQueuedFrames(): boolean {
    return this.queue.length > 0 || this.decoder.pendingBytes > 0;
  }

  get closed(): boolean {
    return this.failure !== null;
  }

  /** Ends the stream after pending writes and waits until it is closed. */
  async close(): Promise<void> {
    if (this.stream.destroyed) return;
    await new Promise<void>((resolve) => {
      this.stream.once('close', () => resolve());
      this.stream.end();
      setTimeout(() => this.stream.destroy(), 2000).unref();
    });
  }

  destroy(error?: Error): void {
    this.fail(error ?? new P2VError('CONNECTION_LOST', 'closed locally'));
    this.stream.destroy();
  }

  private onData(chunk: Buffer): void {
    this.bytesReceived += chunk.length;
    this.lastReceived = Date.now();
    let frames: Frame[];
    try {
      frames = this.decoder.push(chunk);
    } catch (error) {
      this.fail(error as Error);
      this.stream.destroy();
      return;
    }
    for (const frame of frames) {
      if (frame.type === FrameType.keepalive) continue;
      if (this.waiting) {
        const { resolve } = this.waiting;
        this.waiting = null;
        resolve(frame);
      } else {
        this.queue.push(frame);
      }
    }
    if (this.queue.length >= HIGH_WATER_FRAMES) this.stream.pause();
  }

  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    if (this.keepaliveTimer) clearInterval(this.keepaliveTimer);
    if (this.waiting) {
      const { reject } = this.waiting;
      this.waiting = null;
      reject(error);
    }
    this.flushDrainWaiters();
  }

  private flushDrainWaiters(): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const wake of waiters) wake();
  }
}

/** Parses a message body; anything but a JSON object with a string `t` is a bad frame. */
export function parseMessage(body: Buffer): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    throw new P2VError('BAD_FRAME', 'message is not JSON');
  }
  if (
    typeof value !== 'object' ||
    value === null ||
    typeof (value as { t?: unknown }).t !== 'string'
  ) {
    throw new P2VError('BAD_FRAME', 'message has no type');
  }
  return value as Record<string, unknown>;
}
