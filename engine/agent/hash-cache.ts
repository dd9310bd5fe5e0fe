import { lstatSync, type BigIntStats } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { hashFile } from '../checksum/block-checksums.ts';

interface Entry {
  hash: string;
  key: string;
}

function statKey(info: BigIntStats): string {
  return `${info.ino}:${info.size}:${info.mtimeNs}:${info.ctimeNs}`;
}

/**
 * Whole-file checksums of files the agent wrote, valid while the file's inode, size, mtime and
 * ctime stay the same (ctime cannot be set back from user space). Lets the cutover's verification
 * skip re-reading files nobody touched since they were applied.
 */
export class HashCache {
  private readonly entries = new Map<string, Entry>();

  remember(full: Buffer, hash: string): void {
    const info = lstatSync(full, { bigint: true });
    this.entries.set(full.toString('latin1'), { hash, key: statKey(info) });
  }

  forget(full: Buffer): void {
    this.entries.delete(full.toString('latin1'));
  }

  /** The file's whole-file checksum, or null if it is not a regular file. */
  async hashOf(full: Buffer, allowCached: boolean): Promise<string | null> {
    let info: BigIntStats;
    try {
      info = await lstat(full, { bigint: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    if (!info.isFile()) return null;
    const name = full.toString('latin1');
    const cached = this.entries.get(name);
    if (allowCached && cached && cached.key === statKey(info)) return cached.hash;
    const hash = await hashFile(full);
    this.entries.set(name, { hash, key: statKey(info) });
    return hash;
  }
}
