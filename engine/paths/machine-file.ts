import { lstat, readFile, realpath } from 'node:fs/promises';

/** A text file of a machine whose root is a folder (the received tree), read where it really is. */
export type MachineFile =
  | {
      kind: 'file';
      text: string;
      /** Its real path in the machine, symlinks resolved. */ real: string;
      /** Its permission bits (0o600 for a NetworkManager keyfile). */ mode: number;
    }
  | { kind: 'absent' }
  | { kind: 'problem'; why: string };

/**
 * Reads `path` of the machine rooted at `top` (a realpath). Only regular files inside the root
 * are read: a symlink that leads out of it (to the host's own /etc) is a problem, not followed.
 */
export async function readMachineFile(top: string, path: string): Promise<MachineFile> {
  try {
    const real = await realpath(`${top}${path}`);
    if (!real.startsWith(`${top}/`))
      return { kind: 'problem', why: "leads outside the machine's files; not read" };
    const info = await lstat(real);
    if (!info.isFile()) return { kind: 'absent' };
    return {
      kind: 'file',
      text: await readFile(real, 'utf8'),
      real: real.slice(top.length),
      mode: info.mode & 0o7777,
    };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { kind: 'absent' };
    return { kind: 'problem', why: code ?? (error as Error).message };
  }
}
