import assert from 'node:assert/strict';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ChangeRecord } from '../../engine/record/change-record.ts';
import { fromText } from '../../engine/paths/raw-path.ts';
import { tempDir } from '../helpers/temp-dir.ts';

/**
 * Resolves once every path in `want` has been marked in the record; rejects, naming the ones
 * still missing, if they have not all come within `limitMs`.
 */
function marked(record: ChangeRecord, want: string[], limitMs: number): Promise<void> {
  const missing = new Set(want.map(fromText));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      record.events.off('mark', check);
      reject(new Error(`no event for ${[...missing].join(', ')}`));
    }, limitMs);
    const check = (path: string): void => {
      missing.delete(path);
      if (missing.size === 0) {
        clearTimeout(timer);
        record.events.off('mark', check);
        resolve();
      }
    };
    record.events.on('mark', check);
  });
}

describe('the change record', () => {
  it('records what a real file watcher sees: creates, writes, deletes, renames, new folders', async () => {
    const base = await tempDir();
    const watched = join(base, 'watched');
    await mkdir(join(watched, 'sub'), { recursive: true });
    await mkdir(join(watched, 'skipped'));
    await writeFile(join(watched, 'old.txt'), 'old');
    await writeFile(join(watched, 'gone.txt'), 'gone');
    await writeFile(join(watched, 'ignored.log'), 'x');
    const record = await ChangeRecord.open(base);
    await record.watch([{ dir: watched, skipped: [join(watched, 'skipped')] }], (path) =>
      path.endsWith('.log'),
    );
    try {
      const expected = [
        join(watched, 'new.txt'),
        join(watched, 'old.txt'),
        join(watched, 'gone.txt'),
        join(watched, 'sub/renamed.txt'),
        // A new folder is marked itself; what is made in it before the watcher has added it
        // may or may not come as events, which is why a round walks every folder it did not know.
        join(watched, 'fresh'),
      ];
      const seen = marked(record, expected, 15_000);
      await writeFile(join(watched, 'skipped/not-watched.txt'), 'x');
      await writeFile(join(watched, 'new.txt'), 'new');
      await writeFile(join(watched, 'old.txt'), 'changed');
      await rm(join(watched, 'gone.txt'));
      await writeFile(join(watched, 'ignored.log'), 'ignored');
      await writeFile(join(watched, 'to-rename.txt'), 'r');
      await rename(join(watched, 'to-rename.txt'), join(watched, 'sub/renamed.txt'));
      await mkdir(join(watched, 'fresh/deep'), { recursive: true });
      await writeFile(join(watched, 'fresh/deep/file.txt'), 'deep');
      await seen;
      const dirty = record.take().map((t) => t.source);
      assert.ok(
        !dirty.includes(fromText(join(watched, 'ignored.log'))),
        'excluded paths are not recorded',
      );
      assert.ok(
        !dirty.some((path) => path.includes('not-watched')),
        'a folder the migration leaves out is not watched',
      );
    } finally {
      await record.stopWatching();
    }
  });

  it('persists across a restart and clears a path only if nothing changed it since it was taken', async () => {
    const base = await tempDir();
    const first = await ChangeRecord.open(base);
    first.mark('/srv/a');
    first.mark('/srv/b');
    await first.flush();
    const reopened = await ChangeRecord.open(base);
    const taken = reopened.take();
    assert.deepEqual(taken.map((t) => t.source).sort(), ['/srv/a', '/srv/b']);
    reopened.mark('/srv/a');
    for (const t of taken) reopened.clear(t);
    assert.deepEqual(
      reopened.take().map((t) => t.source),
      ['/srv/a'],
      'a change after the path was taken keeps it dirty',
    );
    await reopened.flush();
    assert.deepEqual(
      (await ChangeRecord.open(base)).take().map((t) => t.source),
      ['/srv/a'],
    );
  });
});
