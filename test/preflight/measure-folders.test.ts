import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { measureFolders } from '../../engine/preflight/measure-folders.ts';
import { tempDir } from '../helpers/temp-dir.ts';

describe("a volume's top folders, measured", () => {
  it('gives each folder what it holds, the biggest first, and names the ones left out', async () => {
    const base = await tempDir();
    for (const [folder, bytes] of [
      ['small', 10_000],
      ['big', 300_000],
      ['backups', 900_000],
    ] as const) {
      await mkdir(join(base, folder, 'inner'), { recursive: true });
      await writeFile(join(base, folder, 'inner', 'data.bin'), Buffer.alloc(bytes, 1));
    }
    await mkdir(join(base, 'empty'));
    await writeFile(join(base, 'a-file-at-the-top'), 'not a folder\n');
    const { folders } = await measureFolders({
      path: base,
      excludes: [join(base, 'backups')],
      useDefaultExcludes: false,
    });
    assert.deepEqual(
      folders.map((f) => [f.path.slice(base.length + 1), f.skipped ?? null]),
      [
        ['big', null],
        ['small', null],
        ['empty', null],
        ['backups', 'excluded'],
      ],
    );
    const [big, small, empty] = folders;
    assert.ok((big?.bytes ?? 0) >= 300_000, `big: ${big?.bytes}`);
    assert.ok((small?.bytes ?? 0) >= 10_000 && (small?.bytes ?? 0) < 300_000);
    assert.equal(empty?.bytes, 0);
  });

  it('says which folder it could not read instead of measuring nothing', async () => {
    await assert.rejects(
      measureFolders({ path: '/nonexistent/p2v', excludes: [], useDefaultExcludes: false }),
      /\/nonexistent\/p2v: ENOENT/,
    );
  });
});
