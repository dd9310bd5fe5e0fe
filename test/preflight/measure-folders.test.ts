import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { measureFolders } from '../../engine/preflight/measure-folders.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { projectRoot } from '../../engine/project-root.ts';

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

  it('names a folder where another volume is mounted without walking it (it is listed as a volume of its own)', async (t) => {
    if (process.getuid?.() !== 0) {
      t.skip('SKIPPED LOUDLY: a mount in a namespace of its own needs root');
      return;
    }
    const base = await tempDir();
    await mkdir(join(base, 'volume/home'), { recursive: true });
    await mkdir(join(base, 'volume/etc'), { recursive: true });
    await mkdir(join(base, 'other-disk'));
    await writeFile(join(base, 'other-disk/big.bin'), Buffer.alloc(500_000, 1));
    await writeFile(join(base, 'volume/etc/hosts'), '127.0.0.1 localhost\n');
    // The other disk is mounted at volume/home for the measuring process only.
    const measure = `import('./engine/preflight/measure-folders.ts').then(async (m) => console.log(JSON.stringify(await m.measureFolders({ path: process.argv[1], excludes: [], useDefaultExcludes: false }))))`;
    const script = `mount --bind "$1/other-disk" "$1/volume/home" && exec "$2" --import ./scripts/test-loader.js -e "$3" "$1/volume"`;
    const run = spawnSync(
      'unshare',
      ['-m', '--propagation', 'private', 'sh', '-c', script, 'sh', base, process.execPath, measure],
      { encoding: 'utf8', timeout: 60_000, cwd: projectRoot() },
    );
    assert.equal(run.status, 0, run.stderr);
    const { folders } = JSON.parse(run.stdout) as Awaited<ReturnType<typeof measureFolders>>;
    assert.deepEqual(
      folders.map((f) => [f.path.slice(base.length + 1), f.bytes === null, f.skipped ?? null]),
      [
        ['volume/etc', false, null],
        ['volume/home', true, 'mount'],
      ],
    );
  });

  it('says which folder it could not read instead of measuring nothing', async () => {
    await assert.rejects(
      measureFolders({ path: '/nonexistent/p2v', excludes: [], useDefaultExcludes: false }),
      /\/nonexistent\/p2v: ENOENT/,
    );
  });
});
