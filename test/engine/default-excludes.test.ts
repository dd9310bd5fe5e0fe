import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { defaultExcludesFor } from '../../engine/migration/source-set.ts';
import { DEFAULT_EXCLUDES } from '../../engine/source/source-map.ts';
import { migrateTo, startTestAgent } from '../helpers/migrate-in-process.ts';
import { tempDir } from '../helpers/temp-dir.ts';

describe('the default exclusions', () => {
  it('all apply to a whole root, and none empties a folder the technician chose', () => {
    assert.deepEqual(defaultExcludesFor('/'), DEFAULT_EXCLUDES);
    assert.ok(!defaultExcludesFor('/tmp/build').includes('/tmp/*'), 'a folder inside /tmp');
    assert.ok(defaultExcludesFor('/tmp/build').includes('/proc/*'), 'the others still apply');
    assert.ok(!defaultExcludesFor('/proc').includes('/proc/*'), 'the excluded folder itself');
    assert.ok(!defaultExcludesFor('/var/lib/p2v-wizard/x').includes('/var/lib/p2v-wizard'));
    assert.ok(defaultExcludesFor('/var').includes('/var/log/journal/*'), 'a folder above one');
    assert.ok(!defaultExcludesFor('/var/log/journal').includes('/var/log/journal/*'));
  });

  it('copy a source below /tmp whole, and its changes in the rounds', async () => {
    // Below /tmp whatever TMPDIR says: that is the folder the default `/tmp/*` names.
    const base = await tempDir('p2v-test-', '/tmp');
    const source = join(base, 'source');
    const target = join(base, 'target');
    await mkdir(join(source, 'app/tmp'), { recursive: true });
    await writeFile(join(source, 'app/data.txt'), 'before\n');
    await writeFile(join(source, 'app/tmp/cache'), 'a cache the program keeps\n');
    const agent = await startTestAgent(target, join(base, 'agent-state'));
    try {
      const { report } = await migrateTo(agent, source, join(base, 'state'), {
        useDefaultExcludes: true,
        confirmCutover: async () => {
          await writeFile(join(source, 'app/data.txt'), 'after\n');
          return true;
        },
      });
      assert.equal(report.ok, true, `migration failed: ${JSON.stringify(report.error)}`);
      assert.equal(report.copy?.files, 2, 'both files were copied');
      assert.equal(await readFile(join(target, 'app/data.txt'), 'utf8'), 'after\n');
      assert.equal(
        await readFile(join(target, 'app/tmp/cache'), 'utf8'),
        'a cache the program keeps\n',
      );
    } finally {
      await agent.close();
    }
  });
});
