import type { BigIntStats } from 'node:fs';
import { lstatSync, readdirSync } from 'node:fs';
import picomatch from 'picomatch';
import { displayPath, fromFsName, joinRaw, type RawPath } from '../paths/raw-path.ts';
import type { SourceMapping } from './source-map.ts';

/** One entry found on the source, with where it goes on the target. */
export interface SourceEntry {
  source: Buffer;
  target: RawPath;
  info: BigIntStats;
  /**
   * A path the target holds under an old name of this file (renamed on the source: the same
   * inode): its copy there is the base of the delta, so a rename sends only what changed.
   */
  baseFrom?: RawPath;
}

/** Decides whether an absolute source path is left out of the migration. */
export type ExcludeTest = (absolutePath: string) => boolean;

/**
 * Builds the exclude test: each pattern is a glob on the absolute source path; a pattern that
 * names a folder also leaves out everything below it.
 */
export function makeExcludeTest(patterns: string[]): ExcludeTest {
  if (patterns.length === 0) return () => false;
  const matchers = patterns.map((p) => picomatch(p, { dot: true }));
  return (path) => matchers.some((match) => match(path));
}

/**
 * Walks a source folder depth-first, each directory before what it holds, never following
 * symlinks. Names are read as bytes. Unreadable entries go to `onError` and the walk goes on.
 */
export async function* walkSource(
  mapping: SourceMapping,
  excluded: ExcludeTest,
  onError: (path: string, error: Error) => void,
): AsyncGenerator<SourceEntry> {
  const rootBuffer = Buffer.from(mapping.dir, 'utf8');
  yield* walkFrom(rootBuffer, mapping.target, excluded, onError, true);
}

/** Walks from one source path (file or folder) mapped to a target path. */
export async function* walkFrom(
  source: Buffer,
  target: RawPath,
  excluded: ExcludeTest,
  onError: (path: string, error: Error) => void,
  isRoot = false,
): AsyncGenerator<SourceEntry> {
  const stack: { source: Buffer; target: RawPath }[] = [{ source, target }];
  while (stack.length > 0) {
    const item = stack.pop() as { source: Buffer; target: RawPath };
    const text = displayPath(fromFsName(item.source));
    if (!(isRoot && item.source === source) && excluded(text)) continue;
    let info: BigIntStats;
    try {
      // Synchronous: a stat is microseconds, a thread-pool round trip per entry is not.
      info = lstatSync(item.source, { bigint: true });
    } catch (error) {
      onError(text, error as Error);
      continue;
    }
    if (item.target.length > 0) yield { source: item.source, target: item.target, info };
    if (!info.isDirectory()) continue;
    let names: Buffer[];
    try {
      names = readdirSync(item.source, { encoding: 'buffer' });
    } catch (error) {
      onError(text, error as Error);
      continue;
    }
    names.sort(Buffer.compare);
    for (let i = names.length - 1; i >= 0; i--) {
      const name = names[i] as Buffer;
      const childSource = Buffer.concat([
        item.source,
        Buffer.from(item.source.at(-1) === 0x2f ? '' : '/'),
        name,
      ]);
      stack.push({ source: childSource, target: joinRaw(item.target, fromFsName(name)) });
    }
  }
}
