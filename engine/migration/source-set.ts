import type { BigIntStats } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { displayPath, fromText, joinRaw, parentRaw, type RawPath } from '../paths/raw-path.ts';
import { DEFAULT_EXCLUDES, type SourceMapping } from '../source/source-map.ts';
import { readMountTable, type Mount } from '../source/mount-table.ts';
import {
  makeExcludeTest,
  walkFrom,
  walkSource,
  type ExcludeTest,
  type SourceEntry,
} from '../source/walk.ts';

/** Filesystems that are kernel views or memory, never data: not entered, and not worth a word. */
const KERNEL_VIEWS =
  /^(proc|sysfs|devtmpfs|devpts|tmpfs|cgroup2?|securityfs|pstore|efivarfs|bpf|debugfs|tracefs|mqueue|hugetlbfs|configfs|fusectl|autofs|binfmt_misc|rpc_pipefs|nsfs|ramfs|overlay)$/;

/** Where a source path lands, if it is part of the migration. */
export interface Located {
  mapping: SourceMapping;
  target: RawPath;
}

/** One source folder with the exclusions that apply inside it. */
interface SourceRoot {
  mapping: SourceMapping;
  raw: RawPath;
  /** The exclusions as given (absolute paths and globs), for the watcher not to watch them. */
  patterns: string[];
  excluded: ExcludeTest;
  /** Source paths (as text) whose target copy the target owns now: never sent again. */
  held: Set<string>;
  /** Filesystems mounted below this folder that the walk does not enter. */
  notCrossed: Mount[];
}

/**
 * The default exclusions that apply inside `dir`. They describe a whole machine (`/tmp/*`,
 * `/proc/*`), so a folder the technician chose inside one of them (`/tmp/build`, `/proc` itself)
 * is copied: the choice is explicit, and leaving it empty would lose its files silently.
 */
export function defaultExcludesFor(dir: string): string[] {
  return DEFAULT_EXCLUDES.filter((pattern) => {
    const covers = makeExcludeTest([pattern, `${pattern}/**`]);
    const emptiesFolder = pattern.endsWith('/*') && dir === pattern.slice(0, -2);
    return !covers(dir) && !emptiesFolder;
  });
}

/**
 * The folders being migrated, their exclusions and the mapping from source paths (raw bytes) to
 * target paths.
 */
export class SourceSet {
  private readonly roots: SourceRoot[];

  /**
   * `crossMounts` false (the default, rsync's -x): a filesystem mounted below a source folder
   * (NFS, FUSE, a backup disk, a bind mount) is not entered; its mount point folder is kept.
   * `mounts` is the mount table, read from the system unless given.
   */
  constructor(
    readonly mappings: SourceMapping[],
    excludes: string[],
    useDefaultExcludes: boolean,
    crossMounts = false,
    mounts: Mount[] = crossMounts ? [] : readMountTable(),
  ) {
    this.roots = mappings
      .map((mapping) => {
        const patterns = [
          ...excludes,
          ...(useDefaultExcludes ? defaultExcludesFor(mapping.dir) : []),
        ];
        const matches = makeExcludeTest(
          patterns.flatMap((p) => [p, `${p.replace(/\/+$/, '')}/**`]),
        );
        const held = new Set<string>();
        const base = mapping.dir.endsWith('/') ? mapping.dir : `${mapping.dir}/`;
        const notCrossed = crossMounts
          ? []
          : mounts.filter((m) => m.path.startsWith(base) && !matches(m.path));
        const inside = notCrossed.map((m) => `${m.path}/`);
        const excluded: ExcludeTest = (path) =>
          held.has(path) || matches(path) || inside.some((prefix) => path.startsWith(prefix));
        return { mapping, raw: fromText(mapping.dir), patterns, excluded, held, notCrossed };
      })
      .sort((a, b) => b.raw.length - a.raw.length);
  }

  /**
   * Filesystems mounted below the sources that are not copied (the folders they are mounted on
   * are), each once: a mount that is itself a source folder is copied and not listed.
   */
  get mountsLeftOut(): Mount[] {
    const sourceDirs = new Set(this.mappings.map((m) => m.dir));
    const seen = new Map<string, Mount>();
    for (const root of this.roots)
      for (const mount of root.notCrossed)
        if (!sourceDirs.has(mount.path) && !KERNEL_VIEWS.test(mount.type))
          seen.set(mount.path, mount);
    return [...seen.values()].sort((a, b) => (a.path < b.path ? -1 : 1));
  }

  /** Each source folder with the paths and globs the watcher need not watch inside it. */
  get watched(): { dir: string; skipped: string[] }[] {
    return this.roots.map((root) => ({ dir: root.mapping.dir, skipped: root.patterns }));
  }

