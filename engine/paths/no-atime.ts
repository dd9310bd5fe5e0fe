import { constants, openSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';

// O_NOATIME is Linux's; elsewhere the flag is 0 and reads are plain.
const NO_ATIME = constants.O_RDONLY | (constants.O_NOATIME ?? 0);

/**
 * Opens a file to read it without changing its access time: the agent reads the copies it
 * made (for a signature, a checksum), whose access time is the source's and must stay so.
 * O_NOATIME is refused (EPERM) on a file neither owned nor readable as root: then a plain open.
 */
export function openNoAtimeSync(path: Buffer | string): number {
  try {
    return openSync(path, NO_ATIME);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') throw error;
    return openSync(path, 'r');
  }
}

/** The same, on the thread pool. */
export async function openNoAtime(path: Buffer | string): Promise<FileHandle> {
  try {
    return await open(path, NO_ATIME);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') throw error;
    return open(path, 'r');
  }
}
