import { SourceSet } from '../migration/source-set.ts';
import type { SourceMapping } from '../source/source-map.ts';

/** What one walk of the sources finds: room on the target, and the copy's totals. */
export interface SourceMeasure {
  /** Allocated blocks, so sparse files count as they will be stored: what the target needs. */
  allocatedBytes: number;
  /** File sizes and count: the full copy's progress totals. */
  bytes: number;
  files: number;
  /** Paths the walk could not read (a folder that is not there counts), the first few of them. */
  unreadable: { path: string; code: string }[];
  /** How many paths could not be read in all. */
  unreadableCount: number;
}

/** Unreadable paths kept for the screen; the count says how many more there were. */
const UNREADABLE_KEPT = 20;

/**
 * Walks the sources with the migration's own exclusions, once: the free-space check and the
 * copy's progress bar both take their numbers from here instead of walking again.
 */
export async function measureSources(
  sources: SourceMapping[],
  excludes: string[],
  useDefaultExcludes: boolean,
): Promise<SourceMeasure> {
  return measureSet(new SourceSet(sources, excludes, useDefaultExcludes));
}

/** The same walk over a source set the migration already holds. */
export async function measureSet(set: SourceSet): Promise<SourceMeasure> {
  const measure: SourceMeasure = {
    allocatedBytes: 0,
    bytes: 0,
    files: 0,
    unreadable: [],
    unreadableCount: 0,
  };
  const onError = (path: string, error: Error): void => {
    measure.unreadableCount++;
    if (measure.unreadable.length < UNREADABLE_KEPT)
      measure.unreadable.push({ path, code: (error as NodeJS.ErrnoException).code ?? 'EIO' });
  };
  for await (const entry of set.walkAll(onError)) {
    if (!entry.info.isFile()) continue;
    measure.allocatedBytes += Number(entry.info.blocks) * 512;
    measure.bytes += Number(entry.info.size);
    measure.files++;
  }
  return measure;
}
