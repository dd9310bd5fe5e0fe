import { SourceSet } from '../migration/source-set.ts';
import type { SourceMapping } from '../source/source-map.ts';

/**
 * Bytes the sources take on disk, walked with the migration's own exclusions: what the target
 * must make room for. Allocated blocks, so sparse files count as they will be stored.
 */
export async function measureSources(
  sources: SourceMapping[],
  excludes: string[],
  useDefaultExcludes: boolean,
): Promise<number> {
  let bytes = 0;
  const set = new SourceSet(sources, excludes, useDefaultExcludes);
  for await (const entry of set.walkAll(() => undefined))
    if (entry.info.isFile()) bytes += Number(entry.info.blocks) * 512;
  return bytes;
}
