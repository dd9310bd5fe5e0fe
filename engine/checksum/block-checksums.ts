import { open } from 'node:fs/promises';
import { loadXXHash } from './xxhash-binding.ts';

const { XXHash3, XXHash128 } = loadXXHash();

/** Bytes of one signature entry on the wire: a 32-bit weak sum, then a 128-bit strong hash. */
export const WEAK_BYTES = 4;
export const STRONG_BYTES = 16;
export const ENTRY_BYTES = WEAK_BYTES + STRONG_BYTES;

const MIN_BLOCK = 4096;
const MAX_BLOCKS_PER_FILE = 1 << 22;
export const MAX_BLOCK = 16 * 1024 * 1024;

/**
 * The block size for a file of `size` bytes: 4 KiB, the page size of file systems and databases,
 * so a changed page costs one block; doubled only when a file would need more than 4 Mi blocks
 * (beyond 16 GiB), to keep its signature under 80 MiB. See docs/decisions.md.
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

/** The weak sum: the low 32 bits of XXH3-64, the cheapest hash per call that xxhash-addon offers. */
export function weakSum(block: Buffer): number {
  return XXHash3.hash(block).readUInt32BE(4);
}

/** The strong hash: XXH3-128. */
export function strongHash(block: Buffer): Buffer {
  return XXHash128.hash(block);
}

/** Appends the signature entries of `data` (a whole number of blocks, or a file's tail) to `out`. */
export function writeSignature(
  data: Buffer,
  blockSize: number,
  out: Buffer,
  outOffset: number,
): number {
  let at = outOffset;
  for (let offset = 0; offset < data.length; offset += blockSize) {
    const block = data.subarray(offset, offset + blockSize);
    out.writeUInt32BE(weakSum(block), at);
    strongHash(block).copy(out, at + WEAK_BYTES);
    at += ENTRY_BYTES;
  }
  return at;
}

/** Incremental whole-file hash (XXH3-128), as hex. */
export class WholeFileHash {
  private readonly state = new XXHash128(Buffer.alloc(8));

  update(data: Buffer): void {
    this.state.update(data);
  }

  /** Feeds `length` zero bytes (a hole) without allocating them all. */
  updateZeros(length: number): void {
    let left = length;
    while (left > 0) {
      const n = Math.min(left, ZEROS.length);
      this.state.update(n === ZEROS.length ? ZEROS : ZEROS.subarray(0, n));
      left -= n;
    }
  }

  hex(): string {
    return this.state.digest().toString('hex');
  }
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

/** Hashes a whole file by path, reading it in large chunks. */
export async function hashFile(path: Buffer | string): Promise<string> {
  const handle = await open(path, 'r');
  try {
    const hash = new WholeFileHash();
    const buffer = Buffer.allocUnsafe(1024 * 1024);
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
    }
    return hash.hex();
  } finally {
    await handle.close();
  }
}
