import type { BigIntStats } from 'node:fs';
import type { Xattr } from '../paths/xattrs.ts';
import { closeSync } from 'node:fs';
import { openNoAtimeSync } from '../paths/no-atime.ts';
import { readWhole } from '../storage/positional-io.ts';
import {
  chunkFor,
  ENTRY_BYTES,
  isAllZero,
  WholeFileHash,
  writeSignature,
  zeroBlockHash,
} from '../checksum/block-checksums.ts';
import { wireTimes } from '../paths/times.ts';
import { HashPool, SLOT_BYTES, type HashedChunk } from '../checksum/hash-pool.ts';
import type { EntryMeta } from '../protocol/messages.ts';
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
  /** The copy's metadata as the agent said it (an unchanged file may need no `meta`). */
  agentMeta: EntryMeta | null;
}

/** Reads the agent's signature entries in offset order, as many at a time as a chunk needs. */
class EntryCursor {
  private chunk: Buffer | null = null;
  private at = 0;

  constructor(private readonly stream: SignatureStream) {}

  /** The next `count` entries as one buffer (fewer if the signature ends first). */
  async take(count: number): Promise<Buffer> {
    const want = count * ENTRY_BYTES;
    const parts: Buffer[] = [];
    let have = 0;
    while (have < want) {
      if (!this.chunk || this.at >= this.chunk.length) {
        this.chunk = await this.stream.next();
        this.at = 0;
        if (!this.chunk) break;
        if (this.chunk.length % ENTRY_BYTES !== 0)
          throw new Error('signature chunk not a whole number of entries');
      }
      const part = this.chunk.subarray(this.at, this.at + want - have);
      this.at += part.length;
      have += part.length;
      parts.push(part);
    }
    return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
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
  /** The target path whose copy the signature describes, when not `targetPath` (a rename). */
  baseFrom?: string,
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
      ...(useBase && baseFrom !== undefined ? { baseFrom } : {}),
      xattrs,
    }));
  let dirtyBytes = 0;
  let holeStart = -1;
  let holeLength = 0;
  // A chunk's frames are queued and sent together: one write for the chunk's scattered changed
  // blocks instead of one (and one TLS record) per block.
  // Each is ready once its data is compressed (when it is); they are issued in order.
  const queued: Promise<() => Promise<void>>[] = [];
  const sendQueued = async (): Promise<void> => {
    if (queued.length === 0) return;
    const batch = await Promise.all(queued.splice(0));
    await client.sendTogether(() => batch.map((send) => send()));
  };
  const flushHole = (): void => {
    if (holeLength === 0) return;
    openPut();
    const [start, length] = [holeStart, holeLength];
    queued.push(Promise.resolve(() => client.sendHole(start, length)));
    holeStart = -1;
    holeLength = 0;
  };

  // The source's access times stay as the machine's own use left them.
  const fd = openNoAtimeSync(source);
  const chunks = openChunks(fd, size, blockSize);
  try {
    let position = 0;
    let blockIndex = 0;
    for (let chunk = await chunks.next(); chunk; chunk = await chunks.next()) {
      const { data } = chunk;
      const blocks = Math.ceil(data.length / blockSize);
      const hashes = chunk.hashes ?? hashBlocks(data, blockSize);
      hash.addEntries(hashes, data.length);
      const known = Math.max(0, Math.min(blocks, agentBlocks - blockIndex));
      const entries = known > 0 ? await cursor.take(known) : EMPTY;
      // Every block of the chunk is as long on the agent as here and hashes the same: unchanged,
      // one comparison for the chunk instead of one a block.
      const end = position + data.length;
      const sameLengths =
        known === blocks &&
        end <= head.size &&
        (data.length % blockSize === 0 || end === head.size);
      if (sameLengths && hashes.equals(entries)) {
        flushHole();
        await sendQueued();
        position = end;
        blockIndex += blocks;
        continue;
      }
      let runStart = -1;
      const flushRun = (to: number): void => {
        if (runStart < 0) return;
        openPut();
        const [offset, piece] = [position + runStart, data.subarray(runStart, to)];
        const ready = client.prepareBlocks(offset, piece);
        // Awaited by sendQueued; a failure before then must not go unhandled.
        ready.catch(() => undefined);
        queued.push(ready);
        dirtyBytes += to - runStart;
        runStart = -1;
      };
      for (let i = 0; i < blocks; i++, blockIndex++) {
        const at = i * blockSize;
        const length = Math.min(blockSize, data.length - at);
        const agentLength = Math.min(blockSize, head.size - blockIndex * blockSize);
        if (i < known && agentLength === length && sameEntry(hashes, entries, i * ENTRY_BYTES)) {
          // A hole run ends at an unchanged block: its frame covers only contiguous zeros.
          flushRun(at);
          flushHole();
          continue;
        }
        if (
          sameEntry(hashes, zeroBlockHash(length), i * ENTRY_BYTES, 0) &&
          isAllZero(data.subarray(at, at + length))
        ) {
          flushRun(at);
          if (holeLength === 0) holeStart = position + at;
          holeLength += length;
          continue;
        }
        flushHole();
        if (runStart < 0) runStart = at;
      }
      flushRun(data.length);
      // Sent before the next chunk: the blocks are copied out of this chunk's memory.
      await sendQueued();
      position = end;
    }
    flushHole();
    await sendQueued();
  } finally {
    await chunks.close();
    closeSync(fd);
  }
  await signature.drain();
  // A renamed file's new name does not exist on the target yet: it is always put.
  const unchanged = useBase && put === null && head.size === size && baseFrom === undefined;
  if (!unchanged) openPut();
  const digest = hash.hex();
  if (put) await client.endPut((put as { id: number }).id, digest);
  return {
    dirtyBytes,
    hash: digest,
    unchanged,
    applied: put ? (put as { done: Promise<unknown> }).done : null,
    agentMeta: head.meta ?? null,
  };
}

