import { lstatSync, readdirSync, readlinkSync, type BigIntStats } from 'node:fs';
import { P2VError } from '../../shared/errors.ts';
import type { TreeEntry } from '../protocol/messages.ts';
import { readXattrs, xattrDigest } from '../paths/xattrs.ts';
import { isAgentTemp, type TargetRoot } from './target-root.ts';

/**
 * One page of every entry below a folder inside the root (the folder itself not included), in a
 * fixed order: depth first, each folder before what it holds, names sorted bytewise; never
 * following symlinks. `after` is the last path of the previous page: the walk goes down to it
 * and on from there, so a page costs what it lists, not what came before. Paths are relative to
 * the folder, raw bytes in latin1 strings. `skip` holds full paths (the agent's own folders)
 * that are not listed.
 */
export function listTree(
  root: TargetRoot,
  folder: string,
  after: string | null,
  max: number,
  skip: ReadonlySet<string>,
  attributes: boolean,
): { entries: TreeEntry[]; next: string | null } {
  let start: Buffer;
  try {
    start = folder === '' ? Buffer.from(root.path, 'utf8') : root.place(folder, false).full;
    if (!lstatSync(start).isDirectory())
      throw new P2VError('BAD_PATH', `not a folder: ${JSON.stringify(folder)}`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [], next: null };
    throw error;
  }
  const entries: TreeEntry[] = [];
  const cursor = after === null ? [] : after.split('/');
  // The tree is one filesystem: what is mounted below it is listed as its folder only.
  const device = lstatSync(start).dev;
  const walk = (dir: Buffer, relative: string, below: string[]): boolean => {
    const names = readdirSync(dir, { encoding: 'buffer' }).sort(Buffer.compare);
    const [first, ...rest] = below;
    for (const name of names) {
      const text = name.toString('latin1');
      if (first !== undefined && text < first) continue;
      if (isAgentTemp(text)) continue;
      const full = Buffer.concat([dir, Buffer.from('/'), name]);
      if (skip.has(full.toString('latin1'))) continue;
      const path = relative ? `${relative}/${text}` : text;
      const info = lstatSync(full, { bigint: true });
      // The cursor's own entry was listed on the earlier page; what is below it was not.
      const resumed = first !== undefined && text === first;
      if (!resumed) {
        if (entries.length === max) return false;
        entries.push(describe(full, path, info, attributes));
      }
      const inside = info.isDirectory() && BigInt(device) === info.dev;
      if (inside && !walk(full, path, resumed ? rest : [])) return false;
    }
    return true;
  };
  const complete = walk(start, '', cursor);
  return { entries, next: complete ? null : (entries.at(-1)?.path ?? after) };
}

/** The digest of an entry's attributes; one that cannot be read counts as none. */
function attributesOf(full: Buffer): string {
  try {
    return xattrDigest(readXattrs(full));
  } catch {
    return '';
  }
}

function describe(full: Buffer, path: string, info: BigIntStats, attributes: boolean): TreeEntry {
  const kind = info.isFile()
    ? 'file'
    : info.isDirectory()
      ? 'dir'
      : info.isSymbolicLink()
        ? 'symlink'
        : 'other';
  return {
    path,
    kind,
    mode: Number(info.mode & 0o7777n),
    uid: Number(info.uid),
    gid: Number(info.gid),
    ino: info.ino.toString(),
    nlink: Number(info.nlink),
    ...(kind === 'symlink'
      ? { link: readlinkSync(full, { encoding: 'buffer' }).toString('latin1') }
      : {}),
    ...(attributes ? { xattrs: attributesOf(full) } : {}),
  };
}
