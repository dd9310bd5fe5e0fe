import type { RawPath } from '../paths/raw-path.ts';
import type { SourceEntry } from './walk.ts';

/**
 * Tracks hard-linked files within one pass: the first name of an inode is sent as a file, every
 * later name becomes a link to it, as `cp -a` and `rsync -H` do.
 */
export class HardLinks {
  private readonly primaries = new Map<string, RawPath>();

  /** The target path this entry should link to, or null if it is the inode's first name. */
  primaryFor(entry: SourceEntry): RawPath | null {
    if (!entry.info.isFile() || entry.info.nlink < 2n) return null;
    const key = `${entry.info.dev}:${entry.info.ino}`;
    const primary = this.primaries.get(key);
    if (primary !== undefined && primary !== entry.target) return primary;
    this.primaries.set(key, entry.target);
    return null;
  }
}
