import { P2VError } from '../../shared/errors.ts';
import type { EntryMeta } from '../protocol/messages.ts';

/** Signature bytes buffered before the reader waits for the consumer. */
const MAX_BUFFERED = 8 * 1024 * 1024;

/** What the agent said about its copy of a file before the signature entries. */
export interface SignatureHead {
  exists: boolean;
  size: number;
  blockSize: number;
  meta?: EntryMeta;
}

/**
 * The agent's answer to one `sig` request: the head, then signature entries in offset order,
 * consumed as they arrive so a large file's signature is never held whole.
 */
export class SignatureStream {
  private headValue: SignatureHead | null = null;
  private readonly chunks: Buffer[] = [];
  private buffered = 0;
  private ended = false;
  private failure: Error | null = null;
  private wakeConsumer: (() => void) | null = null;
  private wakeProducer: (() => void) | null = null;

  setHead(head: SignatureHead): void {
    this.headValue = {
      exists: head.exists,
      size: head.size,
      blockSize: head.blockSize,
      ...(head.meta ? { meta: head.meta } : {}),
    };
    this.wake();
  }

  async push(chunk: Buffer): Promise<void> {
    if (!this.headValue) throw new P2VError('BAD_FRAME', 'signature data before its head');
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    this.wake();
    while (this.buffered > MAX_BUFFERED && !this.failure) {
      await new Promise<void>((resolve) => (this.wakeProducer = resolve));
    }
  }

  end(): void {
    this.ended = true;
    this.wake();
  }

  fail(error: Error): void {
    this.failure = error;
    this.wake();
    this.wakeProducer?.();
  }

  async head(): Promise<SignatureHead> {
    while (!this.headValue) {
      if (this.failure) throw this.failure;
      await this.waitForData();
    }
    return this.headValue;
  }

  /** The next chunk of entries, or null at the end. */
  async next(): Promise<Buffer | null> {
    for (;;) {
      const chunk = this.chunks.shift();
      if (chunk) {
        this.buffered -= chunk.length;
        if (this.buffered <= MAX_BUFFERED) {
          const wake = this.wakeProducer;
          this.wakeProducer = null;
          wake?.();
        }
        return chunk;
      }
      if (this.failure) throw this.failure;
      if (this.ended) return null;
      await this.waitForData();
    }
  }

  /** Reads and drops whatever is left. */
  async drain(): Promise<void> {
    while ((await this.next()) !== null) {
      // dropping entries past the source's end of file
    }
  }

  private waitForData(): Promise<void> {
    return new Promise((resolve) => (this.wakeConsumer = resolve));
  }

  private wake(): void {
    const wake = this.wakeConsumer;
    this.wakeConsumer = null;
    wake?.();
  }
}
