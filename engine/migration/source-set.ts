import type { BigIntStats } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { displayPath, fromText, joinRaw, parentRaw, type RawPath } from '../paths/raw-path.ts';
import { DEFAULT_EXCLUDES, type SourceMapping } from '../source/source-map.ts';
import {
  makeExcludeTest,
  walkFrom,
  walkSource,
  type ExcludeTest,
  type SourceEntry,
} from '../source/walk.ts';

/** Where a source path lands, if it is part of the migration. */
export interface Located {
  mapping: SourceMapping;
  target: RawPath;
}

/**
 * The folders being migrated, their exclusions and the mapping from source paths (raw bytes) to
 * target paths.
 */
export class SourceSet {
  readonly excluded: ExcludeTest;
  /** The exclusions as given (absolute paths and globs), for the watcher not to watch them. */
  readonly excludePatterns: string[];
  private readonly roots: { mapping: SourceMapping; raw: RawPath }[];

  constructor(
    readonly mappings: SourceMapping[],
    excludes: string[],
    useDefaultExcludes: boolean,
  ) {
    const patterns = [...excludes, ...(useDefaultExcludes ? DEFAULT_EXCLUDES : [])];
    this.excludePatterns = patterns;
    this.excluded = makeExcludeTest(patterns.flatMap((p) => [p, `${p.replace(/\/+$/, '')}/**`]));
    this.roots = mappings
      .map((mapping) => ({ mapping, raw: fromText(mapping.dir) }))
      .sort((a, b) => b.raw.length - a.raw.length);
  }

  /** Maps a source path (raw bytes) to its target path; null if outside the sources or excluded. */
  locate(source: RawPath): Located | null {
    for (const { mapping, raw } of this.roots) {
      const inside = source === raw || source.startsWith(raw.endsWith('/') ? raw : `${raw}/`);
      if (!inside) continue;
      if (this.excluded(displayPath(source)) && source !== raw) return null;
      const rest = source.slice(raw.length).replace(/^\/+/, '');
      return { mapping, target: joinRaw(mapping.target, rest) };
    }
    return null;
  }

  /** Every entry of every source, each folder before its contents. */
  async *walkAll(onError: (path: string, error: Error) => void): AsyncGenerator<SourceEntry> {
    for (const mapping of this.mappings) yield* walkSource(mapping, this.excluded, onError);
  }

  /** Entries below (and including) one source folder that the index did not know. */
  walkBelow(
    source: RawPath,
    target: RawPath,
    onError: (path: string, error: Error) => void,
  ): AsyncGenerator<SourceEntry> {
    return walkFrom(Buffer.from(source, 'latin1'), target, this.excluded, onError);
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
