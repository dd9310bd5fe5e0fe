import { createHash } from 'node:crypto';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';

/** What a tree holds, entry by entry, for comparing a source with its migrated copy. */
export interface SnapshotEntry {
  kind: 'file' | 'dir' | 'symlink' | 'other';
  mode: number;
  uid: number;
  gid: number;
  /** mtime in microseconds: utimes takes a double, so sub-microsecond digits are not kept. */
  mtimeUs: number;
  size: number;
  sha256: string | null;
  linkTarget: string | null;
  /** Names (relative) of the other hard links to the same inode, sorted. */
  hardLinks: string[];
  /** Allocated bytes (st_blocks × 512), to check sparseness. */
  allocated: number;
}

/** Snapshots a tree; keys are relative paths as latin1 raw-byte strings. */
export async function snapshotTree(
  root: string,
  options: { skipRootMeta?: boolean } = {},
): Promise<Map<string, SnapshotEntry>> {
  const out = new Map<string, SnapshotEntry>();
  const inodes = new Map<string, string[]>();
  const walk = async (dir: Buffer, rel: string): Promise<void> => {
    for (const name of await readdir(dir, { encoding: 'buffer' })) {
      const full = Buffer.concat([dir, Buffer.from('/'), name]);
      const path = rel ? `${rel}/${name.toString('latin1')}` : name.toString('latin1');
      const info = await lstat(full, { bigint: true });
      const kind = info.isFile()
        ? 'file'
        : info.isDirectory()
          ? 'dir'
          : info.isSymbolicLink()
            ? 'symlink'
            : 'other';
      out.set(path, {
        kind,
        mode: Number(info.mode & 0o7777n),
        uid: Number(info.uid),
        gid: Number(info.gid),
        mtimeUs: Math.round(Number(info.mtimeNs / 1000n)),
        size: kind === 'dir' ? 0 : Number(info.size),
        sha256:
          kind === 'file'
            ? createHash('sha256')
                .update(await readFile(full))
                .digest('hex')
            : null,
        linkTarget:
          kind === 'symlink'
            ? (await readlink(full, { encoding: 'buffer' })).toString('latin1')
            : null,
        hardLinks: [],
        allocated: Number(info.blocks) * 512,
      });
      if (kind === 'file' && info.nlink > 1n) {
        const key = `${info.dev}:${info.ino}`;
        inodes.set(key, [...(inodes.get(key) ?? []), path]);
      }
      if (kind === 'dir') await walk(full, path);
    }
  };
  await walk(Buffer.from(root), '');
  for (const group of inodes.values()) {
    for (const path of group) {
      (out.get(path) as SnapshotEntry).hardLinks = group.filter((p) => p !== path).sort();
    }
  }
  if (options.skipRootMeta) return out;
  return out;
}

/** The differences between two snapshots, as readable lines; empty when they match. */
export function diffSnapshots(
  expected: Map<string, SnapshotEntry>,
  actual: Map<string, SnapshotEntry>,
  options: { ignore?: (keyof SnapshotEntry)[]; allocatedSlack?: number } = {},
): string[] {
  const ignore = new Set<string>(['allocated', ...(options.ignore ?? [])]);
  const problems: string[] = [];
  for (const [path, want] of expected) {
    const got = actual.get(path);
    const name = JSON.stringify(Buffer.from(path, 'latin1').toString('utf8'));
    if (!got) {
      problems.push(`missing on target: ${name}`);
      continue;
    }
    for (const key of Object.keys(want) as (keyof SnapshotEntry)[]) {
      if (ignore.has(key)) continue;
      if (key === 'mtimeUs' && want.kind === 'symlink') continue;
      if (key === 'mode' && want.kind === 'symlink') continue;
      // utimes takes a double of seconds, which keeps today's times to within a microsecond.
      if (key === 'mtimeUs' && Math.abs(want.mtimeUs - got.mtimeUs) <= 1) continue;
      if (JSON.stringify(want[key]) !== JSON.stringify(got[key])) {
        problems.push(
          `${name}: ${key} ${JSON.stringify(got[key])}, expected ${JSON.stringify(want[key])}`,
        );
      }
    }
  }
  for (const path of actual.keys()) {
    if (!expected.has(path))
      problems.push(
        `extra on target: ${JSON.stringify(Buffer.from(path, 'latin1').toString('utf8'))}`,
      );
  }
  return problems;
}
