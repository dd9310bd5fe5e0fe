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
  for (let i = 0; i < shape.largeFiles; i++)
    await writeRandomFile(join(root, 'large', `disk${i}.img`), shape.largeBytes);
}

/** A folder holding one big file of random bytes, `data.img`. */
export async function createBigFile(root: string, bytes: number): Promise<void> {
  await mkdir(root, { recursive: true });
  await writeRandomFile(join(root, 'data.img'), bytes);
}

async function writeRandomFile(path: string, bytes: number): Promise<void> {
  const chunk = 16 * 1024 * 1024;
  const file = await open(path, 'w');
  try {
    for (let offset = 0; offset < bytes; offset += chunk)
      await file.write(randomBytes(Math.min(chunk, bytes - offset)), 0, undefined, offset);
  } finally {
    await file.close();
  }
}

/** Rewrites `fraction` of a file's 4 KiB blocks, picked at random. Returns the bytes changed. */
export async function changeBlocks(path: string, fraction: number): Promise<number> {
  const file = await open(path, 'r+');
  try {
    const blocks = Math.floor((await file.stat()).size / 4096);
    const picks = new Set<number>();
    while (picks.size < Math.ceil(blocks * fraction)) picks.add(randomInt(blocks));
    for (const block of picks) await file.write(randomBytes(4096), 0, 4096, block * 4096);
    return picks.size * 4096;
  } finally {
    await file.close();
  }
}

/**
 * Changes 1% of the 4 KiB blocks of every large file and rewrites 5% of the small files: the
 * re-sync workload. Returns the bytes really changed.
 */
export async function mutateDataSet(root: string, shape: DataSetShape): Promise<number> {
  let changed = 0;
  for (let i = 0; i < shape.largeFiles; i++)
    changed += await changeBlocks(join(root, 'large', `disk${i}.img`), 0.01);
  const picks = new Set<number>();
  while (picks.size < Math.ceil(shape.smallFiles / 20)) picks.add(randomInt(shape.smallFiles));
  for (const i of picks) {
    const data = randomBytes(randomInt(512, 64 * 1024));
    await writeFile(join(root, 'small', `d${i % SMALL_DIRS}`, `f${i}.dat`), data);
    changed += data.length;
  }
  return changed;
}
