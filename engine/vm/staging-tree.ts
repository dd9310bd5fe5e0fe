import {
  linkSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  chmodSync,
  lchownSync,
  utimesSync,
} from 'node:fs';
import { join } from 'node:path';

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
