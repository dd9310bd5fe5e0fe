import { access } from 'node:fs/promises';

/** Whether something is at `path` (any kind; a dangling symlink counts as nothing). */
export function pathExists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
