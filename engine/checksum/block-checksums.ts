import { closeSync, fstatSync } from 'node:fs';
import { openNoAtime, openNoAtimeSync } from '../paths/no-atime.ts';
import { readWhole } from '../storage/positional-io.ts';
import { loadXXHash } from './xxhash-binding.ts';

const { XXHash128 } = loadXXHash();

/** Bytes of one signature entry, on the wire and in the agent's store: a block's XXH3-128. */
export const ENTRY_BYTES = 16;

const MIN_BLOCK = 4096;
const MAX_BLOCKS_PER_FILE = 1 << 22;
export const MAX_BLOCK = 16 * 1024 * 1024;
const READ_CHUNK = 1024 * 1024;

/**
 * A small file, for both sides: read and hashed inline on the event loop (a page-cache read
 * costs less than a thread-pool round trip), compared by whole-file checksum before any
 * signature, and its signature asked for ahead of the sender.
 */
export const SMALL_FILE_MAX = 1024 * 1024;

/**
 * The block size for a file of `size` bytes: 4 KiB, the page size of file systems and databases,
 * so a changed page costs one block; doubled only when a file would need more than 4 Mi blocks
 * (beyond 16 GiB), to keep its signature under 64 MiB. See docs/decisions.md.
 */
export function blockSizeFor(size: number): number {
  let block = MIN_BLOCK;
  while (size / block > MAX_BLOCKS_PER_FILE && block < MAX_BLOCK) block *= 2;
  return block;
}

/** Whether a block size from the wire is one this code could have chosen. */
export function isValidBlockSize(block: number): boolean {
  return (
    Number.isInteger(block) &&
    block >= MIN_BLOCK &&
    block <= MAX_BLOCK &&
    (block & (block - 1)) === 0
  );
}

/** A block's hash: XXH3-128. Both the signature entry and the link of the whole-file checksum. */
export function blockHash(block: Buffer): Buffer {
  return XXHash128.hash(block);
}

const zeroHashes = new Map<number, Buffer>();

/** The hash of `length` zero bytes (a hole's block), computed once per length. */
export function zeroBlockHash(length: number): Buffer {
  let hash = zeroHashes.get(length);
  if (!hash) {
    hash = blockHash(length <= ZEROS.length ? ZEROS.subarray(0, length) : Buffer.alloc(length));
    zeroHashes.set(length, hash);
  }
  return hash;
}

/** Writes the entries of `data` (a whole number of blocks, or a file's tail) to `out`. */
export function writeSignature(
  data: Buffer,
  blockSize: number,
  out: Buffer,
  outOffset: number,
): number {
  let at = outOffset;
  for (let offset = 0; offset < data.length; offset += blockSize) {
    blockHash(data.subarray(offset, offset + blockSize)).copy(out, at);
    at += ENTRY_BYTES;
  }
  return at;
}

/**
 * The whole-file checksum: XXH3-128 over the ordered block hashes (blocks of `blockSizeFor(size)`
 * bytes), then the size as 64-bit little-endian. Defined over the block hashes, not the bytes, so
 * a side that keeps a file's block hashes can tell the checksum of a new version from the
 * hashes of the blocks that changed, without reading the ones that did not. See
 * docs/decisions.md.
 */
export class WholeFileHash {
  private readonly state = new XXHash128(Buffer.alloc(8));
  private bytes = 0;

  /** Adds the next block's hash, for a block of `length` bytes. */
  addBlock(hash: Buffer, length: number): void {
    this.state.update(hash);
    this.bytes += length;
  }

  /** Adds the next blocks' hashes, a whole number of entries, covering `length` bytes. */
  addEntries(entries: Buffer, length: number): void {
    this.state.update(entries);
    this.bytes += length;
  }

  /** Hashes and adds `data`, which starts on a block boundary. */
  addData(data: Buffer, blockSize: number): void {
    for (let offset = 0; offset < data.length; offset += blockSize)
      this.addBlock(
        blockHash(data.subarray(offset, offset + blockSize)),
        Math.min(blockSize, data.length - offset),
      );
  }

