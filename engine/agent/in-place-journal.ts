import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fchmodSync,
  fchownSync,
  fstatSync,
  fsync,
  fsyncSync,
  ftruncateSync,
  futimesSync,
  mkdirSync,
  openSync,
  readdirSync,
  unlinkSync,
} from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { P2VError } from '../../shared/errors.ts';
import { loadXXHash } from '../checksum/xxhash-binding.ts';
import { ZEROS } from '../checksum/block-checksums.ts';
import { nsToSeconds } from '../paths/times.ts';
import { applyXattrs, type Xattr } from '../paths/xattrs.ts';
import { syncDirectory, syncDirectorySync } from '../storage/durable-write.ts';
import { readExactly, writeAll } from '../storage/positional-io.ts';

const { XXHash128 } = loadXXHash();
const fsyncFd = promisify(fsync);

const MAGIC = Buffer.from('P2VREDO1', 'latin1');
const RECORD_HEAD = 17;
const TRAILER = 4 + 16 + MAGIC.length;
const COPY_CHUNK = 1024 * 1024;
const ENDS_EARLY = 'redo journal ends early';

enum RecordType {
  blocks = 1,
  hole = 2,
}

/** What the file becomes besides its changed blocks, applied after them. */
export interface InPlaceEnding {
  /** The target's full path, in latin1. */
  path: string;
  /**
   * The target's inode when the journal was made. A journal left by an apply that failed is
   * not replayed over a file that was since replaced (a new inode) by a later put.
   */
  ino: string;
  size: number;
  mode: number;
  uid: number;
  gid: number;
  atimeNs: string;
  mtimeNs: string;
  chown: boolean;
  xattrs: Xattr[] | undefined;
}

/**
 * The redo journal of one in-place apply: the new blocks of a big file, written to the agent's
 * state folder while they arrive, then sealed (its own checksum and what the file becomes) and
 * fsynced before the target is touched. Only then are the blocks written over the target, the
 * target fsynced and the journal dropped. A start after a crash replays every sealed journal
 * (the writes are idempotent) and drops every unsealed one, whose target was never touched:
 * the target is its old version or its new one, never a mix.
 */
export class RedoJournal {
  readonly path: string;
  private readonly fd: number;
  private readonly hash = new XXHash128(Buffer.alloc(8));
  private written = 0;
  private readonly head = Buffer.allocUnsafe(RECORD_HEAD);

  constructor(stateDir: string) {
    const dir = journalDir(stateDir);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.path = join(dir, `${randomBytes(8).toString('hex')}.redo`);
    this.fd = openSync(this.path, 'wx', 0o600);
  }

  blocks(offset: number, data: Buffer): void {
    this.record(RecordType.blocks, offset, data.length);
    this.append(data);
  }

  hole(offset: number, length: number): void {
    this.record(RecordType.hole, offset, length);
  }

  /** Writes what the file becomes and the journal's checksum; `commit` makes it durable. */
  seal(ending: InPlaceEnding): void {
    const json = Buffer.from(JSON.stringify(ending), 'utf8');
    this.append(json);
    const length = Buffer.allocUnsafe(4);
    length.writeUInt32BE(json.length);
    this.append(length);
    const digest = this.hash.digest();
    writeAll(this.fd, Buffer.concat([digest, MAGIC]), this.written);
  }

  /** Fsyncs the sealed journal; from here on a crash finishes the apply at the next start. */
  async commit(): Promise<void> {
    await fsyncFd(this.fd);
    closeSync(this.fd);
  }

  /** Drops a journal that was never committed (a failed or refused put). */
  abandon(): void {
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
    tryUnlink(this.path);
  }

  private record(type: RecordType, offset: number, length: number): void {
    this.head.writeUInt8(type, 0);
    this.head.writeBigUInt64BE(BigInt(offset), 1);
    this.head.writeBigUInt64BE(BigInt(length), 9);
    this.append(this.head);
  }

  private append(data: Buffer): void {
    writeAll(this.fd, data, this.written);
    this.hash.update(data);
    this.written += data.length;
  }
}

/**
 * Applies a committed journal to its target (blocks, size, owner, mode, times, attributes),
 * fsyncs the target, then drops the journal and fsyncs its folder. Returns what an attribute
 * could not be set, if anything.
 */
export async function applyJournal(journalPath: string): Promise<string | null> {
  const done = replay(journalPath);
  if (!done) throw new Error('the file changed under its in-place apply');
  const { target, warning } = done;
  try {
    await fsyncFd(target);
  } finally {
    closeSync(target);
  }
  tryUnlink(journalPath);
  await syncDirectory(join(journalPath, '..'));
  return warning;
}

/**
 * Finishes or drops what a killed agent left in `stateDir`: sealed journals are applied, torn
 * ones deleted. Returns the targets that were written, in latin1, so what the agent knew of
 * them is forgotten.
 */
