/**
 * Whether a failed look at a source path means it is gone: ENOENT, or ENOTDIR (a folder on the
 * way became a file). Anything else (EACCES, EIO, ESTALE, ENAMETOOLONG…) says only that the path
 * could not be seen: its target copy is kept, never taken for a deletion.
 */
export function isAbsence(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
