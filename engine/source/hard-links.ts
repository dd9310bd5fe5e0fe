import type { RawPath } from '../paths/raw-path.ts';
import type { SourceEntry } from './walk.ts';

/**
 * Finds a name of the same inode that an earlier pass already sent and that still holds the
 * inode's current content (its stat unchanged since), or null.
 */
export type SentName = (key: string, entry: SourceEntry) => RawPath | null;

/**
 * Tracks hard-linked files within one pass: the first name of an inode is sent as a file, every
 * later name becomes a link to it, as `cp -a` and `rsync -H` do. Across passes (a copy resumed
 * after a crash), a name already sent with the inode's current content is the one linked to,
 * so the group is not split into copies.
 */
export class HardLinks {
  private readonly primaries = new Map<string, RawPath>();

  constructor(private readonly sentName: SentName = () => null) {}

  /** The target path this entry should link to, or null if it is the inode's first name. */
  primaryFor(entry: SourceEntry): RawPath | null {
    if (!entry.info.isFile() || entry.info.nlink < 2n) return null;
    const key = `${entry.info.dev}:${entry.info.ino}`;
    const primary = this.primaries.get(key) ?? this.sentName(key, entry) ?? undefined;
    if (primary !== undefined && primary !== entry.target) {
      this.primaries.set(key, primary);
      return primary;
    }
    this.primaries.set(key, entry.target);
    return null;
  }
}
