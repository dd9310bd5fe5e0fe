import { closeSync, fsyncSync, openSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Flushes a folder's entries (a rename, a new name) to disk. */
export async function syncDirectory(dir: Buffer | string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The same, synchronously: for a rare step on a synchronous path (a folder made on the way). */
export function syncDirectorySync(dir: Buffer | string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Replaces `file` with `data` so that a crash or a power loss at any instant leaves the old
 * content or the new one: a temp file written and fsynced, renamed over, the folder fsynced.
 */
export async function writeFileDurably(file: string, data: string, mode = 0o600): Promise<void> {
  const temp = `${file}.tmp`;
  const handle = await open(temp, 'w', mode);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, file);
  await syncDirectory(dirname(file));
}

/**
 * Appends one line and waits until it is on disk, its folder entry included when the file is
 * new, so the step it records may begin.
 */
export async function appendLineDurably(file: string, line: string): Promise<void> {
  const handle = await open(file, 'a', 0o600);
  try {
    const fresh = (await handle.stat()).size === 0;
    await handle.appendFile(`${line}\n`);
    await handle.datasync();
    if (fresh) await syncDirectory(dirname(file));
  } finally {
    await handle.close();
  }
}