export function recoverInPlace(stateDir: string): { replayed: string[]; dropped: number } {
  const dir = journalDir(stateDir);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { replayed: [], dropped: 0 };
    throw error;
  }
  const replayed: string[] = [];
  let dropped = 0;
  for (const name of names) {
    const path = join(dir, name);
    let done: ReturnType<typeof replay> = null;
    try {
      done = name.endsWith('.redo') && sealedLength(path) !== null ? replay(path) : null;
    } catch (error) {
      // The target may be half written: the agent does not start until it can be finished.
      throw new P2VError(
        'IO_ERROR',
        `an in-place change recorded in ${path} cannot be finished (${(error as Error).message}); fix the cause and start the agent again, which finishes it`,
      );
    }
    if (done) {
      try {
        fsyncSync(done.target);
      } finally {
        closeSync(done.target);
      }
      replayed.push(done.ending.path);
    } else dropped++;
    tryUnlink(path);
  }
  if (names.length > 0) syncDirectorySync(dir);
  return { replayed, dropped };
}

function journalDir(stateDir: string): string {
  return join(stateDir, 'in-place');
}

/** The length of the journal's body and ending, if its seal is whole and its checksum holds. */
function sealedLength(path: string): number | null {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size < TRAILER) return null;
    const trailer = Buffer.alloc(TRAILER);
    readExactly(fd, trailer, size - TRAILER, ENDS_EARLY);
    if (!trailer.subarray(4 + 16).equals(MAGIC)) return null;
    const hash = new XXHash128(Buffer.alloc(8));
    const chunk = Buffer.allocUnsafe(COPY_CHUNK);
    const bodyAndLength = size - 16 - MAGIC.length;
    for (let at = 0; at < bodyAndLength;) {
      const n = Math.min(chunk.length, bodyAndLength - at);
      readExactly(fd, chunk.subarray(0, n), at, ENDS_EARLY);
      hash.update(chunk.subarray(0, n));
      at += n;
    }
    return hash.digest().equals(trailer.subarray(4, 20)) ? size : null;
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes a sealed journal's records over its target and sets what the ending says; returns the
 * target still open, to be fsynced by the caller.
 */
function replay(
  path: string,
): { ending: InPlaceEnding; target: number; warning: string | null } | null {
  const fd = openSync(path, 'r');
  let target: number | null = null;
  try {
    const size = fstatSync(fd).size;
    const length = Buffer.alloc(4);
    readExactly(fd, length, size - TRAILER, ENDS_EARLY);
    const jsonLength = length.readUInt32BE(0);
    const jsonAt = size - TRAILER - jsonLength;
    const json = Buffer.alloc(jsonLength);
    readExactly(fd, json, jsonAt, ENDS_EARLY);
    const ending = JSON.parse(json.toString('utf8')) as InPlaceEnding;
    const full = Buffer.from(ending.path, 'latin1');
    try {
      target = openSync(full, 'r+');
    } catch (error) {
      // The file is gone or is something else now: the journal is of a version nobody needs.
      if (['ENOENT', 'ENOTDIR', 'EISDIR'].includes((error as NodeJS.ErrnoException).code ?? ''))
        return null;
      throw error;
    }
    if (String(fstatSync(target, { bigint: true }).ino) !== ending.ino) return null;
    const head = Buffer.alloc(RECORD_HEAD);
    const chunk = Buffer.allocUnsafe(COPY_CHUNK);
    for (let at = 0; at < jsonAt;) {
      readExactly(fd, head, at, ENDS_EARLY);
      at += RECORD_HEAD;
      const type = head.readUInt8(0) as RecordType;
      const offset = Number(head.readBigUInt64BE(1));
      const count = Number(head.readBigUInt64BE(9));
      for (let done = 0; done < count;) {
        const n = Math.min(chunk.length, count - done);
        const data = type === RecordType.hole ? ZEROS.subarray(0, n) : chunk.subarray(0, n);
        if (type === RecordType.blocks) {
          readExactly(fd, data, at, ENDS_EARLY);
          at += n;
        }
        writeAll(target, data, offset + done);
        done += n;
      }
    }
    ftruncateSync(target, ending.size);
    if (ending.chown) fchownSync(target, ending.uid, ending.gid);
    fchmodSync(target, ending.mode);
    futimesSync(target, nsToSeconds(ending.atimeNs), nsToSeconds(ending.mtimeNs));
    const warning = ending.xattrs ? applyXattrs(full, ending.xattrs) : null;
    const open = target;
    target = null;
    return { ending, target: open, warning };
  } finally {
    if (target !== null) closeSync(target);
    closeSync(fd);
  }
}

function tryUnlink(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}
