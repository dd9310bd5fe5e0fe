import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readdirSync, readSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { blockSizeFor, ENTRY_BYTES, WholeFileHash } from '../checksum/block-checksums.ts';
import { readExactly, writeAll } from '../storage/positional-io.ts';

/** Files at least this big keep their block hashes on the agent; smaller ones are read again. */
export const STORE_MIN = 1024 * 1024;

const WRITE_BUFFER = 64 * 1024;

/** Which stored block-hash file belongs to a file, and what it must hash to. */
export interface StoredBlocks {
  name: string;
  size: number;
  hash: string;
}

/**
 * The agent's kept block hashes: one file of entries (16 bytes a block, in offset order) per big
 * target file, in `signatures/` of its state folder. The hash cache says which belongs to which
 * file and when it is still valid (the file's stat key); each is checked against the file's
 * whole-file checksum (which is a hash of these entries) before it is trusted, so a store torn by
 * a power loss is rebuilt by a scan, never believed.
 */
export class SignatureStore {
  private readonly checked = new Set<string>();

  private constructor(private readonly dir: string | null) {}

  /** Opens the store in `stateDir` and deletes every entry file no one refers to any more. */
  static open(stateDir: string | null, referenced: ReadonlySet<string>): SignatureStore {
    if (!stateDir) return new SignatureStore(null);
    const dir = join(stateDir, 'signatures');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    for (const name of readdirSync(dir)) {
      if (!referenced.has(name)) unlinkSync(join(dir, name));
    }
    return new SignatureStore(dir);
  }

  /** A writer for a new entry file, or null when the agent keeps no state on disk. */
  writer(): SignatureWriter | null {
    return this.dir ? new SignatureWriter(this.dir) : null;
  }

  /** Opens a stored entry file for reading, after checking it once, or null if it is not sound. */
  open(stored: StoredBlocks): EntryReader | null {
    if (!this.dir) return null;
    let reader: EntryReader;
    try {
      reader = new EntryReader(join(this.dir, stored.name), stored.size);
    } catch {
      return null;
    }
    if (this.checked.has(stored.name)) return reader;
    if (!reader.hashesTo(stored.hash)) {
      reader.close();
      return null;
    }
    this.checked.add(stored.name);
    return reader;
  }

  remove(name: string): void {
    if (!this.dir) return;
    this.checked.delete(name);
    try {
      unlinkSync(join(this.dir, name));
    } catch {
      // already gone
    }
  }
}

/** Appends a new file's entries, in offset order. Not fsynced: it is checked before use. */
export class SignatureWriter {
  readonly name = `${randomBytes(8).toString('hex')}.sig`;
  private readonly fd: number;
  private readonly buffer = Buffer.allocUnsafe(WRITE_BUFFER);
  private filled = 0;
  /** Bytes already in the file. */
  private written = 0;
  private readonly path: string;

  constructor(dir: string) {
    this.path = join(dir, this.name);
    this.fd = openSync(this.path, 'wx', 0o600);
  }

  add(entries: Buffer): void {
    if (this.filled + entries.length > this.buffer.length) this.spill();
    if (entries.length > this.buffer.length) {
      writeAll(this.fd, entries, this.written);
      this.written += entries.length;
      return;
    }
    entries.copy(this.buffer, this.filled);
    this.filled += entries.length;
  }

  /** Closes the file; its name goes into the hash cache. */
  finish(): string {
    this.spill();
    closeSync(this.fd);
    return this.name;
  }

  abort(): void {
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
    try {
      unlinkSync(this.path);
    } catch {
      // already gone
    }
  }

  private spill(): void {
    writeAll(this.fd, this.buffer.subarray(0, this.filled), this.written);
    this.written += this.filled;
    this.filled = 0;
  }
}

/** Reads a stored file's entries by block index. */
export class EntryReader {
  private readonly fd: number;
  readonly blocks: number;
  readonly blockSize: number;

  constructor(
    path: string,
    readonly size: number,
  ) {
    this.blockSize = blockSizeFor(size);
    this.blocks = Math.ceil(size / this.blockSize);
    this.fd = openSync(path, 'r');
  }

  /** Entries `first` to `first + count - 1`, or fewer at the end of the file. */
  read(first: number, count: number, into?: Buffer): Buffer {
    const n = Math.max(0, Math.min(count, this.blocks - first));
    const out =
      into && into.length >= n * ENTRY_BYTES
        ? into.subarray(0, n * ENTRY_BYTES)
        : Buffer.allocUnsafe(n * ENTRY_BYTES);
    readExactly(this.fd, out, first * ENTRY_BYTES, 'stored block hashes end early');
    return out;
  }

  /** Whether the entries are whole and hash to the file's whole-file checksum. */
  hashesTo(expected: string): boolean {
    const whole = new WholeFileHash();
    const chunk = Buffer.allocUnsafe(WRITE_BUFFER);
    const perChunk = chunk.length / ENTRY_BYTES;
    try {
      for (let first = 0; first < this.blocks; first += perChunk) {
        const entries = this.read(first, perChunk, chunk);
        const covered =
          Math.min(this.size, (first + perChunk) * this.blockSize) - first * this.blockSize;
        whole.addEntries(entries, covered);
      }
      const extra = Buffer.allocUnsafe(1);
      if (readSync(this.fd, extra, 0, 1, this.blocks * ENTRY_BYTES) !== 0) return false;
    } catch {
      return false;
    }
    return whole.hex() === expected;
  }

  close(): void {
    closeSync(this.fd);
  }
}
