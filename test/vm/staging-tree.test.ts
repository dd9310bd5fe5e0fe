import assert from 'node:assert/strict';
import { lstat, mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { stageTree } from '../../engine/vm/staging-tree.ts';
import { tempDir } from '../helpers/temp-dir.ts';

describe('the staging tree a partition is built from', () => {
  it('links every file by its byte name, leaves nested mount points empty, keeps folder times', async () => {
    const base = await tempDir();
    const tree = join(base, 'tree');
    await mkdir(join(tree, 'boot'), { recursive: true });
    await mkdir(join(tree, 'data'), { recursive: true });
    await writeFile(join(tree, 'boot/vmlinuz'), 'kernel');
    // A name that is not UTF-8, as a Latin-1 machine writes it: the agent keeps such bytes.
    const odd = Buffer.concat([
      Buffer.from(join(tree, 'data')),
      Buffer.from('/caf\xe9.txt', 'latin1'),
    ]);
    await writeFile(odd, 'bytes');
    const staging = join(base, 'staging');
    await stageTree(tree, staging, ['boot']);
    const names = await readdir(Buffer.from(join(staging, 'data')), { encoding: 'buffer' });
    assert.deepEqual(names, [Buffer.from('caf\xe9.txt', 'latin1')], 'the byte name survives');
    const staged = await lstat(
      Buffer.concat([Buffer.from(join(staging, 'data/')), names[0] as Buffer]),
    );
    assert.equal((await lstat(odd)).ino, staged.ino, 'a hard link, not a copy');
    assert.deepEqual(await readdir(join(staging, 'boot')), [], '/boot is its own partition');
    const drift = Math.abs(
      (await lstat(join(staging, 'data'))).mtimeMs - (await lstat(join(tree, 'data'))).mtimeMs,
    );
    assert.ok(drift < 0.01, `the folder keeps its time to the microsecond (off by ${drift} ms)`);
  });
});