const EMPTY = Buffer.alloc(0);

/** Whether two 16-byte entries are equal, without a slice or a native call per block. */
function sameEntry(a: Buffer, b: Buffer, at: number, bAt = at): boolean {
  return (
    a.readUInt32LE(at) === b.readUInt32LE(bAt) &&
    a.readUInt32LE(at + 4) === b.readUInt32LE(bAt + 4) &&
    a.readUInt32LE(at + 8) === b.readUInt32LE(bAt + 8) &&
    a.readUInt32LE(at + 12) === b.readUInt32LE(bAt + 12)
  );
}

/** The block hashes of `data`, one entry a block, in one buffer. */
function hashBlocks(data: Buffer, blockSize: number): Buffer {
  const out = Buffer.allocUnsafe(Math.ceil(data.length / blockSize) * ENTRY_BYTES);
  writeSignature(data, blockSize, out, 0);
  return out;
}

/** The file's bytes in chunks of whole blocks, with their block hashes when a worker made them. */
interface Chunks {
  next(): Promise<{ data: Buffer; hashes: Buffer | null } | null>;
  /** Waits for reads still in flight, so the descriptor can be closed. */
  close(): Promise<void>;
}

/** Files from this size are read and hashed on the worker threads. */
const POOLED_MIN = 4 * 1024 * 1024;

/**
 * Reads `size` bytes of `fd` in chunks. A file that shrank while being read is padded with
 * zeros to the size announced; it stays in the change record and goes again.
 */
function openChunks(fd: number, size: number, blockSize: number): Chunks {
  const pool = size >= POOLED_MIN && blockSize <= SLOT_BYTES ? HashPool.shared() : null;
  return pool ? pooledChunks(pool, fd, size, blockSize) : inlineChunks(fd, size, blockSize);
}

/**
 * Synchronous reads and hashes on this thread: a page-cache read of one chunk costs less than a
 * thread-pool round trip, which made thousands of small files latency-bound.
 */
function inlineChunks(fd: number, size: number, blockSize: number): Chunks {
  // Sized to the file, so thousands of small files do not each allocate a whole chunk.
  const buffer = chunkFor(size, blockSize);
  let position = 0;
  return {
    async next() {
      if (position >= size) return null;
      const want = Math.min(buffer.length, size - position);
      const data = buffer.subarray(0, want);
      const bytesRead = readWhole(fd, data, position);
      if (bytesRead < want) data.fill(0, bytesRead, want);
      position += want;
      return { data, hashes: null };
    },
    async close() {},
  };
}

/** Reads and hashes ahead on the worker threads, as many chunks as the pool has slots. */
function pooledChunks(pool: HashPool, fd: number, size: number, blockSize: number): Chunks {
  const chunkBytes = SLOT_BYTES - (SLOT_BYTES % blockSize);
  const ahead: Promise<HashedChunk>[] = [];
  let issued = 0;
  let current: HashedChunk | null = null;
  // Another file's reads may hold every slot (two migrations in one process): read here then.
  let spare: Buffer | null = null;
  const fill = (): void => {
    while (pool.canRead && issued < size) {
      const want = Math.min(chunkBytes, size - issued);
      ahead.push(pool.hashChunk(fd, issued, want, blockSize));
      issued += want;
    }
  };
  return {
    async next() {
      // The caller is done with the chunk it had (its sends copied what they took).
      if (current) pool.release(current);
      current = null;
      fill();
      const pending = ahead.shift();
      if (!pending) {
        if (issued >= size) return null;
        const want = Math.min(chunkBytes, size - issued);
        spare ??= Buffer.allocUnsafe(chunkBytes);
        const data = spare.subarray(0, want);
        const bytesRead = readWhole(fd, data, issued);
        if (bytesRead < want) data.fill(0, bytesRead, want);
        issued += want;
        return { data, hashes: null };
      }
      current = await pending;
      fill();
      if (current.bytesRead === current.data.length) return current;
      current.data.fill(0, current.bytesRead);
      return { data: current.data, hashes: null };
    },
    async close() {
      if (current) pool.release(current);
      current = null;
      for (const settled of await Promise.allSettled(ahead))
        if (settled.status === 'fulfilled') pool.release(settled.value);
    },
  };
}
