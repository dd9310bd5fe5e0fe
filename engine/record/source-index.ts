import type { BigIntStats } from 'node:fs';
import { join } from 'node:path';
import type { RawPath } from '../paths/raw-path.ts';
import { JsonLog } from './json-log.ts';

/** What the target holds for one path, as of when it was sent and acknowledged. */
export interface IndexEntry {
  /** Source path as raw bytes. */
  source: RawPath;
  kind: 'file' | 'dir' | 'symlink';
  size: string;
  mtimeNs: string;
  ctimeNs: string;
  ino: string;
  dev: string;
  nlink: number;
  /** Whole-file checksum of what was sent, for files. */
  hash: string | null;
  /**
   * Modified less than a timestamp tick before it was read: a write just after the read can
   * leave size, mtime and ctime as they were, so the stat cannot vouch for the checksum and the
   * verification reads the file again.
   */
  racy?: boolean;
  /** Digest of the extended attributes sent with it ('' for none; engine/paths/xattrs.ts). */
  xattrs?: string;
}

/** The coarsest timestamp tick to expect: 2 s where times carry no sub-second part (FAT, ext3). */
function tickNs(mtimeNs: bigint): bigint {
  return mtimeNs % 1_000_000_000n === 0n ? 2_000_000_000n : 20_000_000n;
}

/** Whether a file modified at `info.mtimeNs` and read from `readFromMs` on is racily clean. */
export function modifiedNearRead(info: BigIntStats, readFromMs: number): boolean {
  return info.mtimeNs + tickNs(info.mtimeNs) > BigInt(readFromMs) * 1_000_000n;
}

/** The stat fields that say a file is unchanged since it was sent. */
export function sameStat(entry: IndexEntry, info: BigIntStats): boolean {
  return (
    entry.size === info.size.toString() &&
    entry.mtimeNs === info.mtimeNs.toString() &&
    entry.ctimeNs === info.ctimeNs.toString() &&
    entry.ino === info.ino.toString() &&
    entry.kind === kindOf(info)
  );
}

export function kindOf(info: BigIntStats): IndexEntry['kind'] | null {
  if (info.isFile()) return 'file';
  if (info.isDirectory()) return 'dir';
  if (info.isSymbolicLink()) return 'symlink';
  return null;
}

/**
 * The entry with a modification time no file has: still known (its source, what was sent), but
 * `sameStat` never holds for it, so the file goes again. For a file that changed while it was
 * sent, or one the target changed behind the migration's back.
 */
export function unsettled(entry: IndexEntry): IndexEntry {
  return { ...entry, mtimeNs: '-1' };
}

export function entryFrom(
  source: RawPath,
  info: BigIntStats,
  hash: string | null,
): IndexEntry | null {
  const kind = kindOf(info);
  if (!kind) return null;
  return {
    source,
    kind,
    size: info.size.toString(),
    mtimeNs: info.mtimeNs.toString(),
    ctimeNs: info.ctimeNs.toString(),
    ino: info.ino.toString(),
    dev: info.dev.toString(),
    nlink: Number(info.nlink),
    hash,
  };
}

/**
 * Every path the target holds, keyed by target path, persisted in the state dir as a log of
 * changes so a killed source resumes without sending again what was acknowledged.
 */
export class SourceIndex {
  readonly entries = new Map<RawPath, IndexEntry>();

  private constructor(private readonly log: JsonLog) {}

  static async open(stateDir: string): Promise<SourceIndex> {
    const index = new SourceIndex(new JsonLog(join(stateDir, 'index.jsonl')));
    for (const record of await index.log.read()) {
      const [target, entry] = record as [RawPath, IndexEntry | null];
      if (entry) index.entries.set(target, entry);
      else index.entries.delete(target);
    }
    await index.compact();
    return index;
  }

  get(target: RawPath): IndexEntry | undefined {
    return this.entries.get(target);
  }

  set(target: RawPath, entry: IndexEntry): void {
    this.entries.set(target, entry);
    this.log.append([target, entry]);
  }

  delete(target: RawPath): void {
    if (this.entries.delete(target)) this.log.append([target, null]);
  }

  /** Rewrites the log as one line per entry. */
  compact(): Promise<void> {
    return this.log.compact([...this.entries]);
  }

  flush(): Promise<void> {
    return this.log.flush();
  }
}
