import { lstatSync, type BigIntStats } from 'node:fs';
import { join } from 'node:path';
import { hashFile, hashSmallFileSync, SMALL_FILE_MAX } from '../checksum/block-checksums.ts';
import { JsonLog } from '../record/json-log.ts';
import { statKey } from '../paths/stat-key.ts';
import { SignatureStore, type StoredBlocks } from './signature-store.ts';

interface Entry {
  hash: string;
  key: string;
  /** The file's stored block hashes (signature-store.ts), for files of STORE_MIN and more. */
  sig?: string;
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

  private constructor(
    private readonly log: JsonLog | null,
    /** The block hashes of big files, which entries refer to by name. */
    readonly signatures: SignatureStore,
  ) {}

  /**
   * A cache kept in `stateDir`, or in memory only without one. `replayed` are files an in-place
   * apply was finished for at this start: what was known of them is forgotten.
   */
  static async open(stateDir: string | null, replayed: readonly string[] = []): Promise<HashCache> {
    if (!stateDir) return new HashCache(null, SignatureStore.open(null, new Set()));
    const log = new JsonLog(join(stateDir, 'hash-cache.jsonl'));
    const entries = new Map<string, Entry>();
    for (const record of await log.read()) {
      const [path, entry] = record as [string, Entry | null];
      if (entry) entries.set(path, entry);
      else entries.delete(path);
    }
    for (const path of replayed) entries.delete(path);
    const referenced = new Set([...entries.values()].flatMap((entry) => entry.sig ?? []));
    const cache = new HashCache(log, SignatureStore.open(stateDir, referenced));
    for (const [path, entry] of entries) cache.entries.set(path, entry);
    for (const { key, hash } of cache.entries.values()) cache.byInode.set(key, hash);
    await log.compact(cache.entries);
    return cache;
  }

  /** Remembers the checksum (and stored block hashes) of a file just written, under its stat now. */
  remember(full: Buffer, hash: string, sig: string | null = null): void {
    this.rememberAs(full, hash, lstatSync(full, { bigint: true }), sig);
  }

  /** Remembers a checksum computed while reading a file whose stat was `info` throughout. */
  rememberAs(full: Buffer, hash: string, info: BigIntStats, sig: string | null = null): void {
    const path = full.toString('latin1');
    const entry: Entry = { hash, key: statKey(info), ...(sig ? { sig } : {}) };
    const old = this.entries.get(path);
    if (old?.sig && old.sig !== sig) this.signatures.remove(old.sig);
    this.entries.set(path, entry);
    this.byInode.set(entry.key, hash);
    this.log?.append([path, entry]);
  }

  /** The file's stored block hashes, if they are of the file as it is now (`info`). */
  storedBlocks(full: Buffer, info: BigIntStats): StoredBlocks | null {
    const entry = this.entries.get(full.toString('latin1'));
    if (!entry?.sig || entry.key !== statKey(info)) return null;
    return { name: entry.sig, size: Number(info.size), hash: entry.hash };
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
    if (valid)
      this.rememberAs(full, cached.hash, lstatSync(full, { bigint: true }), cached.sig ?? null);
  }

  forget(full: Buffer): void {
    const path = full.toString('latin1');
    const entry = this.entries.get(path);
    if (!entry) return;
    if (entry.sig) this.signatures.remove(entry.sig);
    this.entries.delete(path);
    if (this.byInode.get(entry.key) === entry.hash) this.byInode.delete(entry.key);
    this.log?.append([path, null]);
  }

  /**
   * The file's whole-file checksum, or null if it is not a regular file. `known` is its stat
   * when the caller already took it (a probe needs it for the metadata too).
   */
  async hashOf(full: Buffer, allowCached: boolean, known?: BigIntStats): Promise<string | null> {
    // A synchronous stat: a metadata lookup costs less than a thread-pool round trip, and the
    // verification asks for thousands in a row (docs/decisions.md, synchronous file I/O).
    const info = known ?? lstatSync(full, { bigint: true, throwIfNoEntry: false });
    if (!info?.isFile()) return null;
    const key = statKey(info);
    const cached = this.entries.get(full.toString('latin1'));
    if (allowCached && cached && cached.key === key) return cached.hash;
    const linked = allowCached ? this.byInode.get(key) : undefined;
    if (linked) return linked;
    const hash =
      (info.size <= SMALL_FILE_MAX ? hashSmallFileSync(full, SMALL_FILE_MAX) : null) ??
      (await hashFile(full));
    // A read that agrees with what was known keeps the stored block hashes with it.
    const kept = cached?.key === key && cached.hash === hash ? (cached.sig ?? null) : null;
    this.rememberAs(full, hash, info, kept);
    return hash;
  }

  flush(): Promise<void> {
    return this.log?.flush() ?? Promise.resolve();
  }
}
