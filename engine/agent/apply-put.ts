import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fchmodSync,
  fchownSync,
  ftruncateSync,
  futimesSync,
  lstatSync,
  openSync,
  readSync,
  unlinkSync,
  writeSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { P2VError } from '../../shared/errors.ts';
import { isAllZero, WholeFileHash } from '../checksum/block-checksums.ts';
import { displayPath } from '../paths/raw-path.ts';
import { applyXattrs } from '../paths/xattrs.ts';
import { nsToSeconds } from '../paths/times.ts';
import { FrameType, type Frame } from '../protocol/frame.ts';
import type { RequestOf } from '../protocol/messages.ts';
import type { Placement, TargetRoot } from './target-root.ts';
import type { TempJournal } from './temp-journal.ts';

const COPY_CHUNK = 1024 * 1024;
const HOLE_UNIT = 4096;

/** What the apply leaves behind for the agent's hash cache. */
export interface AppliedFile {
  full: Buffer;
  hash: string;
}

/** Where put frames come from: the connection, read until the matching putEnd. */
export type FrameSource = () => Promise<Frame>;

/** A temp file whose bytes are all written and checked; a commit makes it the target file. */
export interface ReceivedFile {
  /** Open descriptor of the temp file, still to be fsynced and closed. */
  fd: number;
  temp: Buffer;
  placement: Placement;
  hash: string;
  /** What could not be set on it (extended attributes), said in the acknowledgement. */
  warning: string | null;
}

/**
 * Receives one `put`: builds a temp file beside the target from the unchanged parts of the old
 * file plus the blocks that arrive (in offset order), sets its owner, mode and times, and checks
 * its whole-file checksum. The commit (commit-batch.ts) fsyncs it, renames it over the target
 * and fsyncs the directory. Killed at any point, the target holds the old file or the new one.
 *
 * The writes here are synchronous on purpose: each is a page-cache copy of at most one frame,
 * far cheaper than a thread-pool round trip per call, which made small files latency-bound.
 * The fsyncs, which do wait on the disk, run in the commit on the thread pool.
 */
export async function receivePut(
  root: TargetRoot,
  journal: TempJournal,
  request: RequestOf<'put'>,
  nextFrame: FrameSource,
  canChown: boolean,
): Promise<ReceivedFile> {
  let placement;
  try {
    placement = root.place(request.path, true);
  } catch (error) {
    await drainUntilEnd(nextFrame, request.id);
    throw error;
  }
  const temp = root.tempBeside(placement, randomBytes(6).toString('hex'));
  journal.add(temp);
  let base: number | null = null;
  let out: number | null = null;
  let ended = false;
  let finalHash = '';
  let warning: string | null = null;
  try {
    if (request.base) base = openBase(placement.full);
    out = openSync(temp, 'wx', 0o600);
    const hash = new WholeFileHash();
    const fill = new BaseFiller(base, out, hash);
    let cursor = 0;
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
        ended = true;
        fill.copy(cursor, request.size);
        ftruncateSync(out, request.size);
        finalHash = hash.hex();
        if (finalHash !== end.hash) {
          throw new P2VError(
            'CHECKSUM_MISMATCH',
            `${displayPath(request.path)}: ${finalHash} != ${end.hash}`,
          );
        }
        break;
      }
      if (frame.body.length < 8) throw new P2VError('BAD_FRAME', 'short data frame');
      const offset = Number(frame.body.readBigUInt64BE(0));
      if (offset < cursor) throw new P2VError('BAD_FRAME', 'blocks out of order');
      if (frame.type === FrameType.blocks) {
        const data = frame.body.subarray(8);
        if (offset + data.length > request.size)
          throw new P2VError('BAD_FRAME', 'block past end of file');
        fill.copy(cursor, offset);
        writeAll(out, data, offset);
        hash.update(data);
        cursor = offset + data.length;
      } else if (frame.type === FrameType.hole) {
        if (frame.body.length !== 16) throw new P2VError('BAD_FRAME', 'bad hole frame');
        const length = Number(frame.body.readBigUInt64BE(8));
        if (offset + length > request.size)
          throw new P2VError('BAD_FRAME', 'hole past end of file');
        fill.copy(cursor, offset);
        hash.updateZeros(length);
        cursor = offset + length;
      } else {
        throw new P2VError('BAD_FRAME', `unexpected frame type ${frame.type} in put`);
      }
    }
    if (canChown) fchownSync(out, request.uid, request.gid);
    fchmodSync(out, request.mode);
    futimesSync(out, nsToSeconds(request.atimeNs), nsToSeconds(request.mtimeNs));
    // After the owner (a chown drops file capabilities) and the data, before the rename: the
    // file appears with its labels, capabilities and ACLs or not at all.
    if (request.xattrs) warning = applyXattrs(temp, request.xattrs);
  } catch (error) {
    if (out !== null) closeSync(out);
    tryUnlinkSync(temp);
    journal.remove(temp);
    const streamBroken =
      error instanceof P2VError && (error.code === 'BAD_FRAME' || error.code === 'CONNECTION_LOST');
    if (!ended && !streamBroken) await drainUntilEnd(nextFrame, request.id);
    throw error;
  } finally {
    if (base !== null) closeSync(base);
  }
  return { fd: out, temp, placement, hash: finalHash, warning };
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

function openBase(full: Buffer): number | null {
  try {
    if (!lstatSync(full).isFile()) return null;
    return openSync(full, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

function writeAll(fd: number, data: Buffer, position: number): void {
  let done = 0;
  while (done < data.length) done += writeSync(fd, data, done, data.length - done, position + done);
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
    private readonly hash: WholeFileHash,
  ) {}

  copy(from: number, to: number): void {
    if (from >= to) return;
    if (this.base === null) throw new P2VError('BAD_FRAME', 'gap in a new file');
    let position = from;
    while (position < to) {
      if (!this.buffer || this.buffer.length < Math.min(COPY_CHUNK, to - position)) {
        this.buffer = Buffer.allocUnsafe(Math.min(COPY_CHUNK, Math.max(to - position, HOLE_UNIT)));
      }
      const want = Math.min(this.buffer.length, to - position);
      const bytesRead = readSync(this.base, this.buffer, 0, want, position);
      if (bytesRead < want)
        throw new P2VError('BAD_FRAME', 'unchanged range past the end of the old file');
      const data = this.buffer.subarray(0, bytesRead);
      this.hash.update(data);
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
