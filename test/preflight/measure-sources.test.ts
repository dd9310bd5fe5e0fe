import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { measureSources } from '../../engine/preflight/measure-sources.ts';
import { tempDir } from '../helpers/temp-dir.ts';

describe('measuring what the technician chose', () => {
  it('names a folder that is not there instead of measuring it as 0 B', async () => {
    const base = await tempDir();
    await mkdir(join(base, 'data'));
    await writeFile(join(base, 'data/a.bin'), Buffer.alloc(10_000, 1));
    const measured = await measureSources(
      [
        { dir: join(base, 'data'), target: '/data' },
        { dir: join(base, 'typo'), target: '/typo' },
      ],
      [],
      false,
    );
    assert.equal(measured.files, 1);
    assert.equal(measured.bytes, 10_000);
    assert.deepEqual(measured.unreadable, [{ path: join(base, 'typo'), code: 'ENOENT' }]);
    assert.equal(measured.unreadableCount, 1);
  });
});
