import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { FolderRequest, FolderSizes } from '../../shared/api.ts';
import { P2VError } from '../../shared/errors.ts';
import { SourceSet } from '../migration/source-set.ts';
import { fromText } from '../paths/raw-path.ts';
import { readMountTable } from '../source/mount-table.ts';
import { measureSources } from './measure-sources.ts';

/**
 * What each sub-folder of a folder holds (a volume's top folders), measured as the selection is,
 * with its exclusions, the biggest first, so a technician sees where the space goes before
 * choosing what to leave out. A folder left out by the exclusions, or where another volume is
 * mounted (listed as a volume of its own), is named and not walked.
 */
export async function measureFolders(request: FolderRequest): Promise<FolderSizes> {
  const parent = resolve(request.path);
  let entries;
  try {
    entries = await readdir(parent, { withFileTypes: true });
  } catch (error) {
    throw new P2VError(
      'BAD_ARGUMENT',
      `${parent}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  const mountPoints = new Set(readMountTable().map((m) => m.path));
  const selection = new SourceSet(
    [{ dir: parent, target: '' }],
    request.excludes,
    request.useDefaultExcludes,
    true,
  );
  const folders: FolderSizes['folders'] = [];
  for (const entry of entries.filter((e) => e.isDirectory())) {
    const path = join(parent, entry.name);
    if (mountPoints.has(path)) {
      folders.push({ path, bytes: null, skipped: 'mount', unreadableCount: 0 });
    } else if (selection.locate(fromText(path)) === null) {
      folders.push({ path, bytes: null, skipped: 'excluded', unreadableCount: 0 });
    } else {
      const measure = await measureSources(
        [{ dir: path, target: '' }],
        request.excludes,
        request.useDefaultExcludes,
      );
      folders.push({
        path,
        bytes: measure.allocatedBytes,
        unreadableCount: measure.unreadableCount,
      });
    }
  }
  return { folders: folders.sort((a, b) => (b.bytes ?? -1) - (a.bytes ?? -1)) };
}
