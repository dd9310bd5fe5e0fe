import { lstatSync, readdirSync } from 'node:fs';
import { P2VError } from '../../shared/errors.ts';
import type { TargetRoot } from './target-root.ts';

/**
 * Lists the regular files below a folder inside the root, never following symlinks; paths are
 * relative to the folder, raw bytes in latin1 strings. At most `max` files; the rest is cut.
 */
export function listFiles(
  root: TargetRoot,
  folder: string,
  max: number,
): { files: { path: string; size: number }[]; truncated: boolean } {
  let start: Buffer;
  let info;
  try {
    start = folder === '' ? Buffer.from(root.path, 'utf8') : root.place(folder, false).full;
    info = lstatSync(start);
  } catch (error) {
    // A folder not made yet (or a parent missing) holds no files.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { files: [], truncated: false };
    throw error;
  }
  if (!info.isDirectory())
    throw new P2VError('BAD_PATH', `not a folder: ${JSON.stringify(folder)}`);
  const files: { path: string; size: number }[] = [];
  const stack: { full: Buffer; relative: string }[] = [{ full: start, relative: '' }];
  while (stack.length > 0) {
    const dir = stack.pop() as { full: Buffer; relative: string };
    for (const name of readdirSync(dir.full, { encoding: 'buffer' }).sort(Buffer.compare)) {
      const full = Buffer.concat([dir.full, Buffer.from('/'), name]);
      const relative = dir.relative + (dir.relative ? '/' : '') + name.toString('latin1');
      const entry = lstatSync(full);
      if (entry.isDirectory()) stack.push({ full, relative });
      else if (entry.isFile()) {
        if (files.length === max) return { files, truncated: true };
        files.push({ path: relative, size: entry.size });
      }
    }
  }
  return { files, truncated: false };
}
