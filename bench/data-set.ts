import { randomBytes, randomInt } from 'node:crypto';
import { mkdir, open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The benchmark's data set: many small files and a few large ones, as on a real server. */
export interface DataSetShape {
  smallFiles: number;
  largeFiles: number;
  largeBytes: number;
}

export const SMALL_DIRS = 50;

/** Writes the data set under `root`; every byte random, so nothing compresses or dedups. */
export async function createDataSet(root: string, shape: DataSetShape): Promise<void> {
  for (let d = 0; d < SMALL_DIRS; d++)
    await mkdir(join(root, 'small', `d${d}`), { recursive: true });
  for (let i = 0; i < shape.smallFiles; i++) {
    await writeFile(
      join(root, 'small', `d${i % SMALL_DIRS}`, `f${i}.dat`),
      randomBytes(randomInt(512, 64 * 1024)),
    );
  }
  await mkdir(join(root, 'large'), { recursive: true });
  const chunk = 16 * 1024 * 1024;
  for (let i = 0; i < shape.largeFiles; i++) {
    const file = await open(join(root, 'large', `disk${i}.img`), 'w');
    for (let offset = 0; offset < shape.largeBytes; offset += chunk) {
      await file.write(
        randomBytes(Math.min(chunk, shape.largeBytes - offset)),
        0,
        undefined,
        offset,
      );
    }
    await file.close();
  }
}

/**
 * Changes 1% of the 4 KiB blocks of every large file and rewrites 5% of the small files: the
 * re-sync workload. Returns the bytes really changed.
 */
export async function mutateDataSet(root: string, shape: DataSetShape): Promise<number> {
  let changed = 0;
  const blocks = Math.floor(shape.largeBytes / 4096);
  for (let i = 0; i < shape.largeFiles; i++) {
    const file = await open(join(root, 'large', `disk${i}.img`), 'r+');
    const picks = new Set<number>();
    while (picks.size < Math.ceil(blocks / 100)) picks.add(randomInt(blocks));
    for (const block of picks) await file.write(randomBytes(4096), 0, 4096, block * 4096);
    await file.close();
    changed += picks.size * 4096;
  }
  const picks = new Set<number>();
  while (picks.size < Math.ceil(shape.smallFiles / 20)) picks.add(randomInt(shape.smallFiles));
  for (const i of picks) {
    const data = randomBytes(randomInt(512, 64 * 1024));
    await writeFile(join(root, 'small', `d${i % SMALL_DIRS}`, `f${i}.dat`), data);
    changed += data.length;
  }
  return changed;
}
