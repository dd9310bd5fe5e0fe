import { readSync, writeSync } from 'node:fs';

/** Fills `buffer` from `position`; returns the bytes read, fewer only at the end of the file. */
export function readWhole(fd: number, buffer: Buffer, position: number): number {
  let done = 0;
  while (done < buffer.length) {
    const n = readSync(fd, buffer, done, buffer.length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}

/** Fills `buffer` from `position`, or throws `ends` when the file is shorter. */
export function readExactly(fd: number, buffer: Buffer, position: number, ends: string): void {
  if (readWhole(fd, buffer, position) < buffer.length) throw new Error(ends);
}

/** Writes all of `data` at `position` (a write may take less than it was given). */
export function writeAll(fd: number, data: Buffer, position: number): void {
  let done = 0;
  while (done < data.length) done += writeSync(fd, data, done, data.length - done, position + done);
}
