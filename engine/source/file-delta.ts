import type { BigIntStats } from 'node:fs';
import type { Xattr } from '../paths/xattrs.ts';
import { closeSync, openSync, readSync } from 'node:fs';
import {
  ENTRY_BYTES,
  isAllZero,
  STRONG_BYTES,
  strongHash,
  WEAK_BYTES,
  weakSum,
  WholeFileHash,
} from '../checksum/block-checksums.ts';
import { wireTimes } from '../paths/times.ts';
import type { AgentClient } from './agent-client.ts';
import type { SignatureStream } from './signature-stream.ts';

const READ_CHUNK = 1024 * 1024;

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
 * Compares a local file with the agent's copy block by block, in offset order (weak sum first,
 * the strong hash only when the weak one matches), and sends the dirty blocks. The put is opened
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
    const buffer = Buffer.allocUnsafe(
      Math.min(Math.max(READ_CHUNK, blockSize), Math.ceil(size / blockSize) * blockSize),
    );
    let position = 0;
    let blockIndex = 0;
    while (position < size) {
      const want = Math.min(buffer.length - (buffer.length % blockSize), size - position);
      const bytesRead = readFully(fd, buffer, want, position);
      // A file that shrank while being read is padded to the size announced; it stays in the record.
      if (bytesRead < want) buffer.fill(0, bytesRead, want);
      const data = buffer.subarray(0, want);
      hash.update(data);
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
        const same =
          entry !== null &&
          agentLength === block.length &&
          entry.readUInt32BE(0) === weakSum(block) &&
          strongHash(block).equals(entry.subarray(WEAK_BYTES, WEAK_BYTES + STRONG_BYTES));
        if (same) {
          await flushRun(at);
          continue;
        }
        if (isAllZero(block)) {
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

/** Reads up to `want` bytes at `position`, fewer only at the end of the file. */
function readFully(fd: number, buffer: Buffer, want: number, position: number): number {
  let done = 0;
  while (done < want) {
    const n = readSync(fd, buffer, done, want - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}
