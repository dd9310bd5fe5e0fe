import { lstat, readlink } from 'node:fs/promises';
import { isAbsence } from '../paths/absence.ts';
import { joinRaw, parentRaw, type RawPath } from '../paths/raw-path.ts';
import type { TreeEntry } from '../protocol/messages.ts';
import type { SourceIndex } from '../record/source-index.ts';
import type { AgentClient } from '../source/agent-client.ts';
import type { SourceSet } from './source-set.ts';

/** Removals sent at once, each answered after its folder is fsynced. */
const REMOVE_BATCH = 64;

/** What the target holds that the source does not, and what differs in its shape. */
export interface MirrorResult {
  /** Entries the target listed under the mapped folders. */
  listed: number;
  /** Extraneous entries removed (a folder counts once, with what it held). */
  removed: RawPath[];
  /** Extraneous entries still there (their removal failed, or `remove` was off). */
  left: RawPath[];
  /** Entries whose extended attributes, folder mode or owner, symlink target or hard-link group differs. */
  differing: { path: RawPath; what: string }[];
}

export interface MirrorOptions {
  /** Remove what the source does not have (else only count it). */
  remove: boolean;
  /** Compare folder mode and owner, symlink targets and hard-link groups too. */
  compareShape: boolean;
  /** Owners can be compared: the agent runs as root. */
  owners: boolean;
  /**
   * Target paths the target owns on purpose (a rebuilt initramfs, driver difference files sent
   * before the copy): never removed, nor the folders that hold them, nor what is below them.
   */
  held: ReadonlySet<RawPath>;
}

/**
 * Makes the target an exact mirror: every entry below the mapped folders that the index does
 * not know and whose source path is provably gone (ENOENT or ENOTDIR, never another error, never
 * an excluded path) is removed. With `compareShape`, what the index knows is compared beyond
 * file contents: a folder's mode and owner, a symlink's target, and which names share an inode.
 */
export async function checkMirror(
  client: AgentClient,
  index: SourceIndex,
  sources: SourceSet,
  options: MirrorOptions,
): Promise<MirrorResult> {
  const result: MirrorResult = { listed: 0, removed: [], left: [], differing: [] };
  const kept = new Set<RawPath>();
  for (const path of options.held)
    for (let up = parentRaw(path); up.length > 0; up = parentRaw(up)) kept.add(up);
  const isHeld = (path: RawPath): boolean => {
    if (kept.has(path)) return true;
    for (let up = path; up.length > 0; up = parentRaw(up)) if (options.held.has(up)) return true;
    return false;
  };
  const extraneous: RawPath[] = [];
  const links = new LinkGroups();
  for (const top of sources.targetTops) {
    let removedFolder: RawPath | null = null;
    for await (const entry of client.listTree(top, options.compareShape)) {
      result.listed++;
      const path = joinRaw(top, entry.path);
      if (removedFolder && path.startsWith(`${removedFolder}/`)) continue;
      const known = index.get(path);
      if (known) {
        if (options.compareShape) {
          const what =
            known.xattrs !== undefined && known.xattrs !== entry.xattrs
              ? 'extended attributes'
              : await shapeDiffers(known.source, entry, options.owners);
          if (what) result.differing.push({ path, what });
          // Only names that share an inode on either side are kept: memory stays bounded.
          if (entry.kind === 'file' && (known.nlink > 1 || entry.nlink > 1))
            links.add(path, `${known.dev}:${known.ino}`, entry.ino);
        }
        continue;
      }
      if (isHeld(path) || !(await provablyGone(sources.sourceFor(path)))) continue;
      extraneous.push(path);
      if (entry.kind === 'dir') removedFolder = path;
    }
  }
  result.differing.push(...links.differing());
  if (!options.remove) return { ...result, left: extraneous };
  for (let start = 0; start < extraneous.length; start += REMOVE_BATCH) {
    const batch = extraneous.slice(start, start + REMOVE_BATCH);
    const answers = await Promise.allSettled(
      batch.map((path) => client.request<'ack'>({ t: 'remove', path })),
    );
    answers.forEach((answer, i) =>
      (answer.status === 'fulfilled' ? result.removed : result.left).push(batch[i] as RawPath),
    );
  }
  return result;
}

/** Only a source path that is excluded-free and answers ENOENT or ENOTDIR is gone. */
async function provablyGone(source: RawPath | null): Promise<boolean> {
  if (source === null) return false;
  try {
    await lstat(Buffer.from(source, 'latin1'));
    return false;
  } catch (error) {
    return isAbsence(error);
  }
}

/** What differs between a source entry and the target's, beyond a file's contents. */
async function shapeDiffers(
  source: RawPath,
  entry: TreeEntry,
  owners: boolean,
): Promise<string | null> {
  if (entry.kind !== 'dir' && entry.kind !== 'symlink') return null;
  const path = Buffer.from(source, 'latin1');
  let info;
  try {
    info = await lstat(path);
  } catch {
    // Gone or unreadable since it was sent: the rounds and the checksums deal with it.
    return null;
  }
  if (entry.kind === 'dir') {
    if (!info.isDirectory()) return 'kind';
    if ((info.mode & 0o7777) !== entry.mode)
      return `mode ${(info.mode & 0o7777).toString(8)} ≠ ${entry.mode.toString(8)}`;
    if (owners && (info.uid !== entry.uid || info.gid !== entry.gid))
      return `owner ${info.uid}:${info.gid} ≠ ${entry.uid}:${entry.gid}`;
    return null;
  }
  if (!info.isSymbolicLink()) return 'kind';
  const link = (await readlink(path, { encoding: 'buffer' })).toString('latin1');
  return link === entry.link ? null : 'symlink target';
}

/** Which names share an inode, on each side: the partitions must be the same. */
class LinkGroups {
  private readonly bySource = new Map<string, RawPath[]>();
  private readonly byTarget = new Map<string, RawPath[]>();
  private readonly keys = new Map<RawPath, { source: string; target: string }>();

  add(path: RawPath, source: string, target: string): void {
    this.keys.set(path, { source, target });
    this.bySource.set(source, [...(this.bySource.get(source) ?? []), path]);
    this.byTarget.set(target, [...(this.byTarget.get(target) ?? []), path]);
  }

  differing(): { path: RawPath; what: string }[] {
    const out: { path: RawPath; what: string }[] = [];
    for (const [path, key] of this.keys) {
      const here = this.bySource.get(key.source) ?? [];
      const there = this.byTarget.get(key.target) ?? [];
      if (here.length === 1 && there.length === 1) continue;
      const same = here.length === there.length && here.every((p) => there.includes(p));
      if (!same)
        out.push({ path, what: `hard links: ${here.length} names here, ${there.length} there` });
    }
    return out;
  }
}
