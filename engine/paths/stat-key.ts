import type { BigIntStats } from 'node:fs';

/** What identifies a file's content without reading it: inode, size, mtime and ctime. */
export function statKey(info: BigIntStats): string {
  return `${info.ino}:${info.size}:${info.mtimeNs}:${info.ctimeNs}`;
}
