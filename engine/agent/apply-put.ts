import { randomBytes } from 'node:crypto';
import {
  chmod,
  chown,
  lstat,
  open,
  rename,
  rm,
  unlink,
  utimes,
  type FileHandle,
} from 'node:fs/promises';
import { P2VError } from '../../shared/errors.ts';
import { isAllZero, WholeFileHash } from '../checksum/block-checksums.ts';
import { FrameType, type Frame } from '../protocol/frame.ts';
import type { RequestOf } from '../protocol/messages.ts';
import { nsToSeconds } from '../paths/times.ts';
import { syncDirectory, type TargetRoot } from './target-root.ts';
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

/**
 * Applies one `put`: builds a temp file beside the target from the unchanged parts of the old
 * file plus the blocks that arrive (in offset order), fsyncs it, checks the whole-file checksum,
 * sets owner, mode and times, renames it over the target and fsyncs the directory. Killed at any
 * point, the target holds the old file or the new one, never a mix.
 */
export async function applyPut(
  root: TargetRoot,
  journal: TempJournal,
  request: RequestOf<'put'>,
  nextFrame: FrameSource,
  canChown: boolean,
): Promise<AppliedFile> {
  let placement;
  try {
    placement = await root.place(request.path, true);
  } catch (error) {
    await drainUntilEnd(nextFrame, request.id);
    throw error;
  }
  const temp = root.tempBeside(placement, randomBytes(6).toString('hex'));
  await journal.add(temp);
  let base: FileHandle | null = null;
  let out: FileHandle | null = null;
  let ended = false;
  try {
    if (request.base) base = await openBase(placement.full);
    out = await open(temp, 'wx', 0o600);
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
        await fill.copy(cursor, request.size);
        await out.truncate(request.size);
        await out.sync();
        await out.close();
        out = null;
        const got = hash.hex();
        if (got !== end.hash)
          throw new P2VError(
            'CHECKSUM_MISMATCH',
            `${placement.full.toString()}: ${got} != ${end.hash}`,
          );
        break;
      }
      if (frame.body.length < 8) throw new P2VError('BAD_FRAME', 'short data frame');
      const offset = Number(frame.body.readBigUInt64BE(0));
      if (offset < cursor) throw new P2VError('BAD_FRAME', 'blocks out of order');
      if (frame.type === FrameType.blocks) {
        const data = frame.body.subarray(8);
        if (offset + data.length > request.size)
          throw new P2VError('BAD_FRAME', 'block past end of file');
        await fill.copy(cursor, offset);
        await out.write(data, 0, data.length, offset);
        hash.update(data);
        cursor = offset + data.length;
      } else if (frame.type === FrameType.hole) {
        if (frame.body.length !== 16) throw new P2VError('BAD_FRAME', 'bad hole frame');
        const length = Number(frame.body.readBigUInt64BE(8));
        if (offset + length > request.size)
          throw new P2VError('BAD_FRAME', 'hole past end of file');
        await fill.copy(cursor, offset);
        hash.updateZeros(length);
        cursor = offset + length;
      } else {
        throw new P2VError('BAD_FRAME', `unexpected frame type ${frame.type} in put`);
      }
    }
    if (canChown) await chown(temp, request.uid, request.gid);
    await chmod(temp, request.mode);
    await utimes(temp, nsToSeconds(request.atimeNs), nsToSeconds(request.mtimeNs));
    await replaceWith(temp, placement.full);
    await syncDirectory(placement.dir);
    await journal.remove(temp);
    return { full: placement.full, hash: hash.hex() };
  } catch (error) {
    await out?.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    await journal.remove(temp);
    const streamBroken =
      error instanceof P2VError && (error.code === 'BAD_FRAME' || error.code === 'CONNECTION_LOST');
    if (!ended && !streamBroken) await drainUntilEnd(nextFrame, request.id);
    throw error;
  } finally {
    await base?.close().catch(() => undefined);
  }
}

/** Renames `temp` over `target`; a directory in the way (a type change on the source) goes first. */
export async function replaceWith(temp: Buffer, target: Buffer): Promise<void> {
  try {
    const info = await lstat(target);
    if (info.isDirectory()) await rm(target, { recursive: true, force: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await rename(temp, target);
}

async function openBase(full: Buffer): Promise<FileHandle | null> {
  try {
    const info = await lstat(full);
    if (!info.isFile()) return null;
    return await open(full, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
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
  private readonly buffer = Buffer.allocUnsafe(COPY_CHUNK);

  constructor(
    private readonly base: FileHandle | null,
    private readonly out: FileHandle,
    private readonly hash: WholeFileHash,
  ) {}

  async copy(from: number, to: number): Promise<void> {
    if (from >= to) return;
    if (!this.base) throw new P2VError('BAD_FRAME', 'gap in a new file');
    let position = from;
    while (position < to) {
      const want = Math.min(COPY_CHUNK, to - position);
      const { bytesRead } = await this.base.read(this.buffer, 0, want, position);
      if (bytesRead < want)
        throw new P2VError('BAD_FRAME', 'unchanged range past the end of the old file');
      const data = this.buffer.subarray(0, bytesRead);
      this.hash.update(data);
      await this.writeSparse(data, position);
      position += bytesRead;
    }
  }

  private async writeSparse(data: Buffer, position: number): Promise<void> {
    let runStart = -1;
    for (let at = 0; at < data.length; at += HOLE_UNIT) {
      const zero = isAllZero(data.subarray(at, at + HOLE_UNIT));
      if (!zero && runStart < 0) runStart = at;
      if (zero && runStart >= 0) {
        await this.out.write(data, runStart, at - runStart, position + runStart);
        runStart = -1;
      }
    }
    if (runStart >= 0)
      await this.out.write(data, runStart, data.length - runStart, position + runStart);
  }
}