  /**
   * Leaves target paths to the target from now on (files a VM's build changed on purpose): the
   * source's copies are not walked, recorded or sent again.
   */
  hold(targets: RawPath[]): void {
    for (const target of targets) {
      for (const root of this.roots) {
        const base = root.mapping.target;
        const inside = base === '' || target === base || target.startsWith(`${base}/`);
        if (!inside) continue;
        const rest = target.slice(base.length).replace(/^\/+/, '');
        root.held.add(displayPath(joinRaw(root.raw, rest)));
        break;
      }
    }
  }

  /** The source folder a source path (raw bytes) is in, the deepest when they nest. */
  private rootOf(source: RawPath): SourceRoot | null {
    for (const root of this.roots) {
      const { raw } = root;
      if (source === raw || source.startsWith(raw.endsWith('/') ? raw : `${raw}/`)) return root;
    }
    return null;
  }

  /** Maps a source path (raw bytes) to its target path; null if outside the sources or excluded. */
  locate(source: RawPath): Located | null {
    const root = this.rootOf(source);
    if (!root) return null;
    if (source !== root.raw && root.excluded(displayPath(source))) return null;
    const rest = source.slice(root.raw.length).replace(/^\/+/, '');
    return { mapping: root.mapping, target: joinRaw(root.mapping.target, rest) };
  }

  /**
   * The source path a target path comes from: the deepest mapping that holds it, or null where
   * no source maps (the folders above a mapped target) or the source path is excluded.
   */
  sourceFor(target: RawPath): RawPath | null {
    let best: SourceRoot | null = null;
    for (const root of this.roots) {
      const base = root.mapping.target;
      const inside = base === '' || target === base || target.startsWith(`${base}/`);
      if (inside && (!best || base.length > best.mapping.target.length)) best = root;
    }
    if (!best) return null;
    const rest = target.slice(best.mapping.target.length).replace(/^\/+/, '');
    const source = rest ? joinRaw(best.raw, rest) : best.raw;
    return this.locate(source) ? source : null;
  }

  /**
   * The filesystem mounted at a source folder that the walk does not enter (the folder is
   * copied, its files are not); null where the folder's files are walked, or it is itself one
   * of the source folders.
   */
  notEntered(source: RawPath): Mount | null {
    const text = displayPath(source);
    if (this.mappings.some((m) => m.dir === text)) return null;
    for (const root of this.roots) {
      const mount = root.notCrossed.find((m) => m.path === text);
      if (mount && !KERNEL_VIEWS.test(mount.type)) return mount;
    }
    return null;
  }

  /** The distinct target folders the sources map to, none inside another. */
  get targetTops(): RawPath[] {
    const targets = [...new Set(this.mappings.map((m) => m.target))].sort();
    return targets.filter(
      (t) => !targets.some((o) => o !== t && (o === '' || t.startsWith(`${o}/`))),
    );
  }

  /** Every entry of every source, each folder before its contents. */
  async *walkAll(onError: (path: string, error: Error) => void): AsyncGenerator<SourceEntry> {
    for (const mapping of this.mappings) {
      const root = this.roots.find((r) => r.mapping === mapping) as SourceRoot;
      yield* walkSource(mapping, root.excluded, onError);
    }
  }

  /** Entries below (and including) one source folder that the index did not know. */
  walkBelow(
    source: RawPath,
    target: RawPath,
    onError: (path: string, error: Error) => void,
  ): AsyncGenerator<SourceEntry> {
    const excluded = this.rootOf(source)?.excluded ?? (() => true);
    return walkFrom(Buffer.from(source, 'latin1'), target, excluded, onError);
  }

  /**
   * The folders above each mapped target (say var and var/lib for /var/lib/app), with the
   * source machine's own metadata for them, so the target gets them right and not root-owned 0755.
   */
  async ancestors(): Promise<SourceEntry[]> {
    const seen = new Set<RawPath>();
    const out: SourceEntry[] = [];
    for (const mapping of this.mappings) {
      const chain: RawPath[] = [];
      for (let target = parentRaw(mapping.target); target.length > 0; target = parentRaw(target))
        chain.unshift(target);
      for (const target of chain) {
        if (seen.has(target)) continue;
        seen.add(target);
        const source = Buffer.from(`/${target}`, 'latin1');
        const sameLayout = mapping.target === fromText(mapping.dir.replace(/^\/+/, ''));
        let info: BigIntStats | null = null;
        if (sameLayout) info = await lstat(source, { bigint: true }).catch(() => null);
        if (info?.isDirectory()) out.push({ source, target, info });
      }
    }
    return out;
  }
}
