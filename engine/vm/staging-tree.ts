import {
  chmod,
  copyFile,
  lchown,
  link,
  lstat,
  mkdir,
  readdir,
  rm,
  symlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { InjectedEntry } from './agent-injection.ts';

/** Entries of one folder staged at once: enough to keep the thread pool busy, bounded. */
const AT_ONCE = 64;

const child = (dir: Buffer, name: Buffer): Buffer => Buffer.concat([dir, Buffer.from('/'), name]);

/** Seconds as a float, from a bigint nanosecond time: finer than a Date's milliseconds. */
const seconds = (ns: bigint): number => Number(ns / 1000n) / 1e6;

/**
 * A partition's files without what other partitions hold: a tree of hard links to the received
 * files (no data copied) in which nested mount points are empty folders. mke2fs -d reads it.
 * Names are bytes (the received tree keeps names that are not UTF-8), and the walk is
 * asynchronous: on the agent it must not stall the connections it serves.
 */
export async function stageTree(
  source: string,
  staging: string,
  nestedMounts: string[],
): Promise<void> {
  const root = resolve(source);
  const skip = new Set(nestedMounts.map((m) => join(root, m)));
  const folder = async (to: Buffer, info: Awaited<ReturnType<typeof lstatBig>>): Promise<void> => {
    await mkdir(to, { recursive: true });
    // Owner before mode: chown clears set-gid, which folders like /var/mail carry.
    await lchown(to, Number(info.uid), Number(info.gid));
    await chmod(to, Number(info.mode) & 0o7777);
  };
  const walk = async (from: Buffer, to: Buffer): Promise<void> => {
    const info = await lstatBig(from);
    await folder(to, info);
    const names = await readdir(from, { encoding: 'buffer' });
    for (let i = 0; i < names.length; i += AT_ONCE) {
      await Promise.all(
        names.slice(i, i + AT_ONCE).map(async (name) => {
          const from2 = child(from, name);
          const to2 = child(to, name);
          const entry = await lstatBig(from2);
          if (!entry.isDirectory()) return link(from2, to2);
          if (!skip.has(from2.toString())) return walk(from2, to2);
          await folder(to2, entry);
          await utimes(to2, seconds(entry.atimeNs), seconds(entry.mtimeNs));
        }),
      );
    }
    await utimes(to, seconds(info.atimeNs), seconds(info.mtimeNs));
  };
  await walk(Buffer.from(root), Buffer.from(resolve(staging)));
}

function lstatBig(path: Buffer) {
  return lstat(path, { bigint: true });
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
