import type { BigIntStats } from 'node:fs';
import type { Xattr } from '../paths/xattrs.ts';
import { closeSync, openSync } from 'node:fs';
import {
  blockHash,
  chunkFor,
  ENTRY_BYTES,
  isAllZero,
  readWhole,
  WholeFileHash,
  zeroBlockHash,
} from '../checksum/block-checksums.ts';
import { wireTimes } from '../paths/times.ts';
import type { AgentClient } from './agent-client.ts';
import type { SignatureStream } from './signature-stream.ts';

/** What sending one file's changes did. */
export interface FileDeltaResult {
  /** Bytes of file data sent (dirty blocks), not counting holes or framing. */
  dirtyBytes: number;
  /** Whole-file checksum of the bytes read, which the agent checks its temp file against. */
  hash: string;
  /** No block differed and the size is the same: nothing was rewritten on the target. */
  unchanged: boolean;
  /** Resolves when the agent has applied the file; null when nothing was sent. */
  applied: Promise<unknown> | null;
}

/** Reads the agent's signature entries one by one, in offset order. */
class EntryCursor {
  private chunk: Buffer | null = null;
  private at = 0;

  constructor(private readonly stream: SignatureStream) {}

  async next(): Promise<Buffer | null> {
    while (!this.chunk || this.at >= this.chunk.length) {
      this.chunk = await this.stream.next();
      this.at = 0;
      if (!this.chunk) return null;
      if (this.chunk.length % ENTRY_BYTES !== 0)
        throw new Error('signature chunk not a whole number of entries');
    }
    const entry = this.chunk.subarray(this.at, this.at + ENTRY_BYTES);
    this.at += ENTRY_BYTES;
    return entry;
  }
}

/**
 * Compares a local file with the agent's copy block by block, in offset order, by each block's
 * hash (which the whole-file checksum is built from anyway), and sends the dirty blocks. The put is opened
 * lazily at the first difference, so an unchanged file costs only its signature.
 */
export async function sendFileDelta(
  client: AgentClient,
  signature: SignatureStream,
  source: Buffer,
  targetPath: string,
  info: BigIntStats,
  mode: 'delta' | 'whole',
  xattrs: Xattr[] = [],
): Promise<FileDeltaResult> {
  const head = await signature.head();
  const useBase = head.exists && mode === 'delta';
  const size = Number(info.size);
  const blockSize = head.blockSize;
  const agentBlocks = useBase ? Math.ceil(head.size / blockSize) : 0;
  const cursor = new EntryCursor(signature);
  const hash = new WholeFileHash();
  let put: { id: number; done: Promise<unknown> } | null = null;
  const openPut = (): { id: number; done: Promise<unknown> } =>
    (put ??= client.beginPut({
      path: targetPath,
      size,
      mode: Number(info.mode & 0o7777n),
      uid: Number(info.uid),
      gid: Number(info.gid),
      ...wireTimes(info),
      base: useBase,
      xattrs,
    }));
  let dirtyBytes = 0;
  let holeStart = -1;
  let holeLength = 0;
  const flushHole = async (): Promise<void> => {
    if (holeLength === 0) return;
    openPut();
    await client.sendHole(holeStart, holeLength);
    holeStart = -1;
    holeLength = 0;
  };

  // Synchronous reads: a page-cache read of one chunk costs less than a thread-pool round trip,
  // which made thousands of small files latency-bound. This runs in the engine process, never
  // on a UI thread.
  const fd = openSync(source, 'r');
  try {
    // Sized to the file, so thousands of small files do not each allocate a whole chunk.
    const buffer = chunkFor(size, blockSize);
    let position = 0;
    let blockIndex = 0;
    while (position < size) {
      const want = Math.min(buffer.length - (buffer.length % blockSize), size - position);
      const bytesRead = readWhole(fd, buffer.subarray(0, want), position);
      // A file that shrank while being read is padded to the size announced; it stays in the record.
      if (bytesRead < want) buffer.fill(0, bytesRead, want);
      const data = buffer.subarray(0, want);
      let runStart = -1;
      const flushRun = async (end: number): Promise<void> => {
        if (runStart < 0) return;
        openPut();
        await client.sendBlocks(position + runStart, data.subarray(runStart, end));
        dirtyBytes += end - runStart;
        runStart = -1;
      };
      for (let at = 0; at < data.length; at += blockSize, blockIndex++) {
        const block = data.subarray(at, at + blockSize);
        const entry = blockIndex < agentBlocks ? await cursor.next() : null;
        const agentLength = Math.min(blockSize, head.size - blockIndex * blockSize);
        const digest = blockHash(block);
        hash.addBlock(digest, block.length);
        if (entry !== null && agentLength === block.length && digest.equals(entry)) {
          await flushRun(at);
          continue;
        }
        if (digest.equals(zeroBlockHash(block.length)) && isAllZero(block)) {
          await flushRun(at);
          if (holeLength === 0) holeStart = position + at;
          holeLength += block.length;
          continue;
        }
        await flushHole();
        if (runStart < 0) runStart = at;
      }
      await flushRun(data.length);
      position += want;
    }
    await flushHole();
  } finally {
    closeSync(fd);
  }
  await signature.drain();
  const unchanged = useBase && put === null && head.size === size;
  if (!unchanged) openPut();
  const digest = hash.hex();
  if (put) await client.endPut((put as { id: number }).id, digest);
  return {
    dirtyBytes,
    hash: digest,
    unchanged,
    applied: put ? (put as { done: Promise<unknown> }).done : null,
  };
}
