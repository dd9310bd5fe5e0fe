import {
  linkSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  chmodSync,
  lchownSync,
  utimesSync,
} from 'node:fs';
import {
  chmod,
  copyFile,
  lchown,
  lstat,
  mkdir,
  rm,
  symlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { InjectedEntry } from './agent-injection.ts';

/**
 * A partition's files without what other partitions hold: a tree of hard links to the received
 * files (no data copied) in which nested mount points are empty folders. mke2fs -d reads it.
 */
export function stageTree(source: string, staging: string, nestedMounts: string[]): void {
  const skip = new Set(nestedMounts.map((m) => join(source, m)));
  const walk = (from: string, to: string): void => {
    const info = lstatSync(from);
    mkdirSync(to, { recursive: true });
    // Owner before mode: chown clears set-gid, which folders like /var/mail carry.
    lchownSync(to, info.uid, info.gid);
    chmodSync(to, info.mode & 0o7777);
    for (const name of readdirSync(from)) {
      const child = join(from, name);
      const target = join(to, name);
      const entry = lstatSync(child);
      if (entry.isDirectory()) {
        if (skip.has(child)) {
          mkdirSync(target);
          lchownSync(target, entry.uid, entry.gid);
          chmodSync(target, entry.mode & 0o7777);
          utimesSync(target, entry.atime, entry.mtime);
        } else walk(child, target);
      } else linkSync(child, target);
    }
    utimesSync(to, info.atime, info.mtime);
  };
  walk(source, staging);
}

/**
 * Adds files to a staging tree without touching the received tree: a name already there (a
 * hard link into the received tree) is unlinked first, never written through. Folders made on
 * the way are root's, mode 755; the times of folders that existed are kept.
 */
export async function addEntries(staging: string, entries: InjectedEntry[]): Promise<void> {
  for (const entry of entries) {
    const full = join(staging, entry.path);
    const parent = dirname(full);
    const existing = await lstat(parent).catch(() => null);
    if (entry.kind === 'dir' && (await lstat(full).catch(() => null))) continue;
    await mkdir(parent, { recursive: true, mode: 0o755 });
    if (entry.kind === 'dir') {
      await mkdir(full);
      await chmod(full, entry.mode);
      if (existing) await utimes(parent, existing.atime, existing.mtime);
      continue;
    }
    await rm(full, { force: true });
    if (entry.kind === 'symlink') await symlink(entry.target, full);
    else {
      if (entry.kind === 'file') await writeFile(full, entry.content, { mode: entry.mode });
      else await copyFile(entry.from, full);
      await chmod(full, entry.mode);
      if (process.getuid?.() === 0) await lchown(full, 0, 0);
    }
    if (existing) await utimes(parent, existing.atime, existing.mtime);
  }
}
