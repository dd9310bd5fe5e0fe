import { lstatSync, type BigIntStats } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { hashFile } from '../checksum/block-checksums.ts';
import { JsonLog } from '../record/json-log.ts';
import { statKey } from '../paths/stat-key.ts';

interface Entry {
  hash: string;
  key: string;
}

/**
 * Whole-file checksums of files the agent wrote or read whole, valid while the file's inode,
 * size, mtime and ctime stay the same (ctime cannot be set back from user space). Lets the
 * cutover's verification skip re-reading files nobody touched. Kept in the state dir, so a
 * restarted agent (a second window) still knows them.
 */
export class HashCache {
  private readonly entries = new Map<string, Entry>();
  /**
   * The same checksums by stat key (inode, size, mtime, ctime): every name of a hard-linked file
   * shares them, so the verification reads a linked file once, not once per name.
   */
  private readonly byInode = new Map<string, string>();

  private constructor(private readonly log: JsonLog | null) {}

  /** A cache kept in `stateDir`, or in memory only without one. */
  static async open(stateDir: string | null): Promise<HashCache> {
    if (!stateDir) return new HashCache(null);
    const cache = new HashCache(new JsonLog(join(stateDir, 'hash-cache.jsonl')));
    for (const record of await (cache.log as JsonLog).read()) {
      const [path, entry] = record as [string, Entry | null];
      if (entry) cache.entries.set(path, entry);
      else cache.entries.delete(path);
    }
    for (const { key, hash } of cache.entries.values()) cache.byInode.set(key, hash);
    await (cache.log as JsonLog).compact(cache.entries);
    return cache;
  }

  /** Remembers the checksum of a file just written, under its stat now. */
  remember(full: Buffer, hash: string): void {
    this.rememberAs(full, hash, lstatSync(full, { bigint: true }));
  }

  /** Remembers a checksum computed while reading a file whose stat was `info` throughout. */
  rememberAs(full: Buffer, hash: string, info: BigIntStats): void {
    const path = full.toString('latin1');
    const entry = { hash, key: statKey(info) };
    this.entries.set(path, entry);
    this.byInode.set(entry.key, hash);
    this.log?.append([path, entry]);
  }

  /**
   * Runs a metadata change (owner, mode, times) and keeps the file's checksum valid across it:
   * the content did not change, only the ctime did.
   */
  keepAcross(full: Buffer, change: () => void): void {
    const path = full.toString('latin1');
    const cached = this.entries.get(path);
    const valid = cached !== undefined && cached.key === statKey(lstatSync(full, { bigint: true }));
    change();
    if (valid) this.rememberAs(full, cached.hash, lstatSync(full, { bigint: true }));
  }

  forget(full: Buffer): void {
    const path = full.toString('latin1');
    const entry = this.entries.get(path);
    if (!entry) return;
    this.entries.delete(path);
    if (this.byInode.get(entry.key) === entry.hash) this.byInode.delete(entry.key);
    this.log?.append([path, null]);
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
    const key = statKey(info);
    const cached = this.entries.get(full.toString('latin1'));
    if (allowCached && cached && cached.key === key) return cached.hash;
    const linked = allowCached ? this.byInode.get(key) : undefined;
    if (linked) return linked;
    const hash = await hashFile(full);
    this.rememberAs(full, hash, info);
    return hash;
  }

  flush(): Promise<void> {
    return this.log?.flush() ?? Promise.resolve();
  }
}
