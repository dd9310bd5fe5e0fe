import { randomBytes } from 'node:crypto';
import {
  accessSync,
  closeSync,
  constants,
  fchmodSync,
  fchownSync,
  ftruncateSync,
  futimesSync,
  lstatSync,
  openSync,
  unlinkSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { P2VError } from '../../shared/errors.ts';
import {
  blockSizeFor,
  chunkFor,
  ENTRY_BYTES,
  isAllZero,
  WholeFileHash,
  writeSignature,
  zeroBlockHash,
} from '../checksum/block-checksums.ts';
import { displayPath, type RawPath } from '../paths/raw-path.ts';
import { readWhole, writeAll } from '../storage/positional-io.ts';
import { applyXattrs } from '../paths/xattrs.ts';
import { nsToSeconds } from '../paths/times.ts';
import { FrameType, type Frame } from '../protocol/frame.ts';
import { decompressBlocks } from '../protocol/block-compression.ts';
import type { RequestOf } from '../protocol/messages.ts';
import type { Placement, TargetRoot } from './target-root.ts';
import type { TempJournal } from './temp-journal.ts';
import type { HashCache } from './hash-cache.ts';
import { RedoJournal } from './in-place-journal.ts';
import { type EntryReader, type SignatureWriter, STORE_MIN } from './signature-store.ts';

const HOLE_UNIT = 4096;
/** Stored entries copied at a time for an unchanged range of an in-place apply. */
const ENTRY_CHUNK = 4096;

/**
 * Files at least this big whose old version the agent knows by block hash are changed in place
 * under a redo journal, rather than rebuilt whole in a temp file. See docs/decisions.md.
 */
export const IN_PLACE_MIN = STORE_MIN;

/** Where put frames come from: the connection, read until the matching putEnd. */
export type FrameSource = () => Promise<Frame>;

/** What receiving a put needs of the agent. */
export interface PutTarget {
  root: TargetRoot;
  journal: TempJournal;
  hashes: HashCache;
  canChown: boolean;
  /** Where in-place journals go; without one every file is rebuilt in a temp file. */
  stateDir: string | null;
}

interface Received {
  placement: Placement;
  /** Whole-file checksum, checked against the source's. */
  hash: string;
  /** The new version's stored block hashes, for files of STORE_MIN and more. */
  sig: string | null;
  /** What could not be set on it (extended attributes), said in the acknowledgement. */
  warning: string | null;
}

/** A temp file whose bytes are all written and checked; a commit renames it over the target. */
export interface TempReceived extends Received {
  kind: 'temp';
  /** Open descriptor of the temp file, still to be fsynced and closed. */
  fd: number;
  temp: Buffer;
}

/** A sealed redo journal of a big file's changed blocks; a commit applies it in place. */
export interface InPlaceReceived extends Received {
  kind: 'in-place';
  redo: RedoJournal;
}

export type ReceivedFile = TempReceived | InPlaceReceived;

/** Where the bytes of a put go, range by range in offset order. */
interface PutSink {
  /** An unchanged range, kept from the old version. */
  keep(from: number, to: number): void;
  blocks(offset: number, data: Buffer): void;
  hole(offset: number, length: number): void;
}

/**
 * Receives one `put`. Most files are built in a temp file beside the target, from the unchanged
 * parts of the old file plus the blocks that arrive, and renamed over it at the commit
 * (commit-batch.ts). A big file whose old version's block hashes the agent keeps is changed in
 * place instead: the new blocks go to a redo journal and only the commit writes them over the
 * target (in-place-journal.ts). Either way the whole-file checksum is checked before the target
 * is touched, and a kill at any point leaves the old file or the new one.
 *
 * The writes here are synchronous on purpose: each is a page-cache copy of at most one frame,
 * far cheaper than a thread-pool round trip per call, which made small files latency-bound.
 * The fsyncs, which do wait on the disk, run in the commit on the thread pool.
 */
export async function receivePut(
  target: PutTarget,
  request: RequestOf<'put'>,
  nextFrame: FrameSource,
): Promise<ReceivedFile> {
  let placement;
  try {
    placement = target.root.place(request.path, true);
  } catch (error) {
    await drainUntilEnd(nextFrame, request.id);
    throw error;
  }
  const inPlace =
    request.base && request.baseFrom === undefined
      ? knownBigFile(target, placement.full, request.size)
      : null;
  if (inPlace)
    return receiveInPlace(target, request, nextFrame, placement, inPlace.old, inPlace.ino);
  return receiveIntoTemp(target, request, nextFrame, placement);
}

async function receiveIntoTemp(
  target: PutTarget,
  request: RequestOf<'put'>,
  nextFrame: FrameSource,
  placement: Placement,
): Promise<TempReceived> {
  const temp = target.root.tempBeside(placement, randomBytes(6).toString('hex'));
  target.journal.add(temp);
  const blockSize = blockSizeFor(request.size);
  const tally = new BlockTally(request.size, target.hashes);
  let base: number | null = null;
  let out: number | null = null;
  let ended = false;
  let warning: string | null = null;
  try {
    if (request.base) base = openBase(basePath(target, placement, request.baseFrom));
    out = openSync(temp, 'wx', 0o600);
    const fill = new BaseFiller(base, out, tally, blockSize);
    const fd = out;
    const sent = await readPut(request, nextFrame, blockSize, {
      keep: (from, to) => fill.copy(from, to),
      blocks: (offset, data) => {
        writeAll(fd, data, offset);
        tally.addData(data, blockSize);
      },
      hole: (_offset, length) => tally.addZeros(length, blockSize),
    });
    ended = true;
    ftruncateSync(out, request.size);
    tally.check(request.path, sent);
    if (target.canChown) fchownSync(out, request.uid, request.gid);
    fchmodSync(out, request.mode);
    futimesSync(out, nsToSeconds(request.atimeNs), nsToSeconds(request.mtimeNs));
    // After the owner (a chown drops file capabilities) and the data, before the rename: the
    // file appears with its labels, capabilities and ACLs or not at all.
    if (request.xattrs) warning = applyXattrs(temp, request.xattrs);
  } catch (error) {
    tally.abort();
    if (out !== null) closeSync(out);
    tryUnlinkSync(temp);
    target.journal.remove(temp);
    if (!ended && !streamBroken(error)) await drainUntilEnd(nextFrame, request.id);
    throw error;
  } finally {
    if (base !== null) closeSync(base);
  }
  return { kind: 'temp', fd: out, temp, placement, ...tally.finish(), warning };
}

async function receiveInPlace(
  target: PutTarget,
  request: RequestOf<'put'>,
  nextFrame: FrameSource,
  placement: Placement,
  old: EntryReader,
  ino: string,
): Promise<InPlaceReceived> {
  const blockSize = old.blockSize;
  const tally = new BlockTally(request.size, target.hashes);
  const redo = new RedoJournal(target.stateDir as string);
  let ended = false;
  try {
    const sent = await readPut(request, nextFrame, blockSize, {
      keep: (from, to) => {
        if (from >= to) return;
        // Only whole blocks of the old version that are the same blocks in the new one.
        if (to > old.size || (to % blockSize !== 0 && to !== old.size))
          throw new P2VError('BAD_FRAME', 'unchanged range past the end of the old file');
        const first = from / blockSize;
        const end = Math.ceil(to / blockSize);
        for (let index = first; index < end; index += ENTRY_CHUNK) {
          const entries = old.read(index, Math.min(ENTRY_CHUNK, end - index));
          const covered = Math.min(to, (index + entries.length / ENTRY_BYTES) * blockSize);
          tally.addEntries(entries, covered - index * blockSize);
        }
      },
      blocks: (offset, data) => {
        redo.blocks(offset, data);
        tally.addData(data, blockSize);
      },
      hole: (offset, length) => {
        redo.hole(offset, length);
        tally.addZeros(length, blockSize);
      },
    });
    ended = true;
    tally.check(request.path, sent);
    redo.seal({
      path: placement.full.toString('latin1'),
      ino,
      size: request.size,
      mode: request.mode,
      uid: request.uid,
      gid: request.gid,
      atimeNs: request.atimeNs,
      mtimeNs: request.mtimeNs,
      chown: target.canChown,
      xattrs: request.xattrs,
    });
  } catch (error) {
    tally.abort();
    redo.abandon();
    if (!ended && !streamBroken(error)) await drainUntilEnd(nextFrame, request.id);
    throw error;
  } finally {
    old.close();
  }
  return { kind: 'in-place', redo, placement, ...tally.finish(), warning: null };
}

/**
 * The stored block hashes of the target's current version, when the file can be changed in
 * place: big, one name only (a hard link would change under its other names), the same block
 * size before and after, and hashes that are sound.
 */
function knownBigFile(
  target: PutTarget,
  full: Buffer,
  size: number,
): { old: EntryReader; ino: string } | null {
  if (!target.stateDir || size < IN_PLACE_MIN) return null;
  const info = lstatSync(full, { bigint: true, throwIfNoEntry: false });
  if (
    !info?.isFile() ||
    info.nlink !== 1n ||
    blockSizeFor(Number(info.size)) !== blockSizeFor(size) ||
    // A file this agent may not write (read-only, for an agent that is not root) is replaced,
    // never half written.
    !canWrite(full)
  )
    return null;
  const stored = target.hashes.storedBlocks(full, info);
  const old = stored ? target.hashes.signatures.open(stored) : null;
  return old ? { old, ino: String(info.ino) } : null;
}

/**
 * Reads a put's frames until its putEnd, checking that ranges come in offset order, on block
 * boundaries and inside the file, and hands each range to `sink`; what no frame covered is kept.
 * Returns the checksum the source sent.
 */
async function readPut(
  request: RequestOf<'put'>,
  nextFrame: FrameSource,
  blockSize: number,
  sink: PutSink,
): Promise<string> {
  let cursor = 0;
  const startOf = (offset: number, length: number): void => {
    if (offset < cursor) throw new P2VError('BAD_FRAME', 'blocks out of order');
    if (offset % blockSize !== 0) throw new P2VError('BAD_FRAME', 'range not on a block boundary');
    if (offset + length > request.size) throw new P2VError('BAD_FRAME', 'range past end of file');
    if (length % blockSize !== 0 && offset + length !== request.size)
      throw new P2VError('BAD_FRAME', 'range not a whole number of blocks');
    sink.keep(cursor, offset);
    cursor = offset + length;
  };
  for (;;) {
    const frame = await nextFrame();
    if (frame.type === FrameType.message) {
      const end = JSON.parse(frame.body.toString('utf8')) as {
        t?: string;
        id?: number;
        hash?: string;
      };
      if (end.t !== 'putEnd' || end.id !== request.id || typeof end.hash !== 'string') {
        throw new P2VError('BAD_FRAME', 'expected putEnd');
      }
      sink.keep(cursor, request.size);
      return end.hash;
    }
    if (frame.body.length < 8) throw new P2VError('BAD_FRAME', 'short data frame');
    const offset = Number(frame.body.readBigUInt64BE(0));
    if (frame.type === FrameType.blocks || frame.type === FrameType.compressedBlocks) {
      const data =
        frame.type === FrameType.blocks
          ? frame.body.subarray(8)
          : await decompressBlocks(frame.body.subarray(8));
      startOf(offset, data.length);
      sink.blocks(offset, data);
    } else if (frame.type === FrameType.hole) {
      if (frame.body.length !== 16) throw new P2VError('BAD_FRAME', 'bad hole frame');
      const length = Number(frame.body.readBigUInt64BE(8));
      startOf(offset, length);
      sink.hole(offset, length);
    } else {
      throw new P2VError('BAD_FRAME', `unexpected frame type ${frame.type} in put`);
    }
  }
}

/**
 * The new version's block hashes as they are worked out: folded into the whole-file checksum,
 * and written to the signature store for a big file.
 */
class BlockTally {
  private readonly whole = new WholeFileHash();
  private readonly writer: SignatureWriter | null;
  private hashText = '';

  constructor(size: number, hashes: HashCache) {
    this.writer = size >= STORE_MIN ? hashes.signatures.writer() : null;
  }

  addData(data: Buffer, blockSize: number): void {
    const entries = Buffer.allocUnsafe(Math.ceil(data.length / blockSize) * ENTRY_BYTES);
    writeSignature(data, blockSize, entries, 0);
    this.addEntries(entries, data.length);
  }

  addZeros(length: number, blockSize: number): void {
    this.whole.addZeros(length, blockSize);
    if (!this.writer) return;
    const whole = Math.floor(length / blockSize);
    for (let i = 0; i < whole; i++) this.writer.add(zeroBlockHash(blockSize));
    if (length % blockSize > 0) this.writer.add(zeroBlockHash(length % blockSize));
  }

  addEntries(entries: Buffer, length: number): void {
    this.whole.addEntries(entries, length);
    this.writer?.add(entries);
  }

  /** Checks the checksum against the one the source sent in its putEnd. */
  check(path: RawPath, sent: string): void {
    this.hashText = this.whole.hex();
    if (this.hashText !== sent)
      throw new P2VError('CHECKSUM_MISMATCH', `${displayPath(path)}: ${this.hashText} != ${sent}`);
  }

  finish(): { hash: string; sig: string | null } {
    return { hash: this.hashText, sig: this.writer?.finish() ?? null };
  }

  abort(): void {
    this.writer?.abort();
  }
}

function streamBroken(error: unknown): boolean {
  return (
    error instanceof P2VError && (error.code === 'BAD_FRAME' || error.code === 'CONNECTION_LOST')
  );
}

/** `replaceWith` with synchronous calls, for the commit of many small files. */
export function replaceWithSync(temp: Buffer, target: Buffer): void {
  const existing = lstatSync(target, { throwIfNoEntry: false });
  if (!existing?.isDirectory()) {
    renameSync(temp, target);
    return;
  }
  // A folder becomes a file or a link: the folder is set aside whole (a temp name the sweep at
  // start removes), the new entry renamed in, and only then the old folder removed, so a crash
  // never leaves the folder half deleted.
  const aside = Buffer.concat([temp, Buffer.from('.old')]);
  renameSync(target, aside);
  renameSync(temp, target);
  rmSync(aside, { recursive: true, force: true });
}

function canWrite(full: Buffer): boolean {
  try {
    accessSync(full, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** Where the old version is: the target itself, or the old name of a renamed file. */
function basePath(target: PutTarget, placement: Placement, baseFrom?: string): Buffer | null {
  if (baseFrom === undefined) return placement.full;
  try {
    return target.root.place(baseFrom, false).full;
  } catch {
    // A folder on the way is gone: there is no base, and a put that needs one is refused.
    return null;
  }
}

function openBase(full: Buffer | null): number | null {
  if (full === null) return null;
  try {
    if (!lstatSync(full).isFile()) return null;
    return openSync(full, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

function tryUnlinkSync(path: Buffer): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

/** Reads and drops the rest of a put the agent refused, so the stream stays in step. */
export async function drainUntilEnd(nextFrame: FrameSource, id: number): Promise<void> {
  for (;;) {
    const frame = await nextFrame();
    if (frame.type !== FrameType.message) continue;
    const message = JSON.parse(frame.body.toString('utf8')) as { t?: string; id?: number };
    if (message.t === 'putEnd' && message.id === id) return;
    throw new P2VError('BAD_FRAME', 'expected putEnd');
  }
}

/** Copies unchanged ranges from the old file into the temp file, leaving zero runs as holes. */
class BaseFiller {
  private buffer: Buffer | null = null;

  constructor(
    private readonly base: number | null,
    private readonly out: number,
    private readonly tally: BlockTally,
    private readonly blockSize: number,
  ) {}

  copy(from: number, to: number): void {
    if (from >= to) return;
    if (this.base === null) throw new P2VError('BAD_FRAME', 'gap in a new file');
    this.buffer ??= chunkFor(to - from, this.blockSize);
    let position = from;
    while (position < to) {
      const want = Math.min(this.buffer.length, to - position);
      const bytesRead = readWhole(this.base, this.buffer.subarray(0, want), position);
      if (bytesRead < want)
        throw new P2VError('BAD_FRAME', 'unchanged range past the end of the old file');
      const data = this.buffer.subarray(0, bytesRead);
      this.tally.addData(data, this.blockSize);
      this.writeSparse(data, position);
      position += bytesRead;
    }
  }

  private writeSparse(data: Buffer, position: number): void {
    let runStart = -1;
    for (let at = 0; at < data.length; at += HOLE_UNIT) {
      const zero = isAllZero(data.subarray(at, at + HOLE_UNIT));
      if (!zero && runStart < 0) runStart = at;
      if (zero && runStart >= 0) {
        writeAll(this.out, data.subarray(runStart, at), position + runStart);
        runStart = -1;
      }
    }
    if (runStart >= 0) writeAll(this.out, data.subarray(runStart), position + runStart);
  }
}
