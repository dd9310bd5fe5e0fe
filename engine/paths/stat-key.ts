import type { BigIntStats } from 'node:fs';

/** The stat fields a key is made of, as read (bigint) or as stored in an index (string). */
type KeyFields = { [K in 'ino' | 'size' | 'mtimeNs' | 'ctimeNs']: BigIntStats[K] | string };

/** What identifies a file's content without reading it: inode, size, mtime and ctime. */
export function statKey(info: KeyFields): string {
  return `${info.ino}:${info.size}:${info.mtimeNs}:${info.ctimeNs}`;
}