  /** Adds `length` zero bytes (a hole) starting on a block boundary, without reading zeros. */
  addZeros(length: number, blockSize: number): void {
    const whole = Math.floor(length / blockSize);
    const full = zeroBlockHash(blockSize);
    for (let i = 0; i < whole; i++) this.addBlock(full, blockSize);
    const tail = length - whole * blockSize;
    if (tail > 0) this.addBlock(zeroBlockHash(tail), tail);
  }

  /** Bytes covered so far. */
  get length(): number {
    return this.bytes;
  }

  hex(): string {
    const size = Buffer.alloc(8);
    size.writeBigUInt64LE(BigInt(this.bytes));
    this.state.update(size);
    return this.state.digest().toString('hex');
  }
}

/** The whole-file checksum of bytes in memory. */
export function hashBuffer(data: Buffer): string {
  const hash = new WholeFileHash();
  hash.addData(data, blockSizeFor(data.length));
  return hash.hex();
}

/** A block of zeros, shared, for hole detection and hashing. Never written to. */
export const ZEROS = Buffer.alloc(1024 * 1024);

/** Whether a buffer holds only zero bytes (a candidate hole). */
export function isAllZero(data: Buffer): boolean {
  let offset = 0;
  while (offset < data.length) {
    const n = Math.min(data.length - offset, ZEROS.length);
    if (data.compare(ZEROS, 0, n, offset, offset + n) !== 0) return false;
    offset += n;
  }
  return true;
}

/** A read buffer for a file of `size` bytes: a whole number of blocks, at most about 1 MiB. */
export function chunkFor(size: number, blockSize: number): Buffer {
  const chunk = Math.max(blockSize, READ_CHUNK - (READ_CHUNK % blockSize));
  return Buffer.allocUnsafe(
    Math.min(chunk, Math.max(blockSize, Math.ceil(size / blockSize) * blockSize)),
  );
}

/**
 * The whole-file checksum of a small file, read on this thread: a page-cache read of a few KiB
 * costs less than a thread-pool round trip. Null when the file holds more than `maxBytes`, or
 * grew while it was read (`hashFile` then reads it).
 */
export function hashSmallFileSync(path: Buffer | string, maxBytes: number): string | null {
  const fd = openNoAtimeSync(path);
  try {
    const size = Number(fstatSync(fd).size);
    if (size > maxBytes) return null;
    // One byte more than the size: a file that grew meanwhile reads past it.
    const buffer = Buffer.allocUnsafe(size + 1);
    const bytesRead = readWhole(fd, buffer, 0);
    return bytesRead > size ? null : hashBuffer(buffer.subarray(0, bytesRead));
  } finally {
    closeSync(fd);
  }
}

/**
 * Hashes a whole file by path (the whole-file checksum above), reading on the thread pool so a
 * big file never stalls the event loop. A file that grew past a block-size boundary while it was
 * read is hashed again.
 */
export async function hashFile(path: Buffer | string): Promise<string> {
  const handle = await openNoAtime(path);
  try {
    let size = Number((await handle.stat()).size);
    for (;;) {
      const blockSize = blockSizeFor(size);
      const hash = new WholeFileHash();
      const buffer = chunkFor(size, blockSize);
      for (let position = 0; ;) {
        let bytesRead = 0;
        while (bytesRead < buffer.length) {
          const { bytesRead: n } = await handle.read(
            buffer,
            bytesRead,
            buffer.length - bytesRead,
            position + bytesRead,
          );
          if (n === 0) break;
          bytesRead += n;
        }
        if (bytesRead === 0) break;
        hash.addData(buffer.subarray(0, bytesRead), blockSize);
        position += bytesRead;
        if (bytesRead < buffer.length) break;
      }
      if (blockSizeFor(hash.length) === blockSize) return hash.hex();
      size = hash.length;
    }
  } finally {
    await handle.close();
  }
}
